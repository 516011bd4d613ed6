"""The report in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download).

The page of a Dutch result must load without console errors and draw one shape per municipality
(342) on the map; a screenshot is kept in ``test-artifacts/``.  ``.ci/run`` installs Chromium and
sets REGIO_REQUIRE_BROWSER=1, so there a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
from allocator.output import run_record
from allocator.scenario import resolve_scenario
from allocator.reports.page import write_report
from tests.browser import ARTIFACTS, browser_page


@pytest.fixture(scope="module")
def nl_report(tmp_path_factory) -> Path:
    """A short (time-limited) solve of the default instance, written with its report."""
    inst = load_instance("nl")
    data = InstanceData.prepare(inst, resolve_scenario(inst, None, {"solver": {"time_limit": 10}}))
    run = solve(build(data), indicators=False)
    assert run.solution is not None
    folder = tmp_path_factory.mktemp("nl") / "result"
    run.solution.write(folder, run_record=run_record("solve", data))
    return write_report(folder)


def test_nl_report_renders_every_municipality_without_console_errors(nl_report):
    with browser_page() as (page, errors):
        page.goto(nl_report.as_uri())
        for chart in ("map-change", "map-coverage", "map-shortfall", "map-weight", "map-facilities", "money-flows"):
            page.wait_for_selector(f"#{chart}[data-rendered=true]", timeout=60_000)
        shapes = page.locator("#map-change g.mark-shape path").count()
        page.screenshot(path=str(ARTIFACTS / "report_nl.png"), full_page=True)
    assert errors == []
    assert shapes == 342
