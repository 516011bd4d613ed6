"""The web app in a real browser: ``regio serve`` on the Dutch default instance, driven by Playwright in
Debian's Chromium (no browser download).

A planner's path: open the page, find a municipality, change λ, run, wait for the map of all 342
municipalities and the gainers-and-losers table, download the CSV tables; no console errors on the way.
Screenshots are kept in ``test-artifacts/``.  ``.ci/run`` installs Chromium and sets
REGIO_REQUIRE_BROWSER=1, so there a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from tests.browser import ARTIFACTS, browser_page, require_browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``regio serve`` (the installed command's code) on a free port, until the module's tests are done."""
    require_browser()  # no server without the browser that would use it
    port = free_port()
    results = tmp_path_factory.mktemp("serve-results")
    log = open(results.parent / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", "from regio_cli.main import cli; cli()", "serve", "nl", "--port", str(port),
                             "--results", str(results)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/api/instance", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"regio serve stopped: {(results.parent / 'serve.log').read_text()}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_a_planner_runs_a_what_if_in_the_browser(server):
    with browser_page(1400, 1000) as (page, errors):
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
        assert page.inner_text("#mun-title") == "Mijn gemeente"  # Dutch by default

        page.fill("#mun-search", "Utrecht")
        page.press("#mun-search", "Enter")
        page.wait_for_selector("#mun-map[data-rendered=true]", timeout=60_000)
        assert "Utrecht" in page.inner_text("#mun-profile") and "%" in page.inner_text("#mun-profile")
        page.select_option("#site-choice", index=0)  # the keyboard's way of fixing a site (the map takes clicks)
        page.click("text=open houden")
        assert page.locator("#forced-list li").count() == 1

        page.fill("#shortfall_price", "4000")
        page.click("#run-solve")
        page.wait_for_selector("#map-change[data-rendered=true]", timeout=240_000)
        shapes = page.locator("#map-change g.mark-shape path").count()
        gainers = page.locator("#section-gainers-losers table tbody tr").count()
        headline = page.inner_text("#headline")
        page.screenshot(path=str(ARTIFACTS / "web_nl.png"), full_page=False)
        page.screenshot(path=str(ARTIFACTS / "web_nl_full.png"), full_page=True)

        with page.expect_download() as download:
            page.click("#download-csv")
        tables = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()

    assert shapes == 342
    assert gainers >= 1
    assert "optimal" in headline and "passed" in headline
    assert "region_totals.csv" in tables
    runs = json.load(urllib.request.urlopen(server + "/api/jobs"))
    assert runs[0]["scenario"]["shortfall_price"] == 4000 and runs[0]["summary"]["status"] == "optimal"
    assert len(runs[0]["scenario"]["force_open"]) == 1
    assert not errors, errors
