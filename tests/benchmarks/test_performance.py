"""Build, solve and re-solve timed separately at four sizes, plus OR-Library files (pytest-benchmark).

Run (every benchmark file, 73 rows: 14 minutes on this 2-core machine):
    python -m pytest tests/benchmarks -m benchmark --benchmark-json=benchmarks.json
    python -m tests.benchmarks.table benchmarks.json        # the README table

* build:    instance in memory → reach sets → Pyomo blocks → HiGHS holds the model;
* solve:    the weighted mode on the built model (time limit per size), gap recorded, under the
            hold-harmless scenario below and under the default scenario;
* re-solve: the shortfall price λ doubled on the persistent model, solved again without a rebuild,
            from the last plan's sites.
Every solve is re-checked by the independent checker.  Extra info per row: rows, columns,
nonzeros, binaries, status, MIP gap, peak RSS (MB).
"""

from __future__ import annotations

import resource
import time

import pytest

from allocator.check import check, check_location
from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.location.solve import solve_location
from allocator.procedures.modes import build, weighted
from formulations.objective import shortfall_cost
from allocator.results import extract
from allocator.scenario import Scenario
from formulations.min_service import measure_var
from regio_instances.orlib import read_cap, read_pmedian
from tests.allocator.location.test_solve import DATA, OPTIMA
from tests.benchmarks.pmed_groups import HELD_OUT, TUNING

pytestmark = pytest.mark.benchmark

SIZES = {"S": 30.0, "M": 60.0, "L": 60.0, "XL": 180.0}  # time limit per solve (s)
SCENARIO = dict(hold_harmless="region", keep_last_site=True)
SCENARIOS = {"hold-harmless": SCENARIO, "default": {}}  # the default is what `regio solve gen:SIZE:0` runs


def prepared(size: str, time_limit: float, scenario: dict = SCENARIO) -> InstanceData:
    return InstanceData.prepare(load_instance(f"gen:{size}:0"), Scenario(**scenario, solver={"time_limit": time_limit}))


def fresh(data: InstanceData) -> InstanceData:
    """A new InstanceData (reach sets not cached), so every round builds from the instance in memory."""
    return InstanceData(data.instance, data.scenario)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def describe(benchmark, run, rep=None) -> None:
    hm = run.highs
    benchmark.extra_info.update(rows=hm.n_rows, columns=hm.n_cols, nonzeros=hm.nonzeros,
                                binaries=int(hm.integer.sum()), peak_rss_mb=peak_rss_mb())
    if rep is not None:
        benchmark.extra_info.update(status=rep.status.value, mip_gap=rep.mip_gap, objective=rep.objective)


def checked(run, rep) -> None:
    if rep.status.has_solution:
        res = check(run.data, extract(run.model, run.highs, run.data, rep))
        assert res.passed, res.violations[:5]


@pytest.mark.parametrize("size", list(SIZES))
def test_build(benchmark, size):
    data = prepared(size, SIZES[size])
    run = benchmark.pedantic(lambda: build(fresh(data)), rounds=3 if size != "XL" else 2, iterations=1)
    describe(benchmark, run)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("size", list(SIZES))
def test_solve(benchmark, size, scenario):
    data = prepared(size, SIZES[size], SCENARIOS[scenario])

    def setup():
        return (build(data),), {}

    reports = []
    benchmark.pedantic(lambda run: reports.append((run, weighted(run)[0][1])), setup=setup, rounds=1, iterations=1)
    run, rep = reports[-1]
    describe(benchmark, run, rep)
    checked(run, rep)


@pytest.mark.parametrize("size", list(SIZES))
def test_resolve(benchmark, size):
    """λ doubled on the persistent model: one column cost changes; the last plan's sites are the start.

    They stay feasible when only a cost changes, and every mode that re-solves offers them
    (:meth:`HighsModel.start_from_current_integers`); HiGHS itself drops its incumbent on any change.
    """
    data = prepared(size, SIZES[size])
    run = build(data)
    weighted(run)
    q = measure_var(run.model, data.scenario)

    def again():
        run.highs.set_cost(q, -2 * shortfall_cost(data))
        run.highs.start_from_current_integers()
        t0 = time.perf_counter()
        rep = run.highs.solve(time_limit=SIZES[size])
        return rep, time.perf_counter() - t0

    rep, _ = benchmark.pedantic(again, rounds=1, iterations=1)
    describe(benchmark, run, rep)
    checked(run, rep)


# Every pmed file with n ≥ 300 (both groups of tests/benchmarks/pmed_groups.py; the group is recorded), pmed1,
# and two warehouse files
PMED_LARGE = sorted((f for f in TUNING + HELD_OUT if int(f[4:]) >= 11), key=lambda f: int(f[4:]))
ORLIB = [("pmed", "pmed1"), *(("pmed", f) for f in PMED_LARGE), ("cap", "cap71"), ("cap", "cap131")]


@pytest.mark.parametrize("kind,name", ORLIB)
def test_orlib(benchmark, kind, name):
    def once():
        t0 = time.perf_counter()
        problem = read_pmedian(DATA / "pmed" / f"{name}.txt") if kind == "pmed" else read_cap(DATA / "cap" / f"{name}.txt")
        answer = solve_location(problem, time_limit=300, mip_gap=1e-9)  # as `regio orlib` solves it
        return answer, time.perf_counter() - t0 - answer.report.solve_seconds

    answer, seconds = benchmark.pedantic(once, rounds=1, iterations=1)
    rep = answer.report
    key = (name, "p-median" if kind == "pmed" else "CFLP-multi-source")
    benchmark.extra_info.update(formulation=answer.formulation, sites_in_model=answer.sites_in_model,
                                stages=[(s["stage"], s["sites"], s["status"]) for s in answer.stages],
                                build_seconds=seconds, solve_seconds=rep.solve_seconds, status=rep.status.value,
                                objective=rep.objective, published=OPTIMA[key], peak_rss_mb=peak_rss_mb(),
                                group="held-out" if name in HELD_OUT else "tuning" if name in TUNING else "")
    assert rep.objective == pytest.approx(OPTIMA[key], abs=0.01)
    y, share = answer.solution()
    check_location(answer.problem, y, share, rep.objective).raise_if_failed()
