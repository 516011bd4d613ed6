"""The Pareto front (augmented ε-constraint): a non-supported point found, no dominated point, workers agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
from allocator.procedures.pareto import pareto_front
from allocator.scenario import Scenario
from regio_cli.main import cli
from tests.helpers import LINEAR
from tests.pareto_cases import FRONT, NON_SUPPORTED, knapsack_front_instance


def _data(**scenario):
    return InstanceData.prepare(knapsack_front_instance(), Scenario(welfare=LINEAR, solver={"mip_gap": 0.0}, **scenario))


def _pairs(front):
    return [(round(w, 6), round(q, 6)) for w, q in zip(front.points["welfare"], front.points["shortfall"])]


def test_front_is_every_pareto_optimal_plan_including_the_non_supported_one():
    front = pareto_front(_data(), points=11)
    assert np.allclose(_pairs(front), FRONT, atol=1e-5)
    assert any(np.allclose(p, NON_SUPPORTED, atol=1e-5) for p in _pairs(front))
    assert (front.points["check"] == "passed").all()
    assert set(front.points["status"]) == {"optimal"}
    # the payoff points: max W, then the least shortfall at it (and the other way round), both proven
    assert list(front.payoff["payoff"]) == ["max welfare first", "min shortfall first"]
    assert set(front.payoff["status"]) == {"optimal"}
    assert np.allclose([front.payoff["welfare"][0], front.payoff["shortfall"][0]], FRONT[0], atol=1e-5)
    assert np.allclose([front.payoff["welfare"][1], front.payoff["shortfall"][1]], FRONT[-1], atol=1e-5)
    # k = 2 (ε = 4,000) has k = 1's optimum (Q = 4,000): solved, and reported once
    outcome = dict(zip(front.grid["k"], front.grid["outcome"]))
    assert outcome[1] == "solved" and outcome[2] == "solved; not reported: same point as k=1"


@pytest.mark.parametrize("price", sorted({0.0, 100.0, 333.0, 334.0, 1000.0, 1999.0, 2000.0, 2001.0, 2500.0, 1e4, 1e6,
                                          *np.geomspace(10, 1e5, 25).round(3)}))
def test_weighted_sum_never_finds_the_non_supported_point(price):
    """W − λ·10⁻⁶·Q: A (−2, 4000) beats 'none' only if λ > 2000 and beats B only if λ < 333.3 (module docstring)."""
    run = solve(build(_data(shortfall_price=price)), indicators=False)
    found = (run.solution.welfare, run.solution.shortfall)
    assert not np.allclose(found, NON_SUPPORTED, atol=1e-5)
    lam = price * 1e-6
    value = {p: p[0] - lam * p[1] for p in FRONT}
    assert value[NON_SUPPORTED] < max(v for p, v in value.items() if p != NON_SUPPORTED) + 1e-12


def _assert_front_shape(front):
    w, q = front.points["welfare"].to_numpy(), front.points["measure"].to_numpy()
    assert np.all(np.diff(q) < 0), "points run from loose to tight, each with less shortfall"
    assert np.all(np.diff(w) <= 1e-9 * np.maximum(1, np.abs(w[1:]))), "W never rises as the allowed shortfall tightens"
    for i in range(len(w)):
        for j in range(len(w)):
            if i != j:
                assert not (w[j] >= w[i] - 1e-9 and q[j] <= q[i] + 1e-9), f"point {j} weakly dominates point {i}"


def test_generated_front_has_no_dominated_point_and_monotone_welfare():
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario(solver={"mip_gap": 1e-6, "threads": 1}))
    front = pareto_front(data, points=5)
    assert len(front.points) >= 3
    _assert_front_shape(front)
    assert (front.points["check"] == "passed").all()
    pof = front.points["price_of_fairness"].to_numpy()
    assert pof[0] == pytest.approx(0, abs=1e-6) and np.all(np.diff(pof) >= -1e-9)


def test_one_worker_and_two_workers_give_the_same_front(monkeypatch):
    """Two local workers (this process's thread and a process) solve the grid's two runs of neighbours side by
    side, one worker goes through the same two runs in turn: the same front."""
    from allocator.procedures import pareto

    slots = []
    real = pareto._runs
    monkeypatch.setattr(pareto, "_runs", lambda points, n: slots.append(n) or real(points, n))
    one = pareto_front(_data(), points=11, workers=1)
    two = pareto_front(_data(), points=11, workers=2)
    assert slots == [2, 2]
    assert np.allclose(_pairs(one), _pairs(two), atol=1e-6)
    _assert_front_shape(two)


def test_front_of_a_single_point_when_nothing_trades_off():
    """λ irrelevant; with both sites forced open there is one plan, so the front is one point."""
    front = pareto_front(_data(force_open=["A", "B"]), points=5)
    assert _pairs(front) == [(-5.0, 0.0)]


def test_cli_pareto_json_and_tables(tmp_path, monkeypatch):
    import tests.pareto_cases as cases
    monkeypatch.setattr("allocator.api.load_instance", lambda name: cases.knapsack_front_instance())
    scenario = tmp_path / "linear.toml"
    scenario.write_text('[welfare]\nbreakpoints = [1.0]\nslopes = [1.0]\nloss_aversion = 1.0\n[solver]\nmip_gap = 0.0\n')
    out = tmp_path / "front"
    res = CliRunner().invoke(cli, ["pareto", "knap", "-s", str(scenario), "--points", "11", "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert {"points", "payoff_table", "seconds"} <= set(payload)
    assert all({"welfare", "shortfall", "status", "mip_gap"} <= set(p) for p in payload["points"])
    assert [round(p["shortfall"]) for p in payload["points"]] == [5000, 4000, 1000, 0]
    assert {"points.csv", "payoff_table.csv", "grid.csv", "scenario.toml", "pareto.json"} <= {p.name for p in out.iterdir()}
    text = CliRunner().invoke(cli, ["pareto", "knap", "-s", str(scenario), "--points", "3"])
    assert text.exit_code == 0 and "payoff table" in text.output


def test_grid_runs_are_neighbours_tight_to_loose_the_longer_first():
    from allocator.procedures.pareto import _runs
    assert [list(r) for r in _runs(list(range(7)), 2)] == [[0, 1, 2, 3], [4, 5, 6]]
    assert [list(r) for r in _runs(list(range(5)), 2)] == [[0, 1, 2], [3, 4]]
    assert [list(r) for r in _runs(list(range(3)), 4)] == [[0], [1], [2]]  # never an empty run beside points
    assert [list(r) for r in _runs(list(range(4)), 1)] == [[0, 1, 2, 3]]


def test_a_point_proven_by_the_lp_relaxation_reports_that_bound_and_its_gap(monkeypatch):
    """gen:S:0: the points proven without a HiGHS run carry the LP relaxation's bound, at or above their plan and
    within the gap; every point is the optimum a cold solve of its ε-problem finds."""
    from allocator.procedures.modes import solve_stage
    from allocator.solver.highs import HighsModel
    from allocator.status import relative_gap
    from formulations.min_service import measure_scale, measure_var

    proven = []
    real = HighsModel.proven_without_run
    monkeypatch.setattr(HighsModel, "proven_without_run",
                        lambda self, *a, **k: proven.append(real(self, *a, **k)) or proven[-1])
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario())
    front = pareto_front(data, points=7)
    assert proven, "some point of gen:S:0's front is proven by its LP relaxation"
    for rep in proven:
        assert rep.status.value == "optimal" and rep.bound >= rep.objective - 1e-9
        assert rep.mip_gap == pytest.approx(relative_gap(rep.objective, rep.bound)) and rep.mip_gap <= 1e-4
    coef = 1e-3 * (front.points["welfare"].iloc[0] - front.points["welfare"].iloc[-1]) / (
        (front.points["measure"].iloc[0] - front.points["measure"].iloc[-1]) / measure_scale(data.scenario))
    run = build(data)
    q = measure_var(run.model, data.scenario)
    for eps, w in zip(front.grid["epsilon"][1:-1], front.points["welfare"][1:-1]):
        run.highs.set_objective([(run.model.welfare.W, 1.0), (q, -coef)], maximize=True)
        run.highs.set_bounds(q, 0.0, eps / measure_scale(data.scenario))
        cold = solve_stage(run)
        assert cold.status.value == "optimal"
        assert run.highs.value(run.model.welfare.W) == pytest.approx(w, rel=3e-4)


def test_two_runs_of_neighbours_on_two_processes_give_the_same_front(monkeypatch):
    """Without this process's thread among the slots (a cluster), the grid is cut into runs solved side by side,
    each from its own tighter points: the same front as one worker's."""
    from contextlib import contextmanager

    from allocator.procedures import pareto
    from allocator.procedures.executors import process_pool

    @contextmanager
    def two_processes(workers, scheduler=None, here=False):
        with process_pool(2, beside_others=True) as pool:
            pool.slots = 2
            yield pool

    one = pareto_front(_data(), points=11, workers=1)
    monkeypatch.setattr(pareto, "executor", two_processes)
    two = pareto_front(_data(), points=11, workers=2)
    assert np.allclose(_pairs(one), _pairs(two), atol=1e-6)
    assert set(two.grid["outcome"].str.split(";").str[0]) <= {"solved", "payoff (max welfare first)",
                                                            "payoff (min shortfall first)"}
    _assert_front_shape(two)


def test_the_payoff_points_start_searched_and_reach_the_cold_optima(monkeypatch):
    """gen:S:0: P_W and P_Q, each stage a maximisation (min Q as max −Q) from a start searched in the relaxation's
    neighbourhood or completed from the stage before, dive for nothing; they reach the optima HiGHS finds for the
    same first stages solved cold (max W; min Q − ε·W as a minimisation), within the gap."""
    from allocator.procedures import modes
    from allocator.procedures.modes import TIE_BREAK_WELFARE
    from formulations.min_service import measure_scale, measure_var

    dives = []
    monkeypatch.setattr(modes, "dive_start", lambda *a, **k: dives.append(1) or 0.0)
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario())
    front = pareto_front(data, points=3)
    assert dives == [] and set(front.payoff["status"]) == {"optimal"}
    monkeypatch.undo()
    for objective, maximize, payoff in (("W", True, 0), ("Q", False, 1)):
        run = build(data)
        m, hm = run.model, run.highs
        q = measure_var(m, data.scenario)
        hm.set_objective([(m.welfare.W, 1.0)] if objective == "W" else [(q, 1.0), (m.welfare.W, -TIE_BREAK_WELFARE)],
                         maximize=maximize)
        cold = hm.solve(mip_gap=1e-6)
        assert cold.status.value == "optimal"
        if objective == "W":
            assert front.payoff["welfare"][payoff] == pytest.approx(hm.value(m.welfare.W), rel=2e-4)
        else:
            measure = front.payoff["measure"][payoff] / measure_scale(data.scenario)
            assert measure == pytest.approx(hm.value(q), rel=2e-4)
