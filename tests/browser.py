"""Debian's Chromium driven by Playwright (no browser download), for the report's and the web app's tests.

``.ci/run`` installs Chromium and sets REGIO_REQUIRE_BROWSER=1, so there a missing browser fails a test
instead of skipping it.  Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.helpers import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
# flags for a closed network: no background connections that would be refused at every start
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip without Chromium, or fail where CI demands it."""
    if CHROMIUM is None:
        if os.environ.get("REGIO_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("chromium is not installed")


@contextmanager
def browser_page(width: int = 1250, height: int = 1000) -> Iterator[tuple[object, list[str]]]:
    """A page in headless Chromium and the list its console errors and page errors are collected in."""
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield page, errors
        finally:
            browser.close()
