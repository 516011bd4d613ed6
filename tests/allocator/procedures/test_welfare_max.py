"""W_max (the price of fairness's reference) after a cold solve: searched around the scenario's plan, proven by
the LP relaxation, and within its reported gap of W_max solved to optimality."""

from __future__ import annotations

import numpy as np
import pytest

from allocator.api import prepare
from allocator.procedures import modes, neighbourhood
from allocator.solver.highs import INF


def exact_welfare_max(data) -> float:
    """W_max by a plain MIP to 10⁻⁷ on a model of its own: max W with the shortfall columns free."""
    run = modes.build(data)
    hm, m = run.highs, run.model
    q = hm.cols_of(m.min_service.shortfall[p] for p in m.min_service.pair)
    lo, _ = hm.col_bounds(q)
    hm.set_col_bounds(q, lo, np.full(len(q), INF))
    hm.set_objective([(m.welfare.W, 1.0)], maximize=True)
    rep = hm.solve(mip_gap=1e-7)
    assert rep.status.value == "optimal"
    return hm.value(m.welfare.W)


@pytest.mark.parametrize("ref", ["gen:M:0", "gen:L:0"])
def test_a_cold_welfare_max_is_the_relaxation_searched_plan_within_its_gap(ref, monkeypatch):
    searched = []
    real = neighbourhood.relaxation_start
    monkeypatch.setattr(neighbourhood, "relaxation_start", lambda *a, **k: searched.append(k) or real(*a, **k))
    data = prepare(ref, shortfall_price=4000)
    run = modes.solve(modes.build(data))
    assert run.report.status.value == "optimal" and run.check.passed
    assert [k.get("mip_gap") for k in searched] == [modes.WMAX_GAP]  # one search, to W_max's gap
    exact = exact_welfare_max(prepare(ref, shortfall_price=4000))
    assert run.w_max <= exact + 1e-6 * abs(exact)  # a plan's W: never above the optimum
    assert 0.0 <= run.w_max_gap <= modes.WMAX_GAP
    assert (exact - run.w_max) / abs(exact) <= run.w_max_gap + 1e-9  # the gap reported holds
    assert run.solution.indicators["price_of_fairness"] == pytest.approx(
        (run.w_max - run.solution.welfare) / abs(run.w_max))
