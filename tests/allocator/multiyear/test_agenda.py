"""Opportunity agendas (kansenagenda's): the Excel template, reading filled workbooks, and errors that name the cell."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from allocator.data import InstanceData
from allocator.errors import InputError
from allocator.multiyear.agenda import read_agendas, write_template
from allocator.multiyear.run import run_programme
from allocator.scenario import resolve_scenario
from tests.conftest import tiny_tables, write_instance
from tests.helpers import instance


@pytest.fixture
def tiny():
    return instance(tiny_tables())


def fill(path, rows, priorities=()):
    """Replace the template's example rows with ``rows`` (projects) and ``priorities``."""
    wb = load_workbook(path)
    for name, data in (("projects", rows), ("priorities", priorities)):
        ws = wb[name]
        ws.delete_rows(2, ws.max_row)
        for row in data:
            ws.append(list(row))
    wb.save(path)
    return path


def test_the_template_has_sheets_units_an_example_and_drop_downs(tmp_path, tiny):
    path = write_template(tmp_path / "agenda.xlsx", tiny)
    wb = load_workbook(path)
    assert wb.sheetnames == ["uitleg", "lijsten", "projects", "priorities"]
    header = [c.value for c in wb["projects"][1]]
    assert header[:4] == ["project_id", "name", "region", "domain_id"]
    assert "cost_per_year (M€/yr)" in header and "welfare_per_year (M€-eq/yr)" in header
    assert wb["projects"]["A2"].value.startswith("VOORBEELD")
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in wb["projects"].data_validations.dataValidation}
    assert "lijsten!$A$2" in lists["D"]   # domain ids
    assert "lijsten!$F$2" in lists["C"]   # municipality codes and region tags
    codes = [c.value for c in wb["lijsten"]["C"][1:] if c.value]
    assert sorted(codes) == ["A", "B"]


def test_the_example_row_must_go(tmp_path, tiny):
    path = write_template(tmp_path / "agenda.xlsx", tiny)
    with pytest.raises(InputError) as err:
        read_agendas([path], tiny)
    issue = err.value.issues[0]
    assert issue.file == f"{path} [sheet projects]" and issue.row == 2 and issue.column == "project_id"
    assert "example row" in issue.message


def test_bad_cells_are_named_by_workbook_sheet_row_and_column(tmp_path, tiny):
    path = fill(write_template(tmp_path / "agenda.xlsx", tiny), [
        ("P1", "Zorghub", "A", "care", 1.0, 2, 2027, 0.5),
        ("P2", "Schoolplein", "Nowhere", "sport", "veel", 0, 2027, 0.5),
    ], [("Z", "care", 1.5)])
    with pytest.raises(InputError) as err:
        read_agendas([path], tiny)
    found = {(i.row, i.column): i.message for i in err.value.issues}
    assert "is not a number" in found[(3, "cost_per_year")]
    assert "out of range" in found[(3, "duration")]
    assert "unknown region 'Nowhere'" in found[(3, "region")]
    assert "unknown domain 'sport'" in found[(3, "domain_id")]
    assert any(i.file.endswith("[sheet priorities]") and i.row == 2 and i.column == "region_id" for i in err.value.issues)


def test_duplicate_projects_over_agendas_name_both(tmp_path, tiny):
    row = ("P1", "Zorghub", "A", "care", 1.0, 2, 2027, 0.5)
    a = fill(write_template(tmp_path / "a.xlsx", tiny), [row])
    b = fill(write_template(tmp_path / "b.xlsx", tiny), [row])
    with pytest.raises(InputError, match=r"'P1' is also in .*a.xlsx, row 2"):
        read_agendas([a, b], tiny)


def test_a_scenario_names_agendas_relative_to_its_folder(tmp_path):
    """Project P (region tag 'prog' = region A) pays for itself many times over once done: the programme starts it,
    and the agenda's priority reaches the welfare weights."""
    folder = write_instance(tmp_path / "inst", tiny_tables())
    inst = instance(tiny_tables())
    (tmp_path / "scen" / "agendas").mkdir(parents=True)
    fill(write_template(tmp_path / "scen" / "agendas" / "prog.xlsx", inst),
         [("P", "Gezondheidscentrum", "prog", "care", 0.1, 1, 2026, 5.0)], [("A", "edu", 2.0)])
    (tmp_path / "scen" / "s.toml").write_text('agendas = ["agendas/*.xlsx"]\n[programme]\ndiscount_rate = 0.0\n')
    from allocator.instance import load_instance

    loaded = load_instance(folder)
    sc = resolve_scenario(loaded, tmp_path / "scen" / "s.toml")
    r = run_programme(InstanceData.prepare(loaded, sc), "2026-2027")
    assert r.check == "passed"
    assert r.projects.set_index("project_id").loc["P", "start_year"] == 2026
    assert r.run.horizon.data.priorities[("A", "edu")] == pytest.approx(2.0)


@pytest.mark.parametrize("pattern", ["../elsewhere/*.xlsx", "/etc/*.xlsx", "../../agenda.xlsx", "sub/../../a.xlsx"])
def test_agendas_stay_inside_the_scenario_folder(tmp_path, pattern):
    """As 'extends': a scenario reads kansenagenda workbooks from its own folder (or below), nowhere else."""
    from allocator.instance import load_instance

    folder = write_instance(tmp_path / "inst", tiny_tables())
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "s.toml").write_text(f'agendas = ["{pattern}"]\n')
    with pytest.raises(InputError, match="lies outside"):
        resolve_scenario(load_instance(folder), tmp_path / "scen" / "s.toml")


def test_validate_checks_a_scenarios_agendas(tmp_path):
    """regio validate -s reads the scenario's kansenagenda workbooks: counts when they are good, the cell when not."""
    from click.testing import CliRunner

    from regio_cli.main import cli

    folder = write_instance(tmp_path / "inst", tiny_tables())
    inst = instance(tiny_tables())
    (tmp_path / "scen" / "agendas").mkdir(parents=True)
    book = fill(write_template(tmp_path / "scen" / "agendas" / "a.xlsx", inst),
                [("P", "Zorghub", "A", "care", 1.0, 2, 2027, 0.5)])
    (tmp_path / "scen" / "s.toml").write_text('agendas = ["agendas/*.xlsx"]\n')
    good = CliRunner().invoke(cli, ["validate", str(folder), "-s", str(tmp_path / "scen" / "s.toml")])
    assert good.exit_code == 0 and "1 workbook(s), 1 project(s)" in good.output
    fill(book, [("P", "Zorghub", "Z", "care", 1.0, 2, 2027, 0.5)])
    bad = CliRunner().invoke(cli, ["validate", str(folder), "-s", str(tmp_path / "scen" / "s.toml")])
    assert bad.exit_code == 1 and "a.xlsx [sheet projects], row 2, column 'region'" in bad.output
