"""A matrix of faults through every command: each ends with a documented exit code and a message, never a
traceback, and nothing is written half-way.  Variants of each fault, not only the cases once found."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from allocator.status import (EXIT_CHECK_FAILED, EXIT_CODES, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_IO,
                              EXIT_USAGE, Status)
from regio_cli.main import cli
from tests.conftest import TINY_MANIFEST, tiny_tables, write_instance

DOCUMENTED = {EXIT_INPUT, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_IO, EXIT_INTERRUPTED, *EXIT_CODES.values()}
COMMANDS = {
    "solve": ["solve", "{inst}", "--time-limit", "10"],
    "extra-budget": ["extra-budget", "{inst}", "--time-limit", "10"],
    "compare": ["compare", "{inst}", "-s", "{scen}", "--time-limit", "10"],
    "evaluate": ["evaluate", "{inst}", "--plan", "status-quo", "--time-limit", "10"],
    "pareto": ["pareto", "{inst}", "--points", "2", "--time-limit", "10"],
    "programme": ["programme", "{inst}", "--years", "2026-2027", "--time-limit", "10"],
}


def run(*args):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    assert res.exit_code in DOCUMENTED and res.exit_code != EXIT_INTERNAL, (res.exit_code, res.output)
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


@pytest.fixture
def case(tmp_path):
    inst = write_instance(tmp_path / "inst", tiny_tables())
    scen = tmp_path / "scen" / "s.toml"
    scen.parent.mkdir()
    scen.write_text("shortfall_price = 100.0\n", encoding="utf-8")
    return tmp_path, inst, scen


def _args(name, inst, scen, *extra):
    return [a.format(inst=inst, scen=scen) for a in COMMANDS[name]] + list(extra)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("fault", ["unwritable", "symlink", "file", "not-empty"])
def test_every_command_refuses_an_output_it_cannot_write_before_solving(case, command, fault):
    tmp, inst, scen = case
    target = {"unwritable": "/proc/regio-test/out", "file": str(scen), "not-empty": str(scen.parent)}.get(fault)
    if fault == "symlink":
        (tmp / "real").mkdir()
        os.symlink(tmp / "real", tmp / "link")
        target = str(tmp / "link")
    res = run(*_args(command, inst, scen, "--out", target))
    assert res.exit_code in (EXIT_INPUT, EXIT_USAGE) and target in res.output
    assert scen.read_text() == "shortfall_price = 100.0\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("extends", ["/dev/zero", ".", "../inst/instance.toml", "missing.toml", "/etc/passwd"])
def test_every_command_refuses_a_scenario_that_extends_a_file_it_may_not_read(case, command, extends):
    tmp, inst, scen = case
    bad = scen.parent / "bad.toml"
    bad.write_text(f'extends = "{extends}"\n', encoding="utf-8")
    args = _args(command, inst, scen)
    args = [str(bad) if a == str(scen) else a for a in args] if command == "compare" else args + ["-s", str(bad)]
    res = run(*args)
    assert res.exit_code == EXIT_INPUT and "passwd" not in res.output.replace(extends, "") or extends != "/etc/passwd"
    assert res.exit_code == EXIT_INPUT


@pytest.mark.parametrize("text", ["\ufeffshortfall_price = 100.0\n", "shortfall_price = 100.0\r\n"])
def test_a_byte_order_mark_or_windows_line_ends_are_read(case, text):
    tmp, inst, scen = case
    scen.write_text(text, encoding="utf-8")
    assert run("scenario", inst, "-s", scen).exit_code == 0


@pytest.mark.parametrize("args", [["solve", "--bogus"], ["solve", "--time-limit", "abc"], ["nosuchcommand"],
                                  ["pareto", "--points", "100000"], ["solve", "--csv", "xls"]])
def test_usage_errors_have_their_own_exit_code(args):
    assert run(*args).exit_code == EXIT_USAGE


@pytest.mark.parametrize("limit", ["0", "-5"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_one_time_limit_rule_for_every_command(case, command, limit):
    tmp, inst, scen = case
    args = [a for a in _args(command, inst, scen)]
    args[args.index("--time-limit") + 1] = limit
    res = run(*args)
    assert res.exit_code == EXIT_INPUT and "time_limit" in res.output


@pytest.mark.parametrize("where", ["../secret.geojson", "/etc/hostname", "."])
def test_boundaries_outside_the_instance_folder_are_refused(tmp_path, where):
    (tmp_path / "secret.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    inst = write_instance(tmp_path / "inst", tiny_tables(), {**TINY_MANIFEST, "boundaries": where})
    out = tmp_path / "out"
    res = run("solve", inst, "--out", out, "--report")
    assert res.exit_code == EXIT_INPUT and "boundaries" in res.output


@pytest.mark.parametrize("tamper", ["summary.json", "scenario.toml", "run.json"])
@pytest.mark.parametrize("content", ["", "{", "[1, 2]", "hold_harmless = 'nowhere'\n"])
def test_a_result_folder_edited_by_hand_gives_an_error_not_a_traceback(case, tamper, content):
    tmp, inst, scen = case
    out = tmp / "out"
    assert run("solve", inst, "--out", out).exit_code == 0
    (out / tamper).write_text(content, encoding="utf-8")
    res = run("report", out)
    assert res.exit_code in (0, EXIT_INPUT)


@pytest.mark.parametrize("content", ["", "region_id,domain_id\n", 'region_id,domain_id,plan\n"A,care,1\n',
                                     "\x00\x01\x02", "region_id;domain_id;plan\nA;care;-1,5\n"])
def test_evaluate_on_a_broken_plan_names_the_file(case, content):
    tmp, inst, scen = case
    plan = tmp / "plan"
    assert run("solve", inst, "--out", plan).exit_code == 0
    (plan / "allocation.csv").write_text(content, encoding="utf-8")
    res = run("evaluate", inst, "--plan", plan)
    assert res.exit_code in (EXIT_INPUT, 2) and ("allocation.csv" in res.output or res.exit_code == 2)


def test_evaluate_reads_back_what_regio_wrote_even_with_quoted_formula_ids(tmp_path):
    t = tiny_tables()
    for name in ("regions", "baseline", "demand_points", "sites"):
        t[name]["region_id"] = t[name]["region_id"].replace({"A": "=A", "B": "-B"})
    inst = write_instance(tmp_path / "inst", t)
    plan = tmp_path / "plan"
    assert run("solve", inst, "--out", plan).exit_code == 0
    assert "'=A" in (plan / "allocation.csv").read_text()
    res = run("evaluate", inst, "--plan", plan, "--json")
    assert res.exit_code == 0 and json.loads(res.output)["check"] == "passed"


@pytest.mark.parametrize("table, column, value, words", [
    ("demand_points", "lat", "95", "latitude"), ("sites", "lon", "200", "longitude"),
    ("domains", "marginal_welfare", "1e308", "implausibly large"), ("streams", "amount", "inf", "not a number"),
])
def test_accepted_nonsense_is_refused_with_file_row_and_column(tmp_path, table, column, value, words):
    t = tiny_tables()
    t[table][column] = t[table][column].astype(object)
    t[table].loc[0, column] = value
    inst = write_instance(tmp_path / "inst", t, {k: v for k, v in TINY_MANIFEST.items() if k != "bounds"})
    res = run("validate", inst)
    assert res.exit_code == EXIT_INPUT and words in res.output and column in res.output and "row 2" in res.output


def test_a_dutch_excel_csv_is_named_as_such(tmp_path):
    inst = write_instance(tmp_path / "inst", tiny_tables())
    path = inst / "regions.csv"
    path.write_text(path.read_text().replace(",", ";").replace("52.0", "52,0"), encoding="utf-8")
    res = run("validate", inst)
    assert res.exit_code == EXIT_INPUT and "semicolons" in res.output and "regions.csv" in res.output


def test_solve_shows_the_instance_warnings_in_text_and_json(case):
    tmp, inst, scen = case
    res = run("solve", inst, "--json")
    assert any("no gp site within the norm" in w for w in json.loads(res.output)["warnings"])


@pytest.mark.parametrize("norm", ["1e9", "-1"])
def test_a_norm_that_would_inflate_the_model_is_refused(case, norm):
    tmp, inst, scen = case
    res = run("solve", inst, "--set", f"norms.gp={norm}")
    assert res.exit_code == EXIT_INPUT and "norms" in res.output


def test_a_result_folder_is_readable_by_others_under_umask_022(case):
    tmp, inst, scen = case
    old = os.umask(0o022)
    try:
        assert run("solve", inst, "--out", tmp / "res").exit_code == 0
    finally:
        os.umask(old)
    assert (tmp / "res").stat().st_mode & 0o777 == 0o755


def test_an_interrupted_replacement_gives_the_old_results_back(case):
    tmp, inst, scen = case
    out = tmp / "res"
    assert run("solve", inst, "--out", out).exit_code == 0
    out.rename(tmp / ".res.old")  # killed between moving the old folder aside and moving the new one in
    stale = tmp / ".res.abc123"
    stale.mkdir()
    os.utime(stale, (0, 0))  # a killed run's temporary folder, untouched for a long time
    assert run("solve", inst, "--out", out, "--force").exit_code == 0
    assert (out / "summary.json").exists() and not (tmp / ".res.old").exists() and not stale.exists()


def test_a_model_too_large_for_the_memory_budget_is_refused_before_it_is_built(case):
    from allocator.model_size import estimate

    import allocator

    tmp, inst, scen = case
    data = allocator.prepare(inst)
    assert estimate(data).arcs == len(data.reach)  # counted without listing, exactly
    res = run("solve", inst, "--set", "norms.gp=9999", "--set", "solver.memory_limit_mb=150.001", "--json")
    assert res.exit_code == EXIT_INPUT and "memory_limit_mb" in res.output and "reach arcs" in res.output


@pytest.mark.parametrize("table", ["demand_points", "regions", "domains", "streams"])
def test_a_table_with_a_header_and_no_rows_is_an_input_error(tmp_path, table):
    t = tiny_tables()
    t[table] = t[table].iloc[0:0]
    inst = write_instance(tmp_path / "inst", t)
    res = run("solve", inst)
    assert res.exit_code == EXIT_INPUT and f"{table}.csv" in res.output and "no rows" in res.output


def test_an_instance_without_sites_is_a_budget_only_instance(tmp_path):
    t = tiny_tables()
    t["sites"] = t["sites"].iloc[0:0]
    t["streams"]["amount"] = [10.0, 8.0]  # the status quo no longer pays gpA
    assert run("solve", write_instance(tmp_path / "inst", t)).exit_code == 0


@pytest.mark.parametrize("fault", ["no-folder", "tampered-summary", "missing-table", "incomplete-year", "bad-number",
                                   "year-outside"])
def test_monitor_refuses_broken_programme_or_realised_folders(case, fault):
    """Every broken input of regio monitor is an input error naming the file, and nothing is written."""
    tmp, inst, scen = case
    prog = tmp / "P"
    assert run("programme", inst, "--years", "2026-2027", "--out", prog).exit_code == 0
    real = tmp / "R"
    real.mkdir()
    for name in ("allocation_by_year.csv", "facilities_by_year.csv"):
        (real / name).write_text((prog / name).read_text())
    year, named = "2027", None
    if fault == "no-folder":
        prog, named = tmp / "nowhere", "nowhere"
    elif fault == "tampered-summary":
        (prog / "summary.json").write_text("{not json", encoding="utf-8")
        named = "summary.json"
    elif fault == "missing-table":
        (real / "facilities_by_year.csv").unlink()
        named = "facilities_by_year.csv"
    elif fault == "incomplete-year":
        text = (real / "allocation_by_year.csv").read_text().splitlines()
        (real / "allocation_by_year.csv").write_text("\n".join(text[:2]) + "\n")
        named = "allocation_by_year.csv"
    elif fault == "bad-number":
        text = (real / "allocation_by_year.csv").read_text().replace(",2026,", ",twintig,", 1)
        (real / "allocation_by_year.csv").write_text(text)
        named = "allocation_by_year.csv"
    else:
        year, named = "2031", "--from-year"
    out = tmp / "M"
    res = run("monitor", "--programme", prog, "--realised", real, "--from-year", year, "--out", out)
    assert res.exit_code == EXIT_INPUT and named in res.output
    assert not out.exists()


@pytest.mark.parametrize("args", [["solve", "gen:M:0", "--time-limit", "0.05"],
                                  ["programme", "gen:S:0", "--years", "2026-2035", "--time-limit", "0.2"],
                                  ["pareto", "gen:M:0", "--points", "2", "--time-limit", "0.05"]])
def test_the_time_limit_bounds_the_build_as_well(tmp_path, args):
    """A build that outlasts the time limit stops with time_limit_no_solution (exit 3), says so, writes nothing."""
    out = tmp_path / "out"
    res = run(*args, "--out", out, "--json")
    assert res.exit_code == EXIT_CODES[Status.TIME_LIMIT_NO_SOLUTION]
    j = json.loads(res.output)
    assert j["status"] == "time_limit_no_solution" and "the build" in j["errors"][0]["message"]
    assert not out.exists()


GRID = 'kind = "product"\n[values]\nshortfall_price = [0, 5000]\n'
# every command that reads a file or folder the user names: (arguments, the input to fault); {in} is faulted
READERS = {
    "validate": (["validate", "{in}"], "instance"),
    "scenario": (["scenario", "{inst}", "-s", "{in}"], "scenario"),
    "solve": (["solve", "{inst}", "-s", "{in}", "--time-limit", "10"], "scenario"),
    "programme": (["programme", "{inst}", "-s", "{in}", "--years", "2026-2027", "--time-limit", "10"], "scenario"),
    "report": (["report", "{in}"], "result"),
    "orlib": (["orlib", "pmed", "{in}"], "pmed"),
    "sweep": (["sweep", "{inst}", "--grid", "{in}", "--out", "{out}"], "grid"),
    "evaluate": (["evaluate", "{inst}", "--plan", "{in}", "--time-limit", "10"], "result"),
    "template": (["template", "kansenagenda", "{in}", "--out", "{out}.xlsx"], "instance"),
}


def _faulted(tmp, kind, fault):
    """A file or folder of ``kind`` broken by ``fault``: missing, empty, garbage (bytes no reader accepts), or a
    symlink to a place it must not read."""
    path = tmp / f"faulted-{kind}"
    folder = kind in ("instance", "result")
    if fault == "missing":
        return path
    if fault == "symlink":
        os.symlink("/etc" if folder else "/etc/passwd", path)
        return path
    if folder:
        path.mkdir()
        if fault == "garbage":
            for name in ("instance.toml", "summary.json", "run.json", "regions.csv", "allocation.csv", "facilities.csv"):
                (path / name).write_bytes(b"\x00\xff garbage \xfe;;\n")
        return path
    path.write_bytes(b"" if fault == "empty" else b"\x00\xff garbage = = [[\n\xfe")
    return path


@pytest.mark.parametrize("command", sorted(READERS))
@pytest.mark.parametrize("fault", ["missing", "empty", "garbage", "symlink"])
def test_every_reader_gives_a_documented_exit_and_a_message_for_a_broken_input(case, command, fault):
    """The fault matrix over every command that reads a user's file: never a traceback, always a documented exit
    code, the faulted path named (an empty scenario is a valid one: it means the defaults), nothing written."""
    tmp, inst, scen = case
    args, kind = READERS[command]
    bad = _faulted(tmp, kind, fault)
    out = tmp / "out"
    res = run(*[a.format(inst=inst, scen=scen, out=out, **{"in": bad}) for a in args])
    if fault == "empty" and kind == "scenario":
        assert res.exit_code in (0, EXIT_CODES[Status.OPTIMAL])
        return
    assert res.exit_code in (EXIT_INPUT, EXIT_IO), res.output
    assert str(bad.name) in res.output or "faulted" in res.output, res.output
    assert "root:" not in res.output  # nothing of /etc/passwd echoed
    assert not out.exists() and not (tmp / "out.xlsx").exists()


@pytest.mark.parametrize("command", ["sweep", "template", "report", "orlib"])
@pytest.mark.parametrize("fault", ["unwritable", "symlink", "file"])
def test_the_other_writers_refuse_an_output_they_cannot_write(case, command, fault):
    """sweep, template kansenagenda, report and orlib --json: an output they cannot (or must not) write ends with a
    documented code naming it, and the target is left as it was."""
    tmp, inst, scen = case
    target = {"unwritable": "/proc/regio-test/out", "file": str(scen)}.get(fault)
    if fault == "symlink":
        (tmp / "real").mkdir()
        os.symlink(tmp / "real", tmp / "link")
        target = str(tmp / "link")
    grid = tmp / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    result = tmp / "res"
    assert run("solve", inst, "--out", result, "--time-limit", "10").exit_code == 0
    pmed = tmp / "p.txt"
    pmed.write_text("4 4 2\n1 2 5\n2 3 3\n3 4 2\n4 1 7\n")
    args = {"sweep": ["sweep", inst, "--grid", grid, "--out", target],
            "template": ["template", "kansenagenda", inst, "--out", target],
            "report": ["report", result, "--out", target],
            "orlib": ["orlib", "pmed", pmed, "--json"]}[command]
    if command == "orlib":  # writes nothing: its JSON goes to standard output whatever the fault
        assert run(*args).exit_code == 0
        return
    before = scen.read_text()
    res = run(*args)
    assert res.exit_code in (EXIT_INPUT, EXIT_IO, EXIT_USAGE) and (target in res.output or "regio-test" in res.output), \
        res.output
    assert scen.read_text() == before
    assert not (fault == "symlink" and any((tmp / "real").iterdir()))


@pytest.mark.parametrize("edge", ["2 3 -3", "2 3 nan", "2 3 1e999"])
def test_a_p_median_file_with_a_negative_or_infinite_edge_is_refused_at_once(tmp_path, edge):
    """A negative edge made the shortest-path step loop forever; now the file is refused, naming the edge."""
    path = tmp_path / "p.txt"
    path.write_text(f"4 4 2\n1 2 5\n{edge}\n3 4 2\n4 1 7\n")
    res = run("orlib", "pmed", path)
    assert res.exit_code == EXIT_INPUT and str(path) in res.output


def test_a_thread_count_beyond_the_machine_is_capped(case):
    """[solver] threads = 100000 aborted HiGHS after 97 s; it is capped to the cores there are."""
    tmp, inst, scen = case
    scen.write_text("[solver]\nthreads = 100000\n", encoding="utf-8")
    res = run("solve", inst, "-s", scen, "--json")
    assert res.exit_code == 0 and json.loads(res.output)["status"] == "optimal"


def test_an_excel_instance_makes_reports(tmp_path):
    """The report looked for the map inside the workbook's path; a workbook instance now reports like a folder."""
    import pandas as pd
    import tomli_w

    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as w:
        for name, frame in tiny_tables().items():
            frame.to_excel(w, sheet_name=name, index=False)
    (tmp_path / "book.toml").write_text(tomli_w.dumps(TINY_MANIFEST), encoding="utf-8")
    res = run("solve", book, "--out", tmp_path / "X", "--report")
    assert res.exit_code == 0 and (tmp_path / "X" / "report.html").exists()
