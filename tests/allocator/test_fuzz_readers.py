"""Fuzzing every reader of user files: whatever the bytes, the answer is the thing read or an InputError
naming the file, never another exception, a hang or a file read from elsewhere."""

from __future__ import annotations

import os
import string
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.data import InstanceData
from allocator.errors import InputError
from allocator.instance import read_folder
from allocator.procedures.evaluate import read_plan
from allocator.procedures.sweep import read_grid
from allocator.scenario import Scenario, resolve_scenario
from regio_instances.orlib import read_cap, read_pmedian
from tests.conftest import tiny_tables, write_instance

FUZZ = settings(max_examples=int(os.environ.get("REGIO_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck))
DEFAULTS = SimpleNamespace(manifest=SimpleNamespace(defaults={}))
toml_ish = st.text(alphabet=string.printable + "€θ\ufeff\x00", max_size=300) | st.builds(
    lambda k, v: f"{k} = {v}\n", st.sampled_from(["shortfall_price", "norms", "solver", "extends", "kind", "[values]",
                                                  "hold_harmless", "equity_alpha", "samples", "x.y"]),
    st.sampled_from(["1", "-1", "1e309", '"a"', "[1, 2]", "{a = 1}", "true", "nan", '"/dev/zero"', '"."', "[[x]]"]))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return path


@FUZZ
@given(text=toml_ish)
def test_scenario_files(tmp_path_factory, text):
    path = _write(tmp_path_factory.mktemp("s"), "s.toml", text)
    try:
        assert isinstance(resolve_scenario(DEFAULTS, path), Scenario)
    except InputError as err:
        assert err.issues


@FUZZ
@given(text=toml_ish)
def test_grid_files(tmp_path_factory, text):
    path = _write(tmp_path_factory.mktemp("g"), "grid.toml", text)
    try:
        read_grid(path)
    except InputError as err:
        assert err.issues


cells = st.one_of(st.text(max_size=12), st.sampled_from(["", "-1", "0", "1e308", "inf", "nan", "=1+1", "1,5", "95",
                                                          "true", "A", "B", "gpA", "care", "\x00"]))


@FUZZ
@given(table=st.sampled_from(sorted(tiny_tables())), row=st.integers(0, 3), column=st.integers(0, 12), value=cells)
def test_instance_tables(tmp_path_factory, table, row, column, value):
    t = tiny_tables()
    frame = t[table].astype(object)
    frame.iloc[row % len(frame), column % frame.shape[1]] = value
    t[table] = frame
    folder = write_instance(tmp_path_factory.mktemp("i"), t)
    try:
        inst = read_folder(folder)
        InstanceData.prepare(inst, Scenario())
    except InputError as err:
        assert all(i.file for i in err.issues)


@FUZZ
@given(text=st.text(max_size=200) | st.builds(lambda rows: "region_id,domain_id,plan\n" + "\n".join(rows),
                                                st.lists(st.sampled_from(["A,care,1", "B,edu,x", "A,care,-2", "C,care,1",
                                                                          "A,care", '"A,care,1', "A,care,1e400"]),
                                                         max_size=5)))
def test_plan_folders(tmp_path_factory, text):
    inst = read_folder(write_instance(tmp_path_factory.mktemp("i"), tiny_tables()))
    data = InstanceData.prepare(inst, Scenario())
    plan = tmp_path_factory.mktemp("plan")
    _write(plan, "allocation.csv", text)
    pd.DataFrame({"site_id": ["gpA", "gpB"], "open": [1, 0]}).to_csv(plan / "facilities.csv", index=False)
    try:
        read_plan(plan, data)
    except InputError as err:
        assert err.issues


numbers = st.lists(st.one_of(st.integers(-3, 12).map(str), st.sampled_from(["1.5", "-0.5", "inf", "nan", "x", "capacity"])),
                   max_size=40)


@FUZZ
@given(tokens=numbers)
def test_orlib_files(tmp_path_factory, tokens):
    path = _write(tmp_path_factory.mktemp("o"), "f.txt", " ".join(tokens))
    for reader in (read_pmedian, lambda p: read_cap(p, capacity=10.0)):
        try:
            reader(path)
        except InputError as err:
            assert err.issues


@pytest.mark.parametrize("kind", ["folder", "fifo", "huge"])
def test_special_files_are_refused_not_read(tmp_path, kind):
    path = tmp_path / "s.toml"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    else:
        with path.open("wb") as f:
            f.truncate(65 * 2**20)
    with pytest.raises(InputError):
        resolve_scenario(DEFAULTS, path)
    with pytest.raises(InputError):
        read_grid(path)


agenda_cell = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " €θ", max_size=20),
                        st.sampled_from(["A", "B", "prog", "care", "edu", "VOORBEELD-1", "=1+1", "2027", "1,5"]))


@settings(FUZZ, max_examples=max(5, FUZZ.max_examples // 4))  # a workbook written and read per example
@given(rows=st.lists(st.lists(agenda_cell, min_size=0, max_size=10), max_size=6),
       header=st.sampled_from(["template", "shuffled", "none"]), raw=st.binary(max_size=200))
def test_agenda_workbooks(tmp_path_factory, rows, header, raw):
    """Any filled-in agenda sheet (or any bytes named .xlsx) reads as projects or an InputError naming the workbook."""
    from openpyxl import Workbook

    from allocator.multiyear.agenda import PROJECT_COLUMNS, read_agendas
    from tests.helpers import instance

    folder = tmp_path_factory.mktemp("agenda")
    inst = instance(tiny_tables())
    books = [folder / "raw.xlsx"]
    books[0].write_bytes(raw)
    wb = Workbook()
    ws = wb.active
    ws.title = "projects"
    if header != "none":
        ws.append(PROJECT_COLUMNS if header == "template" else list(reversed(PROJECT_COLUMNS)))
    for row in rows:
        ws.append([c if not isinstance(c, float) or c == c else None for c in row])
    wb.save(folder / "filled.xlsx")
    books.append(folder / "filled.xlsx")
    for book in books:
        try:
            projects, _ = read_agendas([book], inst)
            assert set(PROJECT_COLUMNS) <= set(projects.columns)
        except InputError as err:
            assert all(str(book) in i.file for i in err.issues)
