"""What-ifs on the Dutch default instance, as the web app runs them (pytest-benchmark).

    python -m pytest tests/benchmarks/test_whatif_bench.py -m benchmark --benchmark-json=whatif.json

A warm model (:class:`allocator.WarmModel`) has solved the default scenario; each row then times one
what-if from the request to the page's data: solve (re-solve or rebuild), extraction, checker and
indicators, the result folder, and the result view the page draws (:func:`allocator.web.views.result_view`).
Costs (λ, α, the welfare curve's slopes), the extra money and the hold-harmless mode re-solve the built
model; norms rebuild it.  Each row starts with only the default scenario solved on the model, but
``lambda_between``, which asks λ 3,000 after 4,000 and 2,000 (the bounds of those two solves bound it), and
``alpha_again``, which asks α 2 after α 2 and the default (its own earlier solve proves it).
Each row records whether it rebuilt, HiGHS's seconds, status, gap and peak RSS.
"""

from __future__ import annotations

import time

import pytest

import allocator
from allocator.web.views import result_view
from tests.benchmarks.test_performance import peak_rss_mb

pytestmark = pytest.mark.benchmark

WHAT_IFS = {
    "lambda": {"shortfall_price": 4000},
    "lambda_3000": {"shortfall_price": 3000},  # HiGHS's RENS took 15 of 20 s here (docs/performance.md)
    "lambda_1000": {"shortfall_price": 1000},
    "lambda_between": {"shortfall_price": 3000},  # after 4,000 and 2,000 (ASKED_BEFORE)
    "alpha_again": {"equity_alpha": 2.0},  # asked before, then the default (ASKED_BEFORE)
    "alpha": {"equity_alpha": 2.0},
    "welfare_slopes": {"welfare": {"slopes": [1.0, 0.5, 0.2]}},
    "norms": {"norms": {"gp_practice": 4}},
    "hold_harmless": {"hold_harmless": "none"},
    "corridor": {"hold_harmless": "corridor"},
    "extra_budget": {"extra_budget": 50},
}
REBUILT = ("norms",)  # the reach sets change; every other row re-solves the built model
# asked first, in the setup: λ 3,000 then lies between two prices solved before (allocator.procedures.price_bounds)
ASKED_BEFORE = {"lambda_between": [{"shortfall_price": 4000}], "alpha_again": [{"equity_alpha": 2.0}]}


@pytest.fixture(scope="module")
def warm():
    model = allocator.WarmModel("nl")
    model.solve()
    return model


@pytest.mark.parametrize("change", list(WHAT_IFS))
def test_what_if_nl(benchmark, warm, change, tmp_path):
    def setup():
        warm._whatif.forget_solves()  # no row is proven by the solves of the rows before it
        for asked in ASKED_BEFORE.get(change, []):
            warm.solve(**asked)
        warm.solve()  # back to the default scenario, so every row starts from the same warm model
        return (), {}

    seen = {}

    def what_if():
        t0 = time.perf_counter()
        result = warm.solve(**WHAT_IFS[change])
        folder = result.to_folder(tmp_path / f"{change}-{len(seen)}")
        result_view(folder, "nl", warm.instance)  # the web app passes the instance it holds
        seen.update(result=result, seconds=time.perf_counter() - t0, rebuilt=warm.rebuilt)

    benchmark.pedantic(what_if, setup=setup, rounds=1, iterations=1)
    r = seen["result"]
    benchmark.extra_info.update(rebuilt=seen["rebuilt"], highs_seconds=r.run.report.solve_seconds,
                                build_seconds=r.run.report.build_seconds, status=r.status, mip_gap=r.mip_gap,
                                peak_rss_mb=peak_rss_mb(), highs_status=r.run.report.highs_status)
    assert r.status == "optimal" and r.check == "passed"
    assert seen["rebuilt"] == (change in REBUILT)
    # no row is proven (or its run stopped) by the solves of the rows before it, but those asked before: whether the
    # two solves' bounds prove λ 3,000 at once or stop HiGHS early varies with how close they ended.  The LP
    # relaxation may prove any row ("not run: proven by the LP relaxation ...")
    by_earlier = any(source in r.run.report.highs_status for source in ("an earlier solve", "the solves at λ"))
    assert not by_earlier or change in ASKED_BEFORE


SWEEP_GRID = """kind = "product"
[values]
shortfall_price = [1000, 2000, 4000]
equity_alpha = [1.0, 2.0]
"""


def test_sweep_nl(benchmark, tmp_path):
    """Six runs (λ × α) of `regio sweep` on one worker: the first builds, the other five re-solve its model."""
    from allocator.instance import load_instance
    from allocator.procedures.sweep import read_grid, resolve_runs, run_sweep

    grid = tmp_path / "grid.toml"
    grid.write_text(SWEEP_GRID, encoding="utf-8")
    inst = load_instance("nl")
    runs = read_grid(grid)
    scenarios = resolve_runs(inst, runs, None, "grid.toml")
    seen = {}

    def sweep():
        seen["result"] = run_sweep(inst, runs, scenarios, tmp_path / f"out-{len(seen)}")

    benchmark.pedantic(sweep, rounds=1, iterations=1)
    table = seen["result"].table
    benchmark.extra_info.update(runs=len(table), rebuilt=int(table["rebuilt"].sum()),
                                solve_seconds=[round(s, 2) for s in table["solve_seconds"]],
                                statuses=sorted(set(table["status"])), peak_rss_mb=peak_rss_mb())
    assert (table["status"] == "optimal").all() and (table["check"] == "passed").all()
    assert table["rebuilt"].tolist() == [True] + [False] * 5
