"""What-ifs on a warm model give the cold answer: λ and E_max re-solve the built model, other changes rebuild;
a stopped solve leaves the warm model as its scenario describes it."""

from __future__ import annotations

import numpy as np
import pytest

import allocator
from allocator import progress
from allocator.errors import Cancelled


@pytest.fixture(scope="module")
def warm():
    model = allocator.WarmModel("gen:S:0")
    model.solve()
    return model


@pytest.fixture(scope="module")
def warm_m():
    """A model whose solve lasts long enough (seconds) to be stopped halfway."""
    model = allocator.WarmModel("gen:M:0")
    model.solve()
    return model


WARM_CHANGES = [{"shortfall_price": 6000}, {"extra_budget": 5.0}, {"shortfall_price": 500, "extra_budget": 2.0},
                {"equity_alpha": 2.5}, {"equity_alpha": 0.0, "shortfall_price": 4000},
                {"welfare": {"slopes": [1.0, 0.5, 0.1]}}, {"welfare": {"loss_aversion": 3.0}}]


@pytest.mark.parametrize("change", WARM_CHANGES)
def test_a_cost_or_right_hand_side_change_re_solves_the_built_model(warm, change):
    warm.solve()
    r = warm.solve(**change)
    assert warm.rebuilt is False
    cold = allocator.solve("gen:S:0", **change)
    assert r.status == "optimal" and r.check == "passed"  # the checker recomputes W with the new weights
    # both are optimal within the MIP gap (10⁻⁴ of the objective W − λ'Q); W and Q alone may differ between optima
    assert r.objective == pytest.approx(cold.objective, rel=2e-4)
    assert r.summary()["extra_money"] <= change.get("extra_budget", 0.0) + 1e-6
    # W_max (price of fairness) is solved again when W's weights change: both to 0.1 %
    assert r.run.solution.indicators["welfare_max"] == pytest.approx(cold.run.solution.indicators["welfare_max"], rel=2e-3)


def test_liveability_value_is_a_weight_once_the_block_exists(warm):
    warm.solve(liveability_value=200.0)
    assert warm.rebuilt is True  # β from 0 to positive adds the liveability block
    r = warm.solve(liveability_value=800.0)
    assert warm.rebuilt is False
    cold = allocator.solve("gen:S:0", liveability_value=800.0)
    assert r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)
    warm.solve()
    assert warm.rebuilt is False  # back to the model built for the default, kept meanwhile


def test_a_structural_change_rebuilds_and_going_back_switches_to_the_kept_model(warm):
    warm.solve()
    default = warm._whatif.run.model
    r = warm.solve(norms={"gp_practice": 3.0})
    assert warm.rebuilt is True and r.check == "passed"
    again = warm.solve(shortfall_price=5000)  # back to the default's structure, at another λ
    assert warm.rebuilt is False and warm._whatif.run.model is default
    cold = allocator.solve("gen:S:0", shortfall_price=5000)
    assert again.status == "optimal" and again.check == "passed"
    assert again.objective == pytest.approx(cold.objective, rel=2e-4)
    norm = warm.solve(norms={"gp_practice": 3.0}, equity_alpha=2.0)  # the norm's model, kept, under another α
    assert warm.rebuilt is False and norm.check == "passed"
    assert norm.objective == pytest.approx(allocator.solve("gen:S:0", norms={"gp_practice": 3.0}, equity_alpha=2.0)
                                           .objective, rel=2e-4)


def test_at_most_kept_models_are_kept_and_the_oldest_goes_first(monkeypatch):
    from allocator.procedures import whatif

    monkeypatch.setattr(whatif, "KEPT_MODELS", 1)
    model = allocator.WarmModel("gen:S:0")
    model.solve()
    model.solve(norms={"gp_practice": 3.0})
    model.solve(norms={"gp_practice": 4.0})  # keeps the 3 km model; the default's goes
    assert len(model._whatif.models) == 1
    model.solve(norms={"gp_practice": 3.0})
    assert model.rebuilt is False
    r = model.solve()
    assert model.rebuilt is True and r.check == "passed"
    model._whatif.forget_solves()
    assert model._whatif.models == {}


def test_a_kept_model_without_the_rows_a_scenario_needs_is_rebuilt_and_replaced():
    model = allocator.WarmModel("gen:S:0")
    model.solve(hold_harmless="none")  # built without the region rows
    none_key = model._whatif.key
    model.solve(hold_harmless="none", norms={"gp_practice": 3.0})  # the first model is kept
    assert list(model._whatif.models) == [none_key]
    r = model.solve(hold_harmless="region")  # its structure, but it has no region rows: rebuilt
    assert model.rebuilt is True and r.check == "passed" and r.regions_worse_off == 0
    assert model._whatif.key == none_key and none_key not in model._whatif.models


@pytest.mark.parametrize("spare, kept", [(0.5, 1), (-0.5, 0)])
def test_a_model_is_kept_only_within_the_memory_budget(spare, kept):
    """The kept models at rest and the live model's estimate stay within solver.memory_limit_mb."""
    from allocator.api import prepare
    from allocator.model_size import at_rest_mb, estimate

    model = allocator.WarmModel("gen:S:0")
    model.solve()
    default = model._whatif.run.size
    live = estimate(prepare(model.instance, None, norms={"gp_practice": 3.0}))
    budget = live.memory_mb + at_rest_mb(default) * (1 + spare)  # room for the default's model, or half of it
    r = model.solve(norms={"gp_practice": 3.0}, solver={"memory_limit_mb": budget})
    assert r.check == "passed" and len(model._whatif.models) == kept


# (scenario, rebuilt?) in order: a model built under "none" has no hold-harmless rows; one built under
# "region" switches to the other region-total modes and back to none by bounds; region-domain adds rows
HOLD_HARMLESS_PATH = [({"hold_harmless": "region"}, True), ({"hold_harmless": "none"}, False),
                      ({"hold_harmless": "corridor", "corridor_down": 0.01}, False),
                      ({"hold_harmless": "per-capita-cap", "per_capita_cap": 20.0}, False),
                      ({"hold_harmless": "region-domain"}, True), ({"hold_harmless": "region"}, False),
                      ({}, False)]


def test_hold_harmless_modes_switch_by_row_bounds(warm):
    warm.solve(hold_harmless="none")
    for change, rebuilt in HOLD_HARMLESS_PATH:
        r = warm.solve(**change)
        assert warm.rebuilt is rebuilt, change
        cold = allocator.solve("gen:S:0", **change)
        assert r.status == "optimal" and r.check == "passed", change  # the checker re-checks the mode's rule
        assert r.objective == pytest.approx(cold.objective, rel=2e-4), change
        if change.get("hold_harmless", "none").startswith("region"):  # the default of gen:S:0 is none
            assert r.regions_worse_off == 0, change


def test_a_result_is_a_snapshot(warm):
    first = warm.solve(shortfall_price=1000)
    w = first.welfare
    warm.solve(shortfall_price=9000)
    assert first.welfare == w


def test_a_stop_reaches_welfare_max_beside_the_solve(warm_m):
    """α moves W_max, so it is solved on a twin beside the scenario's solve: a stop ends both."""
    with pytest.raises(Cancelled), progress.watch(stop=lambda: True):
        warm_m.solve(equity_alpha=1.6)
    r = warm_m.solve(equity_alpha=1.6)
    cold = allocator.solve("gen:M:0", equity_alpha=1.6)
    assert r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)
    assert r.run.solution.indicators["welfare_max"] == pytest.approx(cold.run.solution.indicators["welfare_max"],
                                                                     rel=2e-3)


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_a_stopped_solve_leaves_the_warm_model_intact(warm_m, mode):
    asked = []

    def stop():
        asked.append(1)
        return True

    with pytest.raises(Cancelled), progress.watch(stop=stop):
        warm_m.solve(shortfall_price=3000, mode=mode, solver={"time_limit": 60})
    assert asked
    r = warm_m.solve(shortfall_price=3000)
    cold = allocator.solve("gen:M:0", shortfall_price=3000)
    assert r.objective == pytest.approx(cold.objective, rel=2e-4) and r.check == "passed"


def test_welfare_max_is_solved_once_per_scenario(warm, monkeypatch):
    from allocator.procedures import modes

    calls = []
    real = modes.welfare_max_on
    monkeypatch.setattr(modes, "welfare_max_on", lambda hm, run: calls.append(1) or real(hm, run))
    first = warm.solve(equity_alpha=1.7).run.solution.indicators["welfare_max"]
    assert len(calls) == 1
    warm.solve(equity_alpha=0.3)
    again = warm.solve(equity_alpha=1.7, shortfall_price=7000)  # λ does not change W_max
    assert len(calls) == 2 and warm.rebuilt is False
    assert again.run.solution.indicators["welfare_max"] == pytest.approx(first)


def test_forgetting_the_solves_forgets_every_w_max_but_the_live_models_own(monkeypatch):
    from allocator.procedures import modes

    model = allocator.WarmModel("gen:S:0")
    model.solve(equity_alpha=1.7)
    model.solve()
    assert len(model._whatif.welfare_max) == 2
    model._whatif.forget_solves()
    assert model._whatif.welfare_max == {}
    calls = []
    real = modes.welfare_max_on
    monkeypatch.setattr(modes, "welfare_max_on", lambda hm, run: calls.append(1) or real(hm, run))
    model.solve()  # the live model's scenario: its W_max is still on the model
    assert calls == []
    model.solve(equity_alpha=1.7)  # asked before the solves were forgotten: its W_max is solved again
    assert len(calls) == 1


def test_the_neighbourhood_start_leaves_the_model_as_it_was(monkeypatch):
    """After a change of λ the neighbourhood's start leaves the bounds as they were and offers a whole plan; its
    sub-MIP starts from the last plan completed by the LP that priced the sites (HiGHS would otherwise solve that
    LP again, from scratch); the full solve from there gives the cold optimum."""
    import numpy as np

    from allocator.api import prepare
    from allocator.procedures.modes import build, set_weighted_objective, weighted
    from allocator.procedures.neighbourhood import neighbourhood_start
    from allocator.solver.highs import HighsModel

    run = build(prepare("gen:S:0"))
    weighted(run)
    hm = run.highs
    lp = hm.h.getLp()
    bounds = (np.array(lp.col_lower_), np.array(lp.col_upper_))
    run.data = prepare("gen:S:0", shortfall_price=9000)
    set_weighted_objective(run)
    sites = hm.cols_of(run.model.facilities.open[j] for j in run.data.sites.index)
    last = np.round(hm.values[sites])
    mips = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: (
        None if self.relaxed else mips.append(self.start)) or real(self, *a, **k))
    seconds = neighbourhood_start(run)
    assert len(mips) == 1  # the sub-MIP
    cols, values = mips[0]
    assert len(cols) == hm.n_cols and np.array_equal(values[sites], last)
    monkeypatch.setattr(HighsModel, "solve", real)
    lp = hm.h.getLp()
    assert np.array_equal(np.array(lp.col_lower_), bounds[0]) and np.array_equal(np.array(lp.col_upper_), bounds[1])
    assert not hm.relaxed and len(hm.start[0]) == hm.n_cols and seconds > 0  # a whole plan: HiGHS needs no LP
    cold = allocator.solve("gen:S:0", shortfall_price=9000)
    run.head_start = seconds
    rep = weighted(run)[0][1]
    assert rep.status.value == "optimal" and rep.objective == pytest.approx(cold.objective, rel=2e-4)
    assert rep.solve_seconds >= seconds  # the start's seconds are the stage's


def test_a_neighbourhood_that_misses_the_optimum_searches_where_the_relaxation_disagrees(monkeypatch):
    """gen:S:0, λ 2,000 → 9,000, the first neighbourhood cut to the one most favoured site: its sub-MIP's plan is not
    within the gap of the LP relaxation, so a second sub-MIP frees the sites where the relaxation and that plan
    disagree; its plan is the cold optimum, proven by the relaxation's bound, and the model's bounds are as before."""
    import numpy as np

    from allocator.api import prepare
    from allocator.procedures import neighbourhood
    from allocator.procedures.modes import build, set_weighted_objective, weighted
    from allocator.solver.highs import HighsModel

    run = build(prepare("gen:S:0"))
    weighted(run)
    hm = run.highs
    bounds = hm.col_bounds(np.arange(hm.n_cols))
    run.data = prepare("gen:S:0", shortfall_price=9000)
    set_weighted_objective(run)
    monkeypatch.setattr(neighbourhood, "_freed", lambda favour, groups: np.arange(len(favour)) == np.argmax(favour))
    mips = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: (
        None if self.relaxed else mips.append(1)) or real(self, *a, **k))
    neighbourhood.neighbourhood_start(run)
    monkeypatch.setattr(HighsModel, "solve", real)
    found = run.relaxed_start
    assert len(mips) == 2 and found is not None and found.proves(1e-4)
    assert all(np.array_equal(a, b) for a, b in zip(hm.col_bounds(np.arange(hm.n_cols)), bounds))
    cold = allocator.solve("gen:S:0", shortfall_price=9000)
    assert found.value == pytest.approx(cold.objective, rel=1e-4)
    rep = weighted(run)[0][1]
    assert rep.status.value == "optimal" and rep.objective == pytest.approx(cold.objective, rel=1e-4)


def test_a_lambda_what_if_proven_by_the_neighbourhoods_relaxation_runs_no_mip(monkeypatch):
    """gen:S:0, λ 2,000 → 2,500: the last plan completed is within the gap of the neighbourhood's LP relaxation, so
    neither the neighbourhood's sub-MIP nor the stage's HiGHS run happens, and the stage takes that bound without
    solving the LP again; the answer is the cold one, its bound the relaxation's, and nothing is left for the next
    what-if."""
    from allocator.procedures import modes
    from allocator.solver.highs import HighsModel

    model = allocator.WarmModel("gen:S:0")
    model.solve()
    calls = []
    real_solve, real_fixing = HighsModel.solve, modes.reduced_cost_fixing
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: (
        calls.append("lp" if self.relaxed else "mip"), real_solve(self, *a, **k))[1])
    monkeypatch.setattr(modes, "reduced_cost_fixing", lambda *a, **k: (calls.append("fixing"), real_fixing(*a, **k))[1])
    res = model.solve(shortfall_price=2500)
    assert "mip" not in calls and "fixing" not in calls
    rep = res.run.report
    assert res.status == "optimal" and res.check == "passed"
    assert rep.highs_status.startswith("not run: proven by the LP relaxation")
    assert rep.bound >= rep.objective and rep.mip_gap <= 1e-4
    assert model._whatif.run.relaxed_start is None
    monkeypatch.setattr(HighsModel, "solve", real_solve)
    cold = allocator.solve("gen:S:0", shortfall_price=2500)
    assert res.objective == pytest.approx(cold.objective, rel=1e-4)


def test_a_lambda_sub_mip_holds_the_relaxation_rows_and_leaves_the_model_its_own(monkeypatch):
    """nl (capacities: closure rows and coverage cuts), λ 2,000 → 1,000: the neighbourhood's sub-MIP runs with the
    relaxation rows in the model, valid for every plan, so its plan is a plan of the model; after the what-if the
    model has its own rows again, and the answer is optimal, checked, proven by the LP relaxation."""
    from allocator.solver.highs import HighsModel

    model = allocator.WarmModel("nl")
    model.solve()
    hm = model._whatif.run.highs
    own = hm.n_rows
    mips = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: (
        None if self.relaxed else mips.append(self.n_rows)) or real(self, *a, **k))
    res = model.solve(shortfall_price=1000)
    held = hm.relaxation_rows[0]
    assert mips and mips[0] == own + held and held > 0  # the sub-MIP; no HiGHS run after it
    assert hm.n_rows == own
    assert res.status == "optimal" and res.check == "passed"
    assert res.run.report.highs_status.startswith("not run: proven by the LP relaxation")


def test_a_plan_that_is_not_whole_leaves_its_sites_as_the_start(monkeypatch):
    """Where no whole plan can be offered (integers not within 10⁻⁶ of whole), the next solve still starts from
    the neighbourhood's sites, never from nothing."""
    from allocator.api import prepare
    from allocator.procedures import neighbourhood
    from allocator.procedures.modes import build, set_weighted_objective, weighted
    from allocator.solver.highs import HighsModel

    run = build(prepare("gen:S:0"))
    weighted(run)
    run.data = prepare("gen:S:0", shortfall_price=9000)
    set_weighted_objective(run)
    monkeypatch.setattr(HighsModel, "start_whole", lambda self, values: False)
    neighbourhood.neighbourhood_start(run)
    sites = run.highs.cols_of(run.model.facilities.open[j] for j in run.data.sites.index)
    assert run.highs.start is not None and sorted(run.highs.start[0]) == sorted(sites)
    rep = weighted(run)[0][1]
    assert rep.status.value == "optimal"


@pytest.mark.parametrize("change", [{"equity_alpha": 2.0}, {"extra_budget": 40.0}, {"welfare": {"slopes": [1.0, 0.5, 0.2]}}])
def test_a_weighted_re_solve_starts_from_the_last_sites_completed_into_a_whole_plan(monkeypatch, change):
    """After a change of costs or bounds the last plan's sites are completed by an LP from the last LP's basis
    and offered as a whole plan, its sites those of the last plan; the model is left as it was and the answer
    is the cold one."""
    import numpy as np

    from allocator.procedures import whatif
    from allocator.solver.highs import HighsModel
    from allocator.solver.reduced_costs import Relaxation

    model = allocator.WarmModel("gen:S:0")
    model.solve()
    hm = model._whatif.run.highs
    sites = hm.current_integers()
    offered, bases, limits = [], [], []
    real_solve, real_start = HighsModel.solve, whatif.completed_start

    def spy_solve(self, *args, **kwargs):
        if self.quiet:  # W_max's runs on the twin
            return real_solve(self, *args, **kwargs)
        if self.relaxed:
            bases.append(self.lp_basis is not None)
            limits.append(kwargs.get("time_limit"))
        else:  # the scenario's MIP
            offered.append(self.start)
        return real_solve(self, *args, **kwargs)

    calls = []
    monkeypatch.setattr(HighsModel, "solve", spy_solve)
    monkeypatch.setattr(whatif, "completed_start", lambda run: calls.append(1) or real_start(run))
    monkeypatch.setattr(Relaxation, "proves", lambda self, gap: False)  # HiGHS's run gets the start
    lp = hm.h.getLp()
    bounds = (np.array(lp.col_lower_), np.array(lp.col_upper_))
    r = model.solve(**change)
    assert calls == [1] and bases and all(bases)  # the completion LP started from the last LP's basis
    cols, values = offered[0]
    assert len(cols) == hm.n_cols and np.array_equal(values[sites[0]], sites[1])
    lp = hm.h.getLp()
    assert np.array_equal(np.array(lp.col_lower_), bounds[0]) and np.array_equal(np.array(lp.col_upper_), bounds[1])
    cold = allocator.solve("gen:S:0", **change)
    assert r.status == "optimal" and r.check == "passed"
    assert r.objective == pytest.approx(cold.objective, rel=2e-4)
    limits.clear()
    r = model.solve(**{**change, "extra_budget": 35.0}, solver={"time_limit": 10})
    assert 0 < limits[0] <= 10 / 20  # a start takes at most a twentieth of the time limit
    kept = np.array_equal(r.run.plan_values, offered[-1][1])  # then the completing LP was the marginal LP
    assert len(limits) == (1 if kept else 2)


def test_a_rebuilt_model_starts_from_the_last_plans_sites_within_its_bounds():
    """Every site of the last plan with a column in the rebuilt model is offered at its last value, clipped to the
    new model's bounds (a site nobody is within reach of any more is closed); sites the plan lacks are left out."""
    import numpy as np

    from allocator.api import prepare
    from allocator.procedures.modes import build
    from allocator.procedures.whatif import start_from_last_sites

    last = allocator.solve("gen:S:0").run.solution.facilities
    run = build(prepare("gen:S:0", norms={"gp_practice": 1.0}), greedy=False)
    hm, y = run.highs, run.model.facilities.open
    mine = last[last["site_id"] != last["site_id"].iloc[0]]  # a table without one of the sites: it is not offered
    assert start_from_last_sites(run, mine)
    offered = dict(zip(*hm.start))
    expected = {}
    for j, was in zip(mine["site_id"], mine["open"]):
        col = hm.col_of(y[j])
        if col is not None:
            lower, upper = hm.col_bounds(np.array([col], dtype=np.int32))
            expected[col] = float(np.clip(was, lower[0], upper[0]))
    assert offered == expected and len(offered) < len(last)
    was_open = {hm.col_of(y[j]) for j, o in zip(mine["site_id"], mine["open"]) if o > 0.5}
    assert any(expected[c] == 0 for c in was_open & set(expected))  # 1 km closes sites the last plan had open
    assert not start_from_last_sites(run, last.iloc[:0])


@pytest.mark.parametrize("gap, searched", [(0.0, True), (1.0, False)])
def test_the_relaxation_start_leaves_the_model_as_it_was_and_offers_a_whole_plan(monkeypatch, gap, searched):
    """A rebuilt model's start from the last plan's sites: the sub-MIP runs only when that plan is more than the
    gap below the LP bound, from that plan completed by the LP with its sites fixed; either way every column is offered (HiGHS then needs no LP to complete the start),
    the model's bounds and integrality are as they were, and the full solve gives the cold optimum."""
    import numpy as np

    from allocator.api import prepare
    from allocator.procedures import neighbourhood
    from allocator.procedures.modes import build, set_weighted_objective, weighted
    from allocator.procedures.whatif import start_from_last_sites
    from allocator.solver.highs import HighsModel

    last = allocator.solve("gen:S:0").run.solution
    run = build(prepare("gen:S:0", norms={"gp_practice": 3.0}), greedy=False)
    assert run.highs.start is None and start_from_last_sites(run, last.facilities)
    hm = run.highs
    assert hm.lp_basis is None  # a model just built has solved no LP
    lp = hm.h.getLp()
    bounds = (np.array(lp.col_lower_), np.array(lp.col_upper_))
    mips = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: mips.append(self.start) or real(self, *a, **k))
    monkeypatch.setattr(neighbourhood, "RELAXATION_GAP", gap)
    set_weighted_objective(run)
    sites = dict(zip(*hm.start))
    found = neighbourhood.relaxation_start(run)
    seconds = found.seconds
    assert bool(mips) == searched == found.sub_mip and seconds > 0
    assert found.bound.value >= found.value - 1e-9 * abs(found.value)  # the LP relaxation bounds the plan offered
    for cols, values in mips:  # the sub-MIP starts from the last plan's sites completed by the fixed-sites LP
        assert len(cols) == hm.n_cols and all(values[c] == v for c, v in sites.items())
    assert hm.lp_basis is not None and hm.lp_basis.valid  # the LP with the sites fixed: the marginal LP starts there
    lp = hm.h.getLp()
    assert np.array_equal(np.array(lp.col_lower_), bounds[0]) and np.array_equal(np.array(lp.col_upper_), bounds[1])
    assert not hm.relaxed and len(hm.start[0]) == hm.n_cols
    cold = allocator.solve("gen:S:0", norms={"gp_practice": 3.0})
    run.head_start = seconds
    rep = weighted(run)[0][1]
    assert rep.status.value == "optimal" and rep.objective == pytest.approx(cold.objective, rel=2e-4)
    assert rep.solve_seconds >= seconds  # the start's seconds are the stage's


def test_a_stop_in_the_relaxations_sub_mip_leaves_the_rebuilt_model_usable(monkeypatch):
    from allocator.procedures import neighbourhood, whatif

    inside = []
    real = whatif.relaxation_start

    def spy(run):
        inside.append(1)
        try:
            return real(run)
        finally:
            inside.clear()

    monkeypatch.setattr(whatif, "relaxation_start", spy)
    monkeypatch.setattr(neighbourhood, "RELAXATION_GAP", 0.0)  # the sub-MIP always runs
    model = allocator.WarmModel("gen:M:0")  # its sub-MIP lasts long enough to be stopped
    model.solve()
    with pytest.raises(Cancelled), progress.watch(stop=lambda: bool(inside)):
        model.solve(norms={"gp_practice": 3.0})
    r = model.solve(norms={"gp_practice": 3.0})
    cold = allocator.solve("gen:M:0", norms={"gp_practice": 3.0})
    assert r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)


def test_marginal_welfare_beside_the_check_equals_it_solved_after(warm, monkeypatch):
    from allocator.procedures import modes

    calls = []
    real = modes.marginal_beside
    monkeypatch.setattr(modes, "marginal_beside", lambda run, plan: calls.append(plan) or real(run, plan))
    warm.solve()
    calls.clear()
    r = warm.solve(shortfall_price=3000)  # λ leaves W_max known: the marginal LP runs beside the plan's reading
    assert len(calls) == 1 and calls[0] is r.run.plan_values and r.check == "passed"
    hm, fac = r.run.highs, r.run.solution.facilities  # the sites it fixes are the answer's
    cols = hm.columns_by_key(r.run.model.facilities.open, fac["site_id"].tolist())
    assert np.array_equal(np.round(calls[0][cols[cols >= 0]]), fac["open"].to_numpy()[cols >= 0])
    again = modes.marginal_welfare(r.run, r.run.plan_values)
    assert r.run.solution.indicators["marginal_welfare_per_meur"] == pytest.approx(again, rel=1e-9, abs=1e-12)


def test_the_marginal_welfare_of_a_plan_that_keeps_its_start_is_the_dual_of_the_lp_that_completed_it(warm, monkeypatch):
    from allocator.procedures import modes

    warm._whatif.forget_solves()
    warm.solve()
    solved = []
    real = modes.marginal_dual
    monkeypatch.setattr(modes, "marginal_dual", lambda run: solved.append(1) or real(run))  # the LP after the run
    r = warm.solve(equity_alpha=2.5)  # gen:S:0: the last plan completed for α is the optimum
    assert solved == [] and r.check == "passed" and r.run.completed_lp is None  # used by the run that made it
    again = modes.marginal_welfare(r.run, r.run.plan_values)  # the LP solved with the plan's sites fixed
    assert solved == [1]
    assert r.run.solution.indicators["marginal_welfare_per_meur"] == pytest.approx(again, rel=1e-9, abs=1e-12)


def test_the_completing_lp_stands_for_the_marginal_lp_only_with_the_same_columns_at_the_same_values():
    from allocator.procedures.modes import _same_fixing

    lp = (np.array([4, 1, 7], dtype=np.int32), np.array([1.0, 0.0, 1.0]), 2.5)
    assert _same_fixing(lp, np.array([1, 7, 4], dtype=np.int32), np.array([0.0, 1.0, 1.0]))  # any order
    assert not _same_fixing(lp, np.array([1, 7, 4], dtype=np.int32), np.array([1.0, 1.0, 1.0]))  # a site moved
    assert not _same_fixing(lp, np.array([1, 4], dtype=np.int32), np.array([0.0, 1.0]))  # a column not fixed
    assert not _same_fixing(lp, np.array([1, 7, 5], dtype=np.int32), np.array([0.0, 1.0, 1.0]))


def _read_ahead_spies(monkeypatch, shift: float = 0.0) -> tuple[list, list]:
    """(values each read-ahead read, one entry per extraction after HiGHS): ``shift`` moves the first column of
    what the read-ahead reads, so that it no longer matches HiGHS's plan."""
    from allocator.procedures import modes

    read, extracted = [], []
    real_read, real_extract = modes._read_plan, modes.extract

    def reading(run, values, *rest):
        values = values.copy()
        values[0] += shift
        read.append(values)
        return real_read(run, values, *rest)

    monkeypatch.setattr(modes, "_read_plan", reading)
    monkeypatch.setattr(modes, "extract", lambda *a, **k: extracted.append(1) or real_extract(*a, **k))
    return read, extracted


def _assert_same_solution(r) -> None:
    """``r``'s solution is the plan HiGHS returned, read after the run (tables, W, Q, objective, report)."""
    import pandas as pd

    from allocator.indicators import inequality
    from allocator.results import extract

    run = r.run
    fresh = extract(run.model, run.highs.at(run.plan_values), run.data, run.report)
    for name, frame in fresh.tables().items():
        pd.testing.assert_frame_equal(run.solution.tables()[name], frame)
    assert (run.solution.welfare, run.solution.shortfall, run.solution.objective) == (fresh.welfare, fresh.shortfall,
                                                                                      run.report.objective)
    assert run.solution.report == run.report and run.solution.stages and r.check == "passed"
    unequal = inequality(run.data, fresh)  # computed beside HiGHS where it kept its start
    assert {k: run.solution.indicators[k] for k in unequal} == unequal


@pytest.mark.parametrize("change", [{"equity_alpha": 2.5}, {"extra_budget": 5.0}, {"shortfall_price": 6000}])
def test_a_plan_read_while_highs_runs_is_used_where_highs_keeps_its_start(warm, monkeypatch, change):
    read, extracted = _read_ahead_spies(monkeypatch)
    warm._whatif.forget_solves()  # no earlier solve proves the change without HiGHS
    warm.solve()
    read.clear(), extracted.clear()
    r = warm.solve(**change)
    assert len(read) == 1  # a re-solve starts from a whole plan
    kept = np.array_equal(read[0], r.run.plan_values)
    assert kept or "shortfall_price" in change  # gen:S:0: the last plan completed for α or money is the optimum
    assert extracted == ([] if kept else [1])
    _assert_same_solution(r)


def test_a_plan_read_while_highs_runs_is_read_again_where_highs_ends_elsewhere(warm, monkeypatch):
    read, extracted = _read_ahead_spies(monkeypatch, shift=1.0)
    warm._whatif.forget_solves()
    warm.solve()
    read.clear(), extracted.clear()
    r = warm.solve(equity_alpha=2.5)
    assert len(read) == 1 and not np.array_equal(read[0], r.run.plan_values) and extracted == [1]
    _assert_same_solution(r)


def test_a_scenario_asked_again_reuses_its_answers_reading(warm, monkeypatch):
    """gen:S:0: α 2.5 (read while HiGHS proved it), the default, α 2.5 again: its own earlier solve proves it, and
    its tables, check, CSV and page are those read the first time, not read again; the report is this answer's."""
    from allocator.procedures import modes

    warm._whatif.forget_solves()
    warm.solve()
    first = warm.solve(equity_alpha=2.5)
    assert first.run.reading is not None and first.run.solution.page_sections is not None
    warm.solve()
    read, extracted = _read_ahead_spies(monkeypatch)
    checked, real_check = [], modes.check
    monkeypatch.setattr(modes, "check", lambda *a: checked.append(1) or real_check(*a))
    again = warm.solve(equity_alpha=2.5)
    assert read == [] and extracted == [] and checked == []
    assert again.run.report.highs_status.startswith("not run: proven by the bound of an earlier solve")
    assert again.run.solution.report == again.run.report != first.run.report
    assert again.run.solution.page_sections == first.run.solution.page_sections
    assert again.run.solution.csv_cache is first.run.solution.csv_cache
    assert again.check == "passed" and again.welfare == first.welfare
    _assert_same_solution(again)
    another = warm.solve(equity_alpha=2.5, extra_budget=1.0)  # another scenario: read as any other
    assert another.run.solution.page_sections is not None and len(read) == 1
    warm._whatif.forget_solves()
    assert warm._whatif.readings == {}


def test_a_kept_reading_serves_only_its_own_plan():
    import numpy as np

    from allocator.procedures.modes import _kept_reading

    reading = (np.array([1.0, 0.0, 2.5]), "solution", "check", {})
    assert _kept_reading(reading, np.array([1.0, 0.0, 2.5])).result() is reading
    assert _kept_reading(reading, np.array([1.0, 0.0, 2.5 + 1e-12])) is None
    assert _kept_reading(None, np.array([1.0])) is None


def test_a_warm_model_keeps_the_readings_of_its_last_answers_only(monkeypatch):
    from allocator.procedures import whatif

    monkeypatch.setattr(whatif, "READINGS_KEPT", 2)
    model = allocator.WarmModel("gen:S:0")
    model.solve()
    for alpha in (1.5, 2.0, 2.5):
        model.solve(equity_alpha=alpha)
    kept = model._whatif.readings
    assert len(kept) == 2 and all('"equity_alpha":2.0' in k or '"equity_alpha":2.5' in k for k in kept)


def test_a_lexicographic_solve_searches_each_stage_and_ends_where_highs_alone_does(monkeypatch):
    """gen:S:0, lexicographic: each stage's start is searched in the relaxation's neighbourhood (no dive), and the
    answer is the one HiGHS reaches with neither search nor relaxation proof, within the gap."""
    from allocator.procedures import modes, neighbourhood

    dives, searches = [], []
    real = neighbourhood.searched_start
    monkeypatch.setattr(modes, "dive_start", lambda *a, **k: dives.append(1) or 0.0)
    monkeypatch.setattr(neighbourhood, "searched_start", lambda run: searches.append(1) or real(run))
    searched = allocator.solve("gen:S:0", mode="lexicographic")
    assert dives == [] and searches == [1, 1]
    assert searched.status == "optimal" and searched.check == "passed"
    monkeypatch.undo()
    monkeypatch.setattr(neighbourhood, "searched_start", lambda run: None)
    plain = allocator.solve("gen:S:0", mode="lexicographic")
    assert plain.status == "optimal"
    assert searched.shortfall == pytest.approx(plain.shortfall, rel=1e-4, abs=5.0)
    assert searched.welfare == pytest.approx(plain.welfare, rel=2e-4)


def test_a_cold_solve_and_a_lexicographic_what_if_read_nothing_ahead(monkeypatch):
    read, _ = _read_ahead_spies(monkeypatch)
    model = allocator.WarmModel("gen:S:0")
    model.solve()  # the greedy's sites: not a whole plan
    model.solve(mode="lexicographic")
    assert read == []


def test_only_a_what_ifs_own_mip_solves_stop_presolve_early_and_skip_rens(monkeypatch):
    """The scenario's MIP and W_max's (on the twin) get the reduction limit, and no RENS in the weighted mode;
    a model rebuilt from the last plan's sites gets the limit; the first solve of a built model, the
    neighbourhood's sub-MIP and the LPs get neither (they fix thousands of columns, each one reduction)."""
    import math

    from allocator.procedures import modes
    from allocator.procedures.whatif import RESOLVE_PRESOLVE_SHARE
    from allocator.solver.highs import HighsModel

    monkeypatch.setattr(modes, "welfare_max_by_lps", lambda *args: None)  # W_max as a MIP every time
    monkeypatch.setattr(modes.Relaxation, "proves", lambda self, gap: False)  # the scenario's MIP as well
    seen = []
    real = HighsModel.solve

    def spy(self, *args, **kwargs):
        options = kwargs.get("options") or {}
        seen.append(((options.get("presolve_reduction_limit"), options.get("mip_heuristic_run_rens", True)),
                     self.relaxed))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(HighsModel, "solve", spy)
    model = allocator.WarmModel("gen:S:0")
    model.solve()
    full = (None, True)  # HiGHS's defaults: full presolve, RENS on
    assert seen and all(opts == full for opts, _ in seen)  # a cold solve
    own = (math.ceil(RESOLVE_PRESOLVE_SHARE * model._whatif.run.highs.n_rows), False)
    seen.clear()
    r = model.solve(equity_alpha=2.0)  # W's row restated: the scenario's MIP and W_max's beside it
    assert r.status == "optimal" and r.check == "passed"
    assert [opts for opts, relaxed in seen if not relaxed] == [own, own]
    assert all(opts == full for opts, relaxed in seen if relaxed)  # the marginal-welfare LP
    seen.clear()
    model.solve(equity_alpha=2.0, shortfall_price=6000)  # λ: the neighbourhood's LP and sub-MIP first
    mips = [opts for opts, relaxed in seen if not relaxed]
    assert mips[-1] == own and all(opts == full for opts in mips[:-1])
    assert all(opts == full for opts, relaxed in seen if relaxed)
    seen.clear()
    model.solve(equity_alpha=2.0, shortfall_price=6000, mode="lexicographic")  # min Q, then max W: RENS kept
    mips = [opts for opts, relaxed in seen if not relaxed]  # each stage's start searched: a sub-MIP first, if it runs
    assert [o for o in mips if o != full] == [(own[0], True)] * 2 and mips[-1] == (own[0], True)
    seen.clear()
    model.solve(norms={"gp_practice": 3.0})  # rebuilt, from the last plan's sites: the limit, RENS kept
    rows = model._whatif.run.highs.n_rows
    mips = [opts for opts, relaxed in seen if not relaxed]  # the relaxation's sub-MIP first, if it runs
    assert mips[-2:] == [(math.ceil(RESOLVE_PRESOLVE_SHARE * rows), True)] * 2 and all(o == full for o in mips[:-2])


def test_w_max_settled_by_two_lps_equals_w_max_by_its_mip(monkeypatch):
    """After a change that moves W_max, the last W_max plan completed by an LP and the LP relaxation settle it where
    they are within its gap: the same W_max and gap as its MIP gives; a plan that no longer fits leaves it to the MIP."""
    from allocator.procedures import modes

    settled, real = [], modes.welfare_max_by_lps
    monkeypatch.setattr(modes, "welfare_max_by_lps", lambda *args: settled.append(real(*args)) or settled[-1])
    changes = [{"equity_alpha": 2.0}, {"extra_budget": 5.0}, {"welfare": {"slopes": [1.0, 0.5, 0.1]}}]
    by_lps = allocator.WarmModel("gen:S:0")
    by_lps.solve()
    answers = [by_lps.solve(**change).run.solution.indicators for change in changes]
    assert len(settled) == len(changes) and all(s is not None for s in settled)
    monkeypatch.setattr(modes, "welfare_max_by_lps", lambda *args: None)
    by_mip = allocator.WarmModel("gen:S:0")
    by_mip.solve()
    for change, lp in zip(changes, answers):
        mip = by_mip.solve(**change).run.solution.indicators
        assert lp["welfare_max_gap"] <= modes.WMAX_GAP
        assert lp["welfare_max"] == pytest.approx(mip["welfare_max"], rel=modes.WMAX_GAP)
        assert lp["price_of_fairness"] == pytest.approx(mip["price_of_fairness"], abs=modes.WMAX_GAP)


def test_w_max_by_lps_leaves_a_plan_that_does_not_fit_to_the_mip():
    """With W bounded above every plan's, the last W_max plan does not fit: no W_max from the LPs; the start on
    offer and the bounds are left as they were."""
    from allocator.procedures import modes

    model = allocator.WarmModel("gen:S:0")
    model.solve()
    run = model._whatif.run
    hm, w = run.highs, run.model.welfare.W
    lower, upper = hm.bounds(w)
    hm.set_bounds(w, 1e9, upper)
    offer = hm.start
    try:
        assert modes.welfare_max_by_lps(hm, run.w_max_start, None) is None
    finally:
        hm.set_bounds(w, lower, upper)
    assert hm.start is offer and hm.bounds(w) == (lower, upper)


def test_a_rebuild_starts_from_the_last_plans_sites_unless_a_forced_site_moved(monkeypatch):
    from allocator.procedures import whatif

    offered = []
    real = whatif.start_from_last_sites

    def spy(run, facilities):
        offered.append((real(run, facilities), run.dive))
        cols, values = run.highs.start
        lower, upper = run.highs.col_bounds(cols)
        assert ((lower <= values) & (values <= upper)).all()  # a site the new model fixes takes its fixed value
        return offered[-1][0]

    monkeypatch.setattr(whatif, "start_from_last_sites", spy)
    model = allocator.WarmModel("gen:S:0")
    first = model.solve()
    assert offered == []  # the first build has no plan before it: the greedy's start and a dive
    r = model.solve(norms={"gp_practice": 3.0})
    assert model.rebuilt and offered == [(True, False)]  # the last plan's sites, no dive
    cold = allocator.solve("gen:S:0", norms={"gp_practice": 3.0})
    assert r.status == "optimal" and r.check == "passed" and r.objective == pytest.approx(cold.objective, rel=2e-4)
    fac = first.facilities
    closed = fac.loc[fac["open"] < 0.5, "site_id"].iloc[0]  # a site the last plan kept closed, now forced open
    r = model.solve(force_open=[closed])
    assert offered[-1] == (True, True)  # a site had to open: the dive keeps whichever start is better
    assert r.check == "passed" and r.facilities.set_index("site_id").loc[closed, "open"] > 0.5


def test_tables_rendered_while_highs_runs_are_written_as_they_would_be(warm, tmp_path):
    """A what-if's tables rendered as CSV beside HiGHS make the same files, byte for byte, as rendering them when
    the folder is written; a table replaced since is rendered again."""
    import dataclasses

    warm._whatif.forget_solves()
    warm.solve()
    r = warm.solve(equity_alpha=2.2)
    sol = r.run.solution
    assert sol.csv_cache  # rendered by the read-ahead
    fresh = dataclasses.replace(sol, csv_cache={})
    sol.write(tmp_path / "rendered")
    fresh.write(tmp_path / "fresh")
    for path in (tmp_path / "fresh").glob("*.csv"):
        assert (tmp_path / "rendered" / path.name).read_bytes() == path.read_bytes(), path.name
    changed = dataclasses.replace(sol, facilities=sol.facilities.assign(open=0))
    changed.write(tmp_path / "changed")
    assert (tmp_path / "changed" / "facilities.csv").read_bytes() != (tmp_path / "fresh" / "facilities.csv").read_bytes()


def test_a_sweeps_row_renders_no_csv(warm):
    """A row of a sweep (no indicators) writes no result folder: its tables are not rendered as CSV."""
    from allocator.api import prepare

    warm._whatif.forget_solves()
    warm.solve()
    run = warm._whatif.solve(prepare(warm.instance, equity_alpha=2.4), indicators=False)
    assert run.check.passed and run.solution.csv_cache == {}


@pytest.mark.parametrize("change", [{"equity_alpha": 2.0}, {"extra_budget": 40.0}])
def test_a_start_the_lp_relaxation_proves_is_the_answer_without_a_highs_run(monkeypatch, change):
    """gen:S:0: after a change of α or of the money the last plan, completed, is within the gap of the
    LP relaxation's bound: the answer is that plan, with that bound, and no MIP of the scenario is run; it is the
    cold solve's optimum within the gap."""
    from allocator.solver.highs import HighsModel

    model = allocator.WarmModel("gen:S:0")
    model.solve()
    mips = []
    real = HighsModel.solve
    monkeypatch.setattr(HighsModel, "solve", lambda self, *a, **k: (mips.append(1) if not (self.relaxed or self.quiet)
                                                                     else None) or real(self, *a, **k))
    r = model.solve(**change)
    rep = r.run.report
    assert rep.highs_status == "not run: proven by the LP relaxation" and mips == []
    assert r.status == "optimal" and r.check == "passed" and rep.nodes == 0
    assert rep.objective <= rep.bound and rep.mip_gap == pytest.approx((rep.bound - rep.objective) / abs(rep.objective))
    assert rep.mip_gap <= 1e-4
    cold = allocator.solve("gen:S:0", **change)
    assert rep.bound >= cold.objective - 1e-6 * abs(cold.objective)
    assert r.objective == pytest.approx(cold.objective, rel=1e-4)
