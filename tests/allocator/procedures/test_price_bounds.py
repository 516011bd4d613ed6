"""A weighted what-if proven from the solves before it (the optimum is convex in λ), by hand and on a warm model."""

from __future__ import annotations

import numpy as np
import pytest

import allocator
from allocator.procedures.price_bounds import PriceBounds, PricedPlan

EARLIER = "earlier solve"  # the status of a what-if proven by the bounds of the solves before it

# three plans (W, Q): f(λ') = max(10, 12 − λ', 13 − 3λ'); f(0) = 13 (C), f(1) = 11 (B), f(2) = 10 (A or B)
A, B, C = (10.0, 0.0), (12.0, 1.0), (13.0, 3.0)


def f(cost: float) -> float:
    return max(w - cost * q for w, q in (A, B, C))


def solved(plan, cost: float, slack: float = 0.0) -> PricedPlan:
    """The plan as a solve at λ' = cost returned it, with a bound ``slack`` above the optimum."""
    w, q = plan
    return PricedPlan(cost * 1000, cost, w - cost * q, f(cost) + slack, q, np.array([w, q]))


def test_between_two_solves_the_chord_of_their_bounds_bounds_the_optimum():
    bounds = PriceBounds()
    bounds.record("k", solved(C, 0.0))
    bounds.record("k", solved(A, 2.0))
    # at λ' = 1 the chord is (13 + 10)/2 = 11.5 ≥ f(1) = 11; the plans known are worth 10 (A) and 10 (C): gap 15 %
    assert bounds.prove("k", 1.0, mip_gap=1e-4) is None
    proof = bounds.prove("k", 1.0, mip_gap=0.2)
    assert proof.bound == pytest.approx(11.5) and proof.value == pytest.approx(10.0) and proof.gap == pytest.approx(0.15)
    assert proof.between == (0.0, 2000.0)
    bounds.record("k", solved(B, 1.0))  # now B is known: its value 11 meets the lowest chord, 11 (from λ' 1 itself)
    proof = bounds.prove("k", 1.0, mip_gap=0.0)
    assert proof.value == pytest.approx(11.0) and proof.bound == pytest.approx(11.0) and proof.plan.measure == 1.0
    # between λ' 1 and 2, f is the line of B: the chord of the bounds is f itself, so B is proven exactly
    proof = bounds.prove("k", 1.5, mip_gap=0.0)
    assert proof.value == pytest.approx(f(1.5)) and proof.bound == pytest.approx(f(1.5))


def test_no_proof_outside_the_prices_solved_nor_for_another_scenario():
    bounds = PriceBounds()
    bounds.record("k", solved(C, 0.5))
    bounds.record("k", solved(A, 2.0))
    assert bounds.prove("k", 3.0, mip_gap=1.0) is None  # above every solve: no chord
    assert bounds.prove("k", 0.1, mip_gap=1.0) is None  # below every solve
    assert bounds.prove("other", 1.0, mip_gap=1.0) is None
    bounds.record("k", PricedPlan(1000, 1.0, 11.0, np.inf, 1.0, np.zeros(2)))  # no bound: not kept
    assert len(bounds.plans["k"]) == 2


def test_it_keeps_the_newest_plans_only(monkeypatch):
    monkeypatch.setattr("allocator.procedures.price_bounds.MAX_PLANS", 3)
    bounds = PriceBounds()
    for key, cost in (("a", 0.0), ("b", 0.0), ("a", 2.0), ("a", 1.0)):
        bounds.record(key, solved(C, cost))
    assert "b" in bounds.plans and [p.cost for p in bounds.plans["a"]] == [2.0, 1.0]
    bounds.record("b", solved(A, 2.0))
    assert [p.cost for p in bounds.plans["b"]] == [2.0] and len(bounds.order) == 3


def test_every_bound_it_gives_is_above_the_optimum_and_every_value_a_plans():
    rng = np.random.default_rng(0)
    bounds = PriceBounds()
    for cost in (0.0, 0.8, 2.5):  # solves with bounds a little above the optimum, as HiGHS proves them
        best = max((A, B, C), key=lambda p: p[0] - cost * p[1])
        bounds.record("k", solved(best, cost, slack=rng.uniform(0, 0.01)))
    for cost in np.linspace(0.0, 2.5, 51):
        proof = bounds.prove("k", cost, mip_gap=1.0)
        assert proof.bound >= f(cost) - 1e-12 >= proof.value - 1e-12
        assert proof.value in [pytest.approx(w - cost * q) for w, q in (A, B, C)]


@pytest.fixture(scope="module")
def warm():
    model = allocator.WarmModel("gen:S:0")
    model.solve(shortfall_price=1000)
    model.solve(shortfall_price=8000)
    return model


def test_a_price_asked_before_is_answered_without_highs_and_checked(warm):
    first = warm.solve(shortfall_price=1000)  # asked in the fixture: its own bound proves its plan
    assert first.run.report.highs_status == "not run: proven by the bound of an earlier solve of this scenario (λ 1,000)"
    assert first.status == "optimal" and first.check == "passed" and first.mip_gap <= 1e-4
    cold = allocator.solve("gen:S:0", shortfall_price=1000)
    assert first.objective == pytest.approx(cold.objective, rel=2e-4)


def test_going_back_to_any_scenario_asked_before_needs_no_solve(warm):
    a = warm.solve(shortfall_price=1000, equity_alpha=2.0, hold_harmless="none")
    assert EARLIER not in a.run.report.highs_status  # HiGHS's run, or the LP relaxation, proves it
    warm.solve(shortfall_price=1000)
    again = warm.solve(shortfall_price=1000, equity_alpha=2.0, hold_harmless="none")  # W and the rows restated back
    assert again.run.report.highs_status.startswith("not run: proven by the bound of an earlier")
    assert again.check == "passed"
    assert (again.objective, again.welfare, again.shortfall) == (a.objective, a.welfare, a.shortfall)


def test_a_price_between_two_asked_before_is_within_its_gap_of_the_cold_optimum(warm):
    r = warm.solve(shortfall_price=3000, solver={"mip_gap": 0.01})
    cold = allocator.solve("gen:S:0", shortfall_price=3000, solver={"mip_gap": 0.0})
    assert r.status == "optimal" and r.check == "passed"
    assert "1,000 and 8,000" in r.run.report.highs_status
    rep = r.run.report
    assert rep.bound >= cold.objective - 1e-6 * abs(cold.objective)  # a valid bound on the optimum
    assert rep.objective <= cold.objective + 1e-6 * abs(cold.objective)
    assert rep.mip_gap <= 0.01 and (rep.bound - rep.objective) / abs(rep.objective) == pytest.approx(rep.mip_gap)


def test_other_weights_or_a_rebuild_are_not_proven_by_the_solves_before(warm):
    r = warm.solve(shortfall_price=3000, equity_alpha=2.0, solver={"mip_gap": 0.01})  # another W: no plan of it yet
    assert EARLIER not in r.run.report.highs_status  # HiGHS's run or the LP relaxation proves it
    warm.solve(norms={"gp_practice": 3.0})  # rebuilt: the plans were columns of the model before
    r = warm.solve(norms={"gp_practice": 3.0}, shortfall_price=3000, solver={"mip_gap": 0.01})
    assert warm.rebuilt is False and EARLIER not in r.run.report.highs_status


def test_without_a_proof_highs_gets_the_bound_and_its_answer_is_the_cold_one(monkeypatch):
    from contextlib import nullcontext

    from allocator.procedures import modes, neighbourhood
    from allocator.procedures.price_bounds import PriceBounds as Bounds
    from allocator.solver.reduced_costs import Relaxation
    from allocator.solver.highs import HighsModel

    warm = allocator.WarmModel("gen:S:0")
    warm.solve(shortfall_price=1000)
    warm.solve(shortfall_price=8000)
    given = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: given.append(k.get("known_bound")) or real(self, *a, **k))
    monkeypatch.setattr(Bounds, "prove", lambda self, *a: None)  # as when no plan is within the gap of the bound
    monkeypatch.setattr(modes, "reduced_cost_fixing", lambda *a, **k: nullcontext(Relaxation()))  # nor of the LP's
    monkeypatch.setattr(neighbourhood, "relaxation_lp", lambda *a, **k: nullcontext(None))  # the neighbourhood's too
    r = warm.solve(shortfall_price=2500)
    known = [k for k in given if k is not None and k.gap is None]  # the scenario's run (the neighbourhood's has a gap)
    assert len(known) == 1 and "λ 1,000 and 8,000" in known[0].source
    cold = allocator.solve("gen:S:0", shortfall_price=2500)
    assert known[0].value >= cold.objective - 1e-6 * abs(cold.objective)
    assert r.status == "optimal" and r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)


def test_a_new_lambda_starts_from_the_best_plan_of_the_scenario_solved_before(monkeypatch):
    from allocator.procedures import whatif

    warm = allocator.WarmModel("gen:S:0")
    low = warm.solve(shortfall_price=1000)
    warm.solve(shortfall_price=20000)  # the last plan is now the far end's
    bases = []
    real = whatif.neighbourhood_start
    monkeypatch.setattr(whatif, "neighbourhood_start", lambda run: bases.append(run.highs.values) or real(run))
    r = warm.solve(shortfall_price=800)  # below every λ solved: no bound, HiGHS solves it
    assert len(bases) == 1 and bases[0] is low.run.plan_values  # the λ 1,000 plan is the nearer start
    cold = allocator.solve("gen:S:0", shortfall_price=800)
    assert r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)
    # after a change of α the last plan (the same λ, another W) is nearer than a stored plan at another λ
    other = warm.solve(shortfall_price=800, equity_alpha=2.0)
    warm.solve(shortfall_price=600)
    assert len(bases) == 2 and all(bases[1] is not p.run.plan_values for p in (low, r))  # no stored plan of α 1
    sites = np.flatnonzero(warm._whatif.run.highs.integer)
    assert np.array_equal(np.round(bases[1][sites]), np.round(other.run.plan_values[sites]))  # the α 2 plan's sites


@pytest.mark.parametrize("kept", [2, 0])
def test_a_norm_asked_before_is_answered_from_its_earlier_solve(monkeypatch, kept):
    """From its kept model, or, where none is kept, from a rebuild with the same matrix (the same columns)."""
    from allocator.procedures import whatif

    monkeypatch.setattr(whatif, "KEPT_MODELS", kept)
    warm = allocator.WarmModel("gen:S:0")
    first = warm.solve(norms={"gp_practice": 3.0})
    warm.solve()
    again = warm.solve(norms={"gp_practice": 3.0})
    assert warm.rebuilt is (kept == 0)
    assert again.run.report.highs_status.startswith("not run: proven by the bound of an earlier")
    assert again.check == "passed" and (again.objective, again.welfare) == (first.objective, first.welfare)


def test_a_rebuild_whose_matrix_differs_keeps_none_of_the_solves_before_it(monkeypatch):
    from allocator.procedures import whatif
    from allocator.solver.highs import HighsModel

    monkeypatch.setattr(whatif, "KEPT_MODELS", 0)
    warm = allocator.WarmModel("gen:S:0")
    warm.solve(norms={"gp_practice": 3.0})
    monkeypatch.setattr(HighsModel, "fingerprint", lambda self: "another matrix")  # as if the next build's differed
    warm.solve()
    r = warm.solve(norms={"gp_practice": 3.0})
    assert warm.rebuilt and EARLIER not in r.run.report.highs_status and r.check == "passed"
