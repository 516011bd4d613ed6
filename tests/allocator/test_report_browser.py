"""The report in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download).

The page of a Dutch result must load without console errors and draw one shape per municipality
(342) on the map; a screenshot is kept in ``test-artifacts/``.  ``.ci/run`` installs Chromium and
sets REGIO_REQUIRE_BROWSER=1, so there a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
from allocator.output import run_record
from allocator.scenario import resolve_scenario
from allocator.report import write_report
from tests.helpers import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
# flags for a closed network: no background connections that would be refused at every start
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


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
    if CHROMIUM is None:
        if os.environ.get("REGIO_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1250, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(nl_report.as_uri())
        for chart in ("map-change", "map-coverage", "map-shortfall", "map-weight", "map-facilities", "money-flows"):
            page.wait_for_selector(f"#{chart}[data-rendered=true]", timeout=60_000)
        shapes = page.locator("#map-change g.mark-shape path").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report_nl.png"), full_page=True)
        browser.close()
    assert errors == []
    assert shapes == 342
