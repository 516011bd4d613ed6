"""What a planner waits for in the web app: what-ifs on ``nl`` through the HTTP API, as the page asks them.

    python -m pytest tests/benchmarks/test_web_bench.py -m benchmark --benchmark-json=web.json

The app runs its real worker (a spawned process keeping a warm model); each row is one what-if from the
request to the page's data: ``POST /api/solve``, ``GET /api/jobs/ID?wait=`` until the job ends (the page
follows a job this way), then ``GET /api/jobs/ID/view``.  Unlike ``test_whatif_bench.py``, whose rows each
start from the same warm model, these rows are one planner's session in this order (:data:`SESSION`), so
each may use the solves of the rows before it — going back to the default is answered by its own earlier
solve, λ 3,000 by those at 2,000 and 4,000 — as it would in the app.  Each row records the job's own
seconds, HiGHS's status line and the worker's peak RSS.  Before each row the planner reads the last answer
for :data:`READING` seconds (not timed): the worker collects a what-if's garbage then
(:mod:`allocator.web.worker`), as it would while a planner looks at a result.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from allocator.web.app import create_app

pytestmark = pytest.mark.benchmark

SESSION = {  # row -> the scenario values the page sends, in the order a planner might ask them
    "alpha_2": {"equity_alpha": 2.0},
    "default_again": {},
    "lambda_4000": {"shortfall_price": 4000},
    "lambda_3000": {"shortfall_price": 3000},  # between the 2,000 and 4,000 solved before
    "alpha_2_again": {"equity_alpha": 2.0},
    "hold_harmless_none": {"hold_harmless": "none"},
    "extra_money_50": {"extra_budget": 50},
    "norm_gp_4km": {"norms": {"gp_practice": 4}},  # rebuilds the model
    "default_after_norm": {},  # back to the default's model, kept meanwhile: its own earlier solve holds
    "norm_gp_4km_again": {"norms": {"gp_practice": 4}},  # back to the norm's model, kept meanwhile
}
FINAL = ("done", "failed", "cancelled")
READING = 1.0  # seconds a planner looks at an answer before asking the next what-if (the setup; not timed)


def worker_peak_rss_mb(pid: int) -> float | None:
    """The worker process's peak resident memory (VmHWM), where /proc has it."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    line = next((ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else None


def ask(client: TestClient, scenario: dict) -> tuple[dict, dict]:
    """One what-if as the page asks it: the finished job's record and its view."""
    job = client.post("/api/solve", json={"scenario": scenario}).json()["job"]
    record = client.get(f"/api/jobs/{job}?wait=10").json()
    while record["status"] not in FINAL:
        record = client.get(f"/api/jobs/{job}?wait=10").json()
    view = client.get(f"/api/jobs/{job}/view?lang=nl")
    assert view.status_code == 200, view.text
    return record, view.json()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(create_app("nl", tmp_path_factory.mktemp("web-bench"), workers=1)) as c:
        record, _ = ask(c, {})  # the default scenario, solved cold: the warm model every row starts from
        assert record["result"]["status"] == "optimal"
        yield c


@pytest.mark.parametrize("row", list(SESSION))
def test_web_what_if_nl(benchmark, client, row):
    seen = {}

    def what_if():
        t0 = time.perf_counter()
        seen["record"], seen["view"] = ask(client, SESSION[row])
        seen["seconds"] = time.perf_counter() - t0

    benchmark.pedantic(what_if, setup=lambda: time.sleep(READING), rounds=1, iterations=1)
    record, result = seen["record"], seen["record"].get("result", {})
    benchmark.extra_info.update(job_seconds=record.get("seconds"), status=result.get("status"),
                                mip_gap=result.get("mip_gap"), check=result.get("check"),
                                rebuilt=result.get("rebuilt"), highs=result.get("highs_status"),
                                worker_peak_rss_mb=worker_peak_rss_mb(record["worker"]))
    assert record["status"] == "done" and result["status"] == "optimal" and result["check"] == "passed"
    assert seen["view"]["sections"]
