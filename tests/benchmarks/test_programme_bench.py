"""Programmes on the Dutch default instance: 5 and 10 years, each proven within 1 % (pytest-benchmark).

    python -m pytest tests/benchmarks/test_programme_bench.py -m benchmark --benchmark-json=programme.json

The timed phase is the solve (HiGHS on the whole programme model); the build (horizon data, blocks per
year, links, hand-over to HiGHS) is timed in setup and recorded per row with rows, columns, binaries,
status, the proven MIP gap of the whole model and peak RSS.  Every programme is re-checked by the
independent programme checker.
"""

from __future__ import annotations

import time

import pytest

from allocator.instance import load_instance
from allocator.data import InstanceData
from allocator.multiyear.check import check_programme
from allocator.multiyear.horizon import Horizon
from allocator.multiyear.model import build_programme, solve_programme
from allocator.multiyear.results import extract_programme
from allocator.scenario import resolve_scenario
from tests.benchmarks.test_performance import peak_rss_mb

pytestmark = pytest.mark.benchmark

HORIZONS = {"5y": ((2026, 2030), 300.0), "10y": ((2026, 2035), 600.0)}


@pytest.mark.parametrize("horizon", list(HORIZONS))
def test_programme_nl(benchmark, horizon):
    (first, last), limit = HORIZONS[horizon]
    inst = load_instance("nl")
    data = InstanceData.prepare(inst, resolve_scenario(inst, None, {"solver": {"time_limit": limit, "mip_gap": 0.01}}))
    built = {}

    def setup():
        t0 = time.perf_counter()
        run = build_programme(Horizon.prepare(data, first, last))
        built["seconds"] = time.perf_counter() - t0
        return (run,), {}

    runs = []
    benchmark.pedantic(lambda run: runs.append(solve_programme(run)), setup=setup, rounds=1, iterations=1)
    run = runs[-1]
    rep = run.report
    benchmark.extra_info.update(build_seconds=built["seconds"], solve_seconds=rep.solve_seconds, rows=rep.rows,
                                columns=rep.columns, binaries=rep.binaries, status=rep.status.value,
                                mip_gap=rep.mip_gap, peak_rss_mb=peak_rss_mb())
    assert rep.status.has_solution and rep.mip_gap is not None and rep.mip_gap <= 0.01 + 1e-9
    result, deviations = check_programme(run.horizon, extract_programme(run))
    result.raise_if_failed()
