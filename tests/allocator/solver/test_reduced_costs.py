"""Reduced-cost fixing (allocator.solver.reduced_costs) on a knapsack solved by hand, and on what-ifs."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import numpy as np
import pyomo.environ as pyo
import pytest

import allocator
from allocator.solver.highs import HighsModel
from allocator.solver.reduced_costs import plan_value, priced_bounds, reduced_cost_fixing

VALUE, WEIGHT, ROOM = [10.0, 6.0, 1.0, 1.0], [5.0, 4.0, 3.0, 5.0], 8.0


def knapsack(maximize: bool = True) -> tuple[HighsModel, list]:
    """max 10 y1 + 6 y2 + y3 + y4, 5 y1 + 4 y2 + 3 y3 + 5 y4 ≤ 8, y binary.

    LP relaxation: y1 = 1, y2 = 3/4, z_LP = 14.5, row price π = 1.5, so d3 = 1 − 3π = −3.5, d4 = 1 − 5π = −6.5,
    d1 = 10 − 5π = 2.5.  The optimum is y1 = y3 = 1 (11)."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(range(4), domain=pyo.Binary)
    m.room = pyo.Constraint(expr=sum(WEIGHT[j] * m.y[j] for j in range(4)) <= ROOM)
    m.value = pyo.Objective(expr=sum(VALUE[j] * m.y[j] for j in range(4)),
                            sense=pyo.maximize if maximize else pyo.minimize)
    hm = HighsModel(m)
    return hm, [hm.col_of(m.y[j]) for j in range(4)]


def offer(hm: HighsModel, cols: list, plan: list) -> None:
    values = np.zeros(hm.n_cols)
    values[cols] = plan
    assert hm.start_whole(values)


def bounds(hm: HighsModel, cols: list) -> list[float]:
    """The lower bounds of ``cols``, then their upper bounds."""
    return np.concatenate(hm.col_bounds(np.array(cols))).tolist()


def test_a_column_whose_reduced_cost_exceeds_the_room_is_fixed_for_the_block_only():
    """From the plan y1 = y3 = 1 (11) the room is 14.5 − 11 = 3.5: y4 (|d| = 6.5) cannot rise in a better plan
    and is fixed at 0; y3 (|d| = 3.5, in the plan) and y1 (|d| = 2.5) stay free; the run finds 11 all the same."""
    hm, y = knapsack()
    offer(hm, y, [1, 0, 1, 0])
    assert hm.relaxation_basis is None
    with reduced_cost_fixing(hm, None) as found:
        assert found.fixed == 1 and hm.relaxation_basis is not None  # the next fixing's LP starts from its optimum
        assert (found.value, found.bound) == (pytest.approx(11.0), pytest.approx(14.5)) and not found.proves(1e-4)
        assert bounds(hm, y) == [0, 0, 0, 0, 1, 1, 1, 0]
        assert hm.start is not None and len(hm.start[0]) == hm.n_cols  # the start stays on offer
        rep = hm.solve(mip_gap=0.0)
    assert rep.status.value == "optimal" and rep.objective == pytest.approx(11.0) and rep.bound == pytest.approx(11.0)
    assert bounds(hm, y) == [0, 0, 0, 0, 1, 1, 1, 1]  # restored


def test_a_worse_start_leaves_more_room_and_fixes_less():
    """From y1 = 1 alone (10) the room is 4.5: y4 (6.5) is still fixed, and nothing else."""
    hm, y = knapsack()
    offer(hm, y, [1, 0, 0, 0])
    with reduced_cost_fixing(hm, None) as found:
        assert found.fixed == 1 and hm.col_bounds(np.array([y[3]]))[1][0] == 0.0
    hm2, y2 = knapsack()
    offer(hm2, y2, [0, 0, 0, 0])  # 0: room 14.5 above every |d|
    with reduced_cost_fixing(hm2, None) as found:
        assert found.fixed == 0


@pytest.mark.parametrize("case", ["infeasible", "sites only", "minimised"])
def test_nothing_is_fixed_without_a_whole_feasible_start_or_for_a_minimisation(case):
    hm, y = knapsack(maximize=case != "minimised")
    if case == "infeasible":
        offer(hm, y, [1, 1, 0, 0])  # weight 9 > 8
    elif case == "sites only":
        hm.start = (np.array(y[:2], dtype=np.int32), np.array([1.0, 0.0]))
    else:
        offer(hm, y, [0, 0, 0, 0])
    before = bounds(hm, y)
    with reduced_cost_fixing(hm, None) as found:
        assert found.fixed == 0 and bounds(hm, y) == before


def test_priced_bounds_by_hand_on_the_knapsack():
    """The knapsack's LP (z_LP 14.5; d = 2.5, 0, −3.5, −6.5 at y = 1, ¾, 0, 0) with the plan y1 = y3 = 1 (z₀ 11): room
    3.5 (+ε) keeps y3 free (⌊3.5/3.5⌋ = 1) and fixes y4 at 0 (⌊3.5/6.5⌋ = 0); y1 at its upper bound stays free
    (⌊3.5/2.5⌋ = 1); y2, basic, is never tightened.  With the plan y2 = y3 = 1 (z₀ 7) the room is 7.5: nothing is
    fixed.  A plan with y4 = 1 claimed at 11 would be cut off by its own bounds: None."""
    lower, upper = np.zeros(4), np.ones(4)
    relaxed, reduced = np.array([1.0, 0.75, 0.0, 0.0]), np.array([2.5, 0.0, -3.5, -6.5])
    new_lower, new_upper = priced_bounds(lower, upper, relaxed, reduced, 14.5, 11.0, np.array([1.0, 0, 1, 0]))
    assert new_lower.tolist() == [0, 0, 0, 0] and new_upper.tolist() == [1, 1, 1, 0]
    new_lower, new_upper = priced_bounds(lower, upper, relaxed, reduced, 14.5, 7.0, np.array([0.0, 1, 1, 0]))
    assert new_lower.tolist() == [0, 0, 0, 0] and new_upper.tolist() == [1, 1, 1, 1]
    assert priced_bounds(lower, upper, relaxed, reduced, 14.5, 11.0, np.array([0.0, 0, 0, 1])) is None
    # a room below |d1| fixes y1 at its upper bound
    new_lower, _ = priced_bounds(lower, upper, relaxed, reduced, 14.5, 13.0, np.array([1.0, 0, 0, 0]))
    assert new_lower.tolist() == [1, 0, 0, 0]


def test_a_plans_value_is_its_objective_and_none_when_a_row_does_not_hold():
    hm, y = knapsack()
    plan = np.zeros(hm.n_cols)
    plan[[y[0], y[2]]] = 1.0
    assert plan_value(hm.h.getLp(), plan) == pytest.approx(11.0)
    plan[y[1]] = 1.0
    assert plan_value(hm.h.getLp(), plan) is None


@pytest.mark.parametrize("change, fixes", [({"shortfall_price": 1500}, True), ({"norms": {"gp_practice": 3.0}}, True),
                                           ({"equity_alpha": 2.0}, False)])
def test_a_what_if_that_moves_sites_fixes_before_its_run_and_ends_where_a_run_without_does(monkeypatch, change, fixes):
    """A move of λ (re-solved from the neighbourhood's plan) and a norm (rebuilt, from the relaxation's
    neighbourhood) fix columns before their MIP, put the bounds back after it, and end where the same what-if
    without the fixing does; a change of α (the last plan, completed) fixes nothing."""
    from allocator.procedures import modes

    fixed = []
    real = modes.reduced_cost_fixing

    @contextmanager
    def spy(hm, seconds, fix=True, mip_gap=None):
        with real(hm, seconds, fix, mip_gap) as found:
            if fix:
                fixed.append(found.fixed)
            yield found

    monkeypatch.setattr(modes, "reduced_cost_fixing", spy)
    model = allocator.WarmModel("gen:M:0")
    model.solve()
    assert fixed == []  # a cold solve's start is the dive's
    hm = model._whatif.run.highs
    lp = hm.h.getLp()
    before = (np.array(lp.col_lower_), np.array(lp.col_upper_))
    with_fixing = model.solve(**change)
    assert with_fixing.status == "optimal" and with_fixing.check == "passed"
    assert (len(fixed) == 1 and fixed[0] > 0) if fixes else fixed == []
    if not model.rebuilt:
        lp = hm.h.getLp()
        assert np.array_equal(np.array(lp.col_lower_), before[0]) and np.array_equal(np.array(lp.col_upper_), before[1])
    monkeypatch.setattr(modes, "reduced_cost_fixing",
                        lambda hm, seconds, fix=True, mip_gap=None: nullcontext(modes.Relaxation()))
    without = allocator.WarmModel("gen:M:0")
    without.solve()
    plain = without.solve(**change)
    assert plain.status == "optimal"
    assert with_fixing.objective == pytest.approx(plain.objective, rel=1e-4)
