"""``regio validate`` and ``regio scenario`` through click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from regio_cli.main import cli


def test_validate_default_instance_json():
    res = CliRunner().invoke(cli, ["validate", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["valid"] and out["regions"] == 342 and out["population"] == 17_942_942
    assert out["demand_points"] == 1427  # 1 109 centres + rest-of-municipality points of ≥ 200 persons and out["sites"] > 1000


def test_validate_text(tiny_dir):
    res = CliRunner().invoke(cli, ["validate", str(tiny_dir)])
    assert res.exit_code == 0 and res.output.rstrip().endswith("valid")


def test_validate_bad_input_exit_1_no_traceback(tiny_dir):
    (tiny_dir / "regions.csv").write_text("region_id,name,population,bw_index,province\nA,Alpha,-3,1,P\nB,Beta,3000,1,P\n")
    res = CliRunner().invoke(cli, ["validate", str(tiny_dir)])
    assert res.exit_code == 1
    assert "regions.csv, row 2, column 'population'" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["validate", str(tiny_dir), "--json"])
    out = json.loads(res.stdout)
    assert res.exit_code == 1 and out["valid"] is False
    assert {"file", "row", "column", "message"} <= set(out["errors"][0])


def test_scenario_prints_resolved_toml(tiny_dir, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extra_budget = 12.5\n')
    res = CliRunner().invoke(cli, ["scenario", str(tiny_dir), "-s", str(f)])
    assert res.exit_code == 0 and "extra_budget = 12.5" in res.output and 'name = "s"' in res.output


def test_the_command_line_loads_without_the_engine():
    """``regio --help`` and the start of every command load click and the scenario's checks, not pandas, Pyomo or
    the solver's code: a command imports those when it runs, and ``regio pareto --workers 2`` starts its worker
    first, so that both import them at once."""
    from tests.helpers import loaded_after

    engine = ("pandas", "pyomo", "scipy", "allocator.api", "allocator.procedures.modes")
    assert loaded_after("import regio_cli.main", engine) == []
