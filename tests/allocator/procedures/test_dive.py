"""The dive for a start (allocator.procedures.dive): hand-solved knapsacks, and the model left as it was."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.dive import dive_start
from allocator.procedures.modes import build, weighted
from allocator.scenario import Scenario
from allocator.solver.highs import HighsModel
from tests.helpers import MIP_STARTS, log_highs_to


def knapsack(values, weights, capacity) -> tuple[HighsModel, list]:
    """max Σ v_j x_j s.t. Σ w_j x_j ≤ capacity, x binary, as a persistent HiGHS model."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(len(values)), domain=pyo.Binary)
    m.fill = pyo.Constraint(expr=sum(w * m.x[j] for j, w in enumerate(weights)) <= capacity)
    m.value = pyo.Objective(expr=sum(v * m.x[j] for j, v in enumerate(values)), sense=pyo.maximize)
    return HighsModel(m), [m.x[j] for j in range(len(values))]


def offered(hm: HighsModel, xs: list) -> dict:
    cols, values = hm.start
    ids = [id(x) for x in xs]
    return {ids.index(id(hm.columns[c])): v for c, v in zip(cols, values)}


def test_an_infeasible_fixing_at_one_is_made_at_zero_and_the_better_plan_replaces_the_start():
    # LP: x1 = 1 (value per weight 3), x0 = 0.75 (2), x2 = 0 (1); fixing x0 at 1 is infeasible (3 > 2.5), so
    # x0 = 0: plan (0, 1, 0), value 3, better than the offered empty plan (value 0)
    hm, xs = knapsack([4, 3, 1], [2, 1, 1], 2.5)
    hm.start_from(xs, [0, 0, 0])
    assert dive_start(hm) > 0
    assert offered(hm, xs) == {0: 0.0, 1: 1.0, 2: 0.0}


def test_a_better_offered_start_is_kept():
    # LP: x0 = 1, x1 = 1/3 (value 9 + 5/3); the dive ends at (1, 0, 0), value 9; the offered (0, 1, 1) is worth 10
    hm, xs = knapsack([9, 5, 5], [5, 3, 3], 6)
    hm.start_from(xs, [0, 1, 1])
    dive_start(hm)
    assert offered(hm, xs) == {0: 0.0, 1: 1.0, 2: 1.0} and len(hm.start[0]) == hm.n_cols  # kept, whole
    rep = hm.solve()
    assert rep.objective == pytest.approx(10)  # the start is still the model's start; the optimum is proven


def test_nothing_to_dive_for_without_a_start():
    hm, xs = knapsack([4, 3, 1], [2, 1, 1], 2.5)
    assert dive_start(hm) == 0.0 and hm.start is None


@pytest.fixture(scope="module")
def data():
    return InstanceData.prepare(load_instance("gen:S:0"), Scenario(hold_harmless="region", keep_last_site=True))


def test_the_dive_leaves_the_model_as_it_was_and_the_answer_unchanged(data):
    run = build(data)
    hm = run.highs
    lp = hm.h.getLp()
    bounds = (np.array(lp.col_lower_), np.array(lp.col_upper_))
    integrality = list(lp.integrality_)
    (_, dived), = weighted(run)  # the first stage of a built model dives
    assert run.dive is False
    lp = hm.h.getLp()
    assert np.array_equal(bounds[0], lp.col_lower_) and np.array_equal(bounds[1], lp.col_upper_)
    assert list(lp.integrality_) == integrality
    plain = build(data)
    plain.dive = False
    (_, undived), = weighted(plain)
    assert dived.status.value == undived.status.value == "optimal"
    assert dived.objective == pytest.approx(undived.objective, rel=2e-4)


@pytest.mark.parametrize("dived", [True, False])
def test_the_start_reaches_highs_whole(data, tmp_path, monkeypatch, dived):
    """Every column is in the start, the dive's plan or the start on offer completed by the dive's first LP (site
    decisions, the capacity groups' counts and the money), so HiGHS takes it as it is, without solving that LP
    again, and accepts it."""
    from allocator.procedures import dive

    if not dived:  # a dive that finds nothing leaves the start on offer
        monkeypatch.setattr(dive, "_dive", lambda *args: None)
    run = build(data)
    log = tmp_path / "highs.log"
    log_highs_to(run.highs, log)
    (_, rep), = weighted(run)
    text = log.read_text()
    assert "solving LP for user-supplied values of discrete variables" not in text
    starts = [float(s) for s in MIP_STARTS.findall(text)]
    assert len(starts) == 1 and starts[0] <= rep.objective + 1e-6
    assert rep.status.value == "optimal"


def test_the_dives_seconds_count_against_the_stage(data, monkeypatch):
    """A dive that took 0.3 s leaves the stage's HiGHS run 0.3 s less of its limit and is in its seconds; the dive
    itself may take at most half the limit."""
    from allocator.procedures import modes

    limits, dive_limits = [], []
    monkeypatch.setattr(modes, "dive_start", lambda hm, time_limit=None: dive_limits.append(time_limit) or 0.3)
    run = build(InstanceData.prepare(data.instance, data.scenario.model_copy(
        update={"solver": data.scenario.solver.model_copy(update={"time_limit": 30.0})})))
    real = run.highs.solve
    monkeypatch.setattr(run.highs, "solve", lambda **kw: limits.append(kw["time_limit"]) or real(**kw))
    (_, rep), = weighted(run)
    assert limits == [pytest.approx(29.7, abs=0.05)]  # less the moments between the dive and HiGHS's run
    assert dive_limits == [15.0]  # at most half the stage's limit: HiGHS keeps time for the start
    assert rep.solve_seconds >= 0.3 and rep.time_limit == 30.0
