"""``regio solve`` end to end: the default Dutch instance, JSON keys, output folder, exit codes."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from regio_cli.main import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_default_instance_solves_and_checks(tmp_path):
    """Optimal, or a proven gap ≤ 0.5 % within 60 s; the checker passes."""
    out = tmp_path / "nl"
    res = invoke("solve", "--json", "--time-limit", "60", "--out", str(out))
    j = json.loads(res.output)
    assert j["status"] in ("optimal", "time_limit_feasible") and j["mip_gap"] <= 0.005
    assert res.exit_code == {"optimal": 0, "time_limit_feasible": 5}[j["status"]]
    assert j["check"] == "passed"
    for key in ("objective", "welfare", "shortfall", "mip_gap", "build_seconds", "solve_seconds", "rows", "columns",
                "nonzeros", "binaries"):
        assert key in j
    alloc = pd.read_csv(out / "allocation.csv")
    assert alloc["region_id"].nunique() == 342
    summary = json.loads((out / "summary.json").read_text())  # the folder's summary is what --json printed
    assert {k: summary[k] for k in ("status", "check", "warnings", "welfare")} == {k: j[k] for k in
                                                                                 ("status", "check", "warnings", "welfare")}
    assert (out / "scenario.toml").read_text().count("hold_harmless") == 1


def test_lexicographic_and_text_summary():
    res = invoke("solve", "gen:S:0", "--mode", "lexicographic")
    assert res.exit_code == 0, res.output
    assert "status      optimal" in res.output and "check       passed" in res.output
    assert "indicators  Gini of welfare per inhabitant" in res.output and "price of fairness" in res.output


def test_out_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = invoke("solve", "gen:S:0", "--out", str(out))
    assert res.exit_code == 1 and "use --force" in res.output
    assert (out / "keep.txt").read_text() == "mine"
    res = invoke("solve", "gen:S:0", "--out", str(out), "--force")
    assert res.exit_code == 0 and not (out / "keep.txt").exists() and (out / "allocation.csv").exists()


def test_hard_mode_infeasible_exit_2_names_regions(tmp_path):
    f = tmp_path / "hard.toml"
    f.write_text('min_service = "hard"\n')
    res = invoke("solve", "gen:S:0", "-s", str(f), "--json")
    assert res.exit_code == 2
    j = json.loads(res.output)
    assert j["status"] == "infeasible" and j["blocked"] and {"region_id", "ftype_id", "missing"} <= set(j["blocked"][0])


def test_the_command_line_loads_the_report_libraries_only_for_a_report():
    """Altair and vl-convert cost 35 MB of a solve's memory; they load when a report is written, not before."""
    import subprocess
    import sys

    code = "import sys, regio_cli.main, allocator.api; print(sorted(m for m in ('altair', 'vl_convert') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
