"""The web app's JSON API with FastAPI's test client: validation (422 naming the key), a full queue (429),
cancel (queued and running), results that survive a restart, downloads, and no file named by a request.

The app runs its real worker pool (spawned processes) on small generated instances, so what is tested is
what ``regio serve`` runs.  The browser test is ``tests/allocator/web/test_browser.py``.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np
import openpyxl
import pytest
from fastapi.testclient import TestClient

import allocator
from allocator.status import Status
from allocator.web.app import MAX_BODY, create_app
from allocator.web.store import to_json

FINAL = ("done", "failed", "cancelled")


def wait(client: TestClient, job: str, timeout: float = 120.0, until=FINAL) -> dict:
    """Poll a job until its status is one of ``until``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        record = client.get(f"/api/jobs/{job}").json()
        if record["status"] in until:
            return record
        time.sleep(0.2)
    raise AssertionError(f"job {job} still {record['status']} after {timeout} s")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return tmp_path_factory.mktemp("web-results")


@pytest.fixture(scope="module")
def client(results):
    with TestClient(create_app("gen:S:0", results, workers=1, max_jobs=4)) as c:
        yield c


@pytest.fixture(scope="module")
def solved(client) -> dict:
    """One finished solve at λ = 4000."""
    response = client.post("/api/solve", json={"scenario": {"shortfall_price": 4000}, "label": "<b>λ 4000</b>"})
    assert response.status_code == 202, response.text
    return wait(client, response.json()["job"])


def test_page_and_instance(client):
    page = client.get("/")
    assert page.status_code == 200 and 'lang="nl"' in page.text and "/vega.js" in page.text
    assert 'lang="en"' in client.get("/?lang=en").text
    assert 'lang="nl"' in client.get("/?lang=<script>").text  # an unknown language falls back, never echoed
    inst = client.get("/api/instance").json()
    assert inst["scenario"]["shortfall_price"] == 2000 and inst["facility_types"]
    assert client.get("/vega.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/openapi.json").json()["paths"]["/api/solve"]


def test_a_solve_job_finishes_with_the_engine_s_answer(client, solved):
    assert solved["status"] == "done", solved
    result = solved["result"]
    assert result["check"] == "passed" and result["status"] == "optimal"
    expected = allocator.solve("gen:S:0", shortfall_price=4000)
    assert result["objective"] == pytest.approx(expected.objective, rel=2e-4)  # both optimal within the MIP gap


def test_a_bad_scenario_value_answers_422_naming_the_key(client):
    for body, key in (({"scenario": {"shortfall_price": "high"}}, "shortfall_price"),
                      ({"scenario": {"nonsense": 1}}, "nonsense"),
                      ({"scenario": {"solver": {"time_limit": -1}}}, "solver.time_limit"),
                      ({"scenario": {"norms": {"no-such-type": 3}}}, "norms")):
        response = client.post("/api/solve", json=body)
        assert response.status_code == 422, body
        assert key in response.text
    assert client.post("/api/solve", json={"scenario": {}, "mode": "fastest"}).status_code == 422
    assert client.post("/api/pareto", json={"points": 1000}).status_code == 422
    assert "years" in client.post("/api/programme", json={"years": "soon"}).text


def test_no_request_names_a_file(client):
    for key, value in (("extends", "/etc/passwd"), ("agendas", ["../../secret.xlsx"])):
        response = client.post("/api/solve", json={"scenario": {key: value}})
        assert response.status_code == 422 and key in response.text
    for bad in ("..%2F..%2Fetc%2Fpasswd", "..", "20261202-000000-zzzzzz", "x" * 300):
        assert client.get(f"/api/jobs/{bad}").status_code == 404
        assert client.get(f"/api/jobs/{bad}/download/csv").status_code == 404
    assert client.get("/api/municipalities/GM9999").status_code == 404


def test_request_bodies_are_bounded(client):
    huge = {"scenario": {"description": "x" * (MAX_BODY + 10)}}
    assert client.post("/api/solve", json=huge).status_code == 413


def strict(text: bytes):
    """The body as a browser's JSON.parse reads it: NaN and Infinity are not JSON."""
    def refuse(token):
        raise ValueError(f"{token} in JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_with_nan_as_null_and_numpy_as_numbers():
    value = {"nan": float("nan"), "inf": [float("inf"), -np.inf], "np": np.float64(1.5), "int": np.int64(3),
             "array": np.array([1.0, np.nan]), 7: Status.OPTIMAL, "text": "NaN, Infinity"}
    assert strict(to_json(value)) == {"nan": None, "inf": [None, None], "np": 1.5, "int": 3, "array": [1.0, None],
                                      "7": "optimal", "text": "NaN, Infinity"}


def test_the_result_view_and_downloads(client, solved):
    job = solved["id"]
    view = strict(client.get(f"/api/jobs/{job}/view?lang=nl").content)
    headings = [s["heading"] for s in view["sections"]]
    assert "Winnaars en verliezers" in headings
    gainers = next(s for s in view["sections"] if s["id"] == "gainers-losers")
    assert "Naam" in [c["label"] for c in gainers["table"]["columns"]]
    csv = client.get(f"/api/jobs/{job}/download/csv")
    names = zipfile.ZipFile(io.BytesIO(csv.content)).namelist()
    assert "region_totals.csv" in names and "scenario.toml" in names
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/jobs/{job}/download/xlsx").content))
    assert "region_totals" in book.sheetnames
    html = client.get(f"/api/jobs/{job}/download/html")
    assert html.status_code == 200 and "<html" in html.text
    runs = client.get("/api/jobs").json()
    assert runs[0]["id"] == job and runs[0]["label"] == "<b>λ 4000</b>"  # JSON as given; the page shows it as text


def test_a_queued_job_is_cancelled_before_it_starts_and_a_full_queue_answers_429(results, tmp_path):
    with TestClient(create_app("gen:S:0", tmp_path, workers=1, max_jobs=2)) as c:
        first = c.post("/api/pareto", json={"points": 5}).json()["job"]
        second = c.post("/api/solve", json={}).json()["job"]
        full = c.post("/api/solve", json={})
        assert full.status_code == 429 and "jobs" in full.json()["detail"]
        withdrawn = c.delete(f"/api/jobs/{second}").json()  # withdrawn, or handed to a worker that will stop it
        assert withdrawn["status"] == "cancelled" or withdrawn["cancel_requested"]
        assert wait(c, second)["status"] == "cancelled"
        assert wait(c, first)["status"] == "done"
        assert c.post("/api/solve", json={}).status_code == 202  # room again


def test_a_running_job_is_cancelled_and_the_worker_goes_on(tmp_path):
    with TestClient(create_app("gen:M:0", tmp_path, workers=1, max_jobs=4)) as c:
        job = c.post("/api/pareto", json={"points": 9}).json()["job"]
        running = wait(c, job, until=("running",) + FINAL)
        assert running["status"] == "running"
        time.sleep(1.0)
        c.delete(f"/api/jobs/{job}")
        record = wait(c, job, timeout=60)
        assert record["status"] == "cancelled", record
        after = wait(c, c.post("/api/solve", json={"scenario": {"shortfall_price": 3000}}).json()["job"])
        assert after["status"] == "done" and after["result"]["check"] == "passed"


def test_a_restarted_server_lists_earlier_results(client, solved, results):
    with TestClient(create_app("gen:S:0", results, workers=1)) as again:
        runs = again.get("/api/jobs").json()
        assert solved["id"] in [r["id"] for r in runs]
        assert again.get(f"/api/jobs/{solved['id']}").json()["result"]["check"] == "passed"
        assert again.get(f"/api/jobs/{solved['id']}/view").status_code == 200


def test_a_job_the_server_did_not_finish_is_marked_failed(tmp_path):
    from allocator.web.store import update_job

    folder = tmp_path / "20260101-000000-abcdef"
    folder.mkdir()
    update_job(folder, id=folder.name, kind="solve", status="running", created="2026-01-01T00:00:00Z")
    with TestClient(create_app("gen:S:0", tmp_path)) as c:
        record = c.get(f"/api/jobs/{folder.name}").json()
    assert record["status"] == "failed" and "server stopped" in record["error"]


def test_a_what_if_on_lambda_reuses_the_warm_model(client, solved):
    again = wait(client, client.post("/api/solve", json={"scenario": {"shortfall_price": 6000}}).json()["job"])
    assert again["result"]["rebuilt"] is False and again["result"]["check"] == "passed"
    expected = allocator.solve("gen:S:0", shortfall_price=6000)
    assert again["result"]["objective"] == pytest.approx(expected.objective, rel=2e-4)
    norms = wait(client, client.post("/api/solve", json={"scenario": {"hold_harmless": "region"}}).json()["job"])
    assert norms["result"]["rebuilt"] is True and norms["result"]["regions_worse_off"] == 0


def test_the_vng_question_and_a_programme_from_the_api(client):
    vng = wait(client, client.post("/api/extra-budget", json={"scenario": {"hold_harmless": "region"}}).json()["job"])
    assert vng["status"] == "done" and vng["result"]["extra_budget"] >= 0 and vng["result"]["regions_worse_off"] == 0
    assert "region_effects.csv" in zipfile.ZipFile(io.BytesIO(
        client.get(f"/api/jobs/{vng['id']}/download/csv").content)).namelist()
    plan = wait(client, client.post("/api/programme", json={"years": "2026-2027"}).json()["job"])
    assert plan["status"] == "done" and plan["result"]["check"] == "passed"
    assert [y["year"] for y in plan["result"]["years"]] == [2026, 2027]
    assert client.get(f"/api/jobs/{plan['id']}/view").json()["kind"] == "programme"


def test_an_impossible_policy_is_explained(client):
    job = wait(client, client.post("/api/solve", json={"scenario": {"min_service": "hard"}}).json()["job"])
    assert job["status"] == "done" and job["result"]["status"] == "infeasible"
    assert job["result"]["explanation"] and "cannot reach the minimum" in job["result"]["explanation"][0]
    assert client.get(f"/api/jobs/{job['id']}/view").status_code == 404  # no plan, so no result folder


def test_municipality_profile(client):
    first = client.get("/api/municipalities").json()[0]
    profile = client.get(f"/api/municipalities/{first['id']}?lang=en").json()
    assert profile["name"] == first["name"]
    assert {s["ftype_id"] for s in profile["services"]}
    assert all(0 <= s["covered_share"] <= 1 for s in profile["services"] if s["covered_share"] is not None)
    assert profile["spending"] and profile["map"]["layer"]


def test_a_job_asked_with_wait_is_answered_when_it_ends(client):
    job = client.post("/api/solve", json={"scenario": {"shortfall_price": 5000}}).json()["job"]
    t0 = time.monotonic()
    record = client.get(f"/api/jobs/{job}?wait=10").json()  # a solve of gen:S:0 takes well under a second
    assert record["status"] == "done" and record["result"]["status"] == "optimal"  # the first answer is its end
    assert time.monotonic() - t0 < 9  # answered at the end, not after the whole wait
    t0 = time.monotonic()
    assert client.get(f"/api/jobs/{job}?wait=10").json()["status"] == "done"
    assert time.monotonic() - t0 < 1  # a finished job is answered at once
    assert client.get(f"/api/jobs/{job}?wait=11").status_code == 422  # the wait is bounded
    assert client.get("/api/jobs/nosuchjob?wait=1").status_code == 404
