"""The Python entry point: its examples run, it agrees with the command line, overrides are validated."""

from __future__ import annotations

import doctest
import json

import pytest
from click.testing import CliRunner

import allocator
import allocator.api
import allocator.multiyear.run
from allocator.errors import InputError
from regio_cli.main import cli


def test_the_docstring_examples_run():
    for module in (allocator, allocator.api, allocator.multiyear.run):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0


def test_python_and_command_line_give_the_same_answer_on_nl():
    r = allocator.solve(allocator.load_instance("nl"))
    cli_run = CliRunner().invoke(cli, ["solve", "--json"])
    assert cli_run.exit_code == 0, cli_run.output
    assert r.welfare == pytest.approx(json.loads(cli_run.output)["welfare"], rel=1e-6)
    assert "name" in r.allocation.columns and r.status == "optimal" and r.check == "passed"


def test_a_higher_shortfall_price_never_raises_the_shortfall():
    inst = allocator.load_instance("gen:S:1")
    assert allocator.solve(inst, shortfall_price=20000).shortfall <= allocator.solve(inst).shortfall + 1e-6


def test_overrides_are_validated_like_a_file():
    with pytest.raises(InputError, match="shortfall_price"):
        allocator.solve("gen:S:0", shortfall_price="high")
    with pytest.raises(InputError, match="hold_harmles"):
        allocator.solve("gen:S:0", hold_harmles="region")


def test_a_result_writes_its_folder_and_report(tmp_path):
    r = allocator.solve("gen:S:0", hold_harmless="region")
    folder = r.to_folder(tmp_path / "plan")
    assert (folder / "region_totals.csv").exists() and json.loads((folder / "summary.json").read_text())["check"] == "passed"


def test_the_users_answers_write_the_folders_the_report_reads(tmp_path):
    from allocator.reports.page import build_report

    vng = allocator.extra_budget("gen:S:0", hold_harmless="region")
    assert vng.extra_budget is not None and vng.regions_worse_off == 0
    page = vng.report(tmp_path / "vng")
    assert page.name == "report.html" and build_report(tmp_path / "vng").kind == "extra-budget"
    front = allocator.pareto("gen:S:0", points=3)
    front.to_folder(tmp_path / "front", excel=True)
    assert build_report(tmp_path / "front").kind == "pareto" and (tmp_path / "front" / "tables.xlsx").exists()
    with pytest.raises(InputError, match="not empty"):
        front.to_folder(tmp_path / "front")  # an existing folder is replaced only with force=True
