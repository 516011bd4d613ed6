"""Starting points reach HiGHS: the status quo in the first solve, the previous stage's sites in the next.

HiGHS drops a user solution whenever the model changes, and every mode changes costs after the start
is chosen; :class:`allocator.solver.highs.HighsModel` therefore holds the start and hands it over just before
the run.  HiGHS's own log says whether it tried the start ("MIP start solution is feasible").  HiGHS's
run clock adds up over the runs of one ``Highs`` object, so each solve moves the model to a fresh one.
"""

from __future__ import annotations

import gc
import re

import numpy as np
import pytest
import pyomo.environ as pyo

from allocator import progress
from allocator.api import prepare
from allocator.build import build_model
from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, lexicographic, solve, weighted
from allocator.scenario import Scenario
from allocator.solver.highs import HighsModel
from tests.helpers import MIP_STARTS, log_highs_to

TRIED = "Attempting to find feasible solution by solving LP for user-supplied values of discrete variables"


def logged_run(tmp_path, **scenario):
    run = build(InstanceData.prepare(load_instance("gen:S:0"), Scenario(**scenario)))
    log = tmp_path / "highs.log"
    log_highs_to(run.highs, log)
    return run, log


def test_status_quo_start_reaches_highs_after_the_objective_is_set(tmp_path):
    run, log = logged_run(tmp_path)
    run.dive = False  # the greedy start as built (the dive may replace it: tests/allocator/procedures/test_dive.py)
    (_, rep), = weighted(run)
    assert rep.status.value == "optimal"
    starts = MIP_STARTS.findall(log.read_text())
    assert len(starts) == 1
    # the start HiGHS completed is the status quo: every existing site open, no candidate; its objective is
    # below the optimum (the status quo is not optimal on gen:S:0)
    assert float(starts[0]) < rep.objective - 1.0
    assert run.highs.start is None  # used once, not offered again to a later solve


def test_each_lexicographic_stage_starts_from_a_solution(tmp_path):
    run, log = logged_run(tmp_path, mode="lexicographic")
    stages = lexicographic(run)
    assert [s.status.value for _, s in stages] == ["optimal", "optimal"]
    text = log.read_text()
    # every MIP run (each stage's search for its start, then the stage's own run unless the LP relaxation proved
    # that start) was offered a start and took it, whole: HiGHS completed none
    runs = re.findall(r"^MIP has ", text, re.M)
    assert runs and len(MIP_STARTS.findall(text)) == len(runs) and text.count(TRIED) == 0
    # stage 2 (max W) starts from stage 1's sites, which meet its bound Q ≤ Q* + room: HiGHS finds the start
    # feasible, and its W cannot exceed stage 2's optimum
    *_, stage_two = (float(x) for x in MIP_STARTS.findall(text))
    assert stage_two <= stages[1][1].objective + 1e-6


def test_start_is_not_kept_after_a_solve(tmp_path):
    run, log = logged_run(tmp_path)
    weighted(run)
    weighted(run)  # a re-solve without a new start: HiGHS is offered nothing
    assert len(MIP_STARTS.findall(log.read_text())) == 1


def test_a_start_is_tried_after_earlier_solves_outlast_the_time_limit(tmp_path):
    # HiGHS's run clock adds up over the runs of one Highs object and its start-completion LP compares it
    # with the time limit: before each solve got a fresh clock, this start timed out unseen
    run, log = logged_run(tmp_path)
    spent = sum(weighted(run)[0][1].solve_seconds for _ in range(3))  # what one Highs clock would add up to
    run.highs.start_from_current_integers()
    rep = run.highs.solve(time_limit=0.9 * spent)  # below the earlier solves' total, above one solve's time
    assert "Timeout" not in log.read_text()
    assert len(MIP_STARTS.findall(log.read_text())) == 2  # the first solve's and this one
    assert rep.status.has_solution


def test_an_lp_after_long_solves_is_not_cut_off(tmp_path):
    run, _ = logged_run(tmp_path)
    spent = sum(weighted(run)[0][1].solve_seconds for _ in range(3))  # what one Highs clock would add up to
    run.highs.relax_integers(True)
    rep = run.highs.solve(time_limit=spent / 2)  # the LP itself takes a few milliseconds on gen:S:0
    assert rep.status.value == "optimal", run.highs.h.modelStatusToString(run.highs.h.getModelStatus())


def test_a_solve_hands_its_best_plan_and_gap_to_the_progress_while_it_runs(monkeypatch):
    """The web app and the terminal show how far the best plan so far can be from the optimum: HiGHS's
    callback hands (best, bound, gap) to the ticker, whose next tick reports them."""
    seen = []
    real = progress.SolveTicker.found
    monkeypatch.setattr(progress.SolveTicker, "found", lambda self, *args: seen.append(args) or real(self, *args))
    run = build(prepare("gen:M:0", solver={"time_limit": 60}))
    with progress.watch(lambda event: None, stop=lambda: False):
        rep = weighted(run)[0][1]
    finite = [(best, bound, gap) for best, bound, gap in seen if abs(best) < 1e30 and abs(bound) < 1e30]
    assert finite, "HiGHS's callback never had an incumbent"
    best, bound, gap = finite[-1]
    assert 0 <= gap and best <= bound + 1e-6  # a maximisation: the bound is above
    assert rep.objective >= best - 1e-6  # the answer is at least the plan reported on the way


def test_the_ticker_reports_the_search_once_it_has_a_plan():
    events = []
    ticker = progress.SolveTicker(60)
    with progress.watch(events.append):
        ticker.tick(0.2)
        ticker.found(float("inf"), float("inf"), float("inf"))  # no incumbent yet: nothing to report
        ticker.tick(0.4)
        ticker.found(10321.4, 10332.0, 0.00103)
        ticker.tick(0.6)
    assert [e["gap"] for e in events] == [None, None, 0.00103]
    assert events[-1]["best"] == 10321.4 and events[-1]["bound"] == 10332.0
    quiet = progress.SolveTicker(60, quiet=True)
    with progress.watch(events.append):
        quiet.found(1.0, 2.0, 0.5)
        quiet.tick(1.0)
    assert len(events) == 3  # a twin's solve reports nothing


def test_a_twin_is_the_same_model_in_a_highs_of_its_own():
    run = build(prepare("gen:S:0"))
    hm, m = run.highs, run.model
    twin = hm.twin()
    assert twin.n_rows == hm.n_rows and twin.n_cols == hm.n_cols and twin.start is hm.start
    twin.set_bounds(m.welfare.W, 0.0, 1.0)
    assert hm.bounds(m.welfare.W) != twin.bounds(m.welfare.W)  # changes there stay there


def test_welfare_max_beside_the_mode_equals_welfare_max_after_it():
    after = solve(build(prepare("gen:M:0")))
    beside = solve(build(prepare("gen:M:0")), beside=True)
    a, b = after.solution.indicators, beside.solution.indicators
    assert beside.report.status.value == "optimal" and beside.check.passed
    assert b["welfare_max"] == pytest.approx(a["welfare_max"], rel=2e-3)  # both to HiGHS's 0.1 %
    assert beside.solution.welfare == pytest.approx(after.solution.welfare, rel=2e-4)


def test_a_whole_start_is_offered_only_when_its_integers_are_whole():
    run = build(prepare("gen:S:0"))
    weighted(run)
    hm = run.highs
    plan = hm.values.copy()
    nudged = plan.copy()
    nudged[hm.integer] += 1e-8  # within 10⁻⁶ of whole: offered, rounded
    assert hm.start_whole(nudged) and np.array_equal(hm.start[1][hm.integer], np.round(plan[hm.integer]))
    assert len(hm.start[0]) == hm.n_cols
    hm.start = None
    broken = plan.copy()
    broken[np.flatnonzero(hm.integer)[0]] = 0.5
    assert not hm.start_whole(broken) and hm.start is None  # not whole: nothing offered
    assert not hm.start_whole(plan[:-1]) and hm.start is None  # not every column


def test_a_run_from_a_whole_plan_goes_without_the_feasibility_jump(monkeypatch):
    """HiGHS's feasibility jump looks for a first plan; from a whole plan the run goes without it, for that
    run only; from the sites alone it stays (HiGHS's own completion of them may fail)."""
    run = build(prepare("gen:S:0"))
    weighted(run)
    hm = run.highs
    seen = []
    solve = HighsModel._solve

    def spy(self, *args, **kwargs):
        seen.append(self._option("mip_heuristic_run_feasibility_jump"))
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(HighsModel, "_solve", spy)
    plan = hm.values.copy()
    assert hm.start_whole(plan)
    whole = hm.solve()
    hm.start_from_current_integers()
    sites = hm.solve()
    assert seen == [False, True] and hm._option("mip_heuristic_run_feasibility_jump") is True
    assert whole.status.value == sites.status.value == "optimal"
    assert whole.objective == pytest.approx(sites.objective, rel=1e-9)


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_welfare_max_after_the_mode_starts_from_its_plan_whole(monkeypatch, mode):
    """W_max solved after the mode (no second core, or ``regio solve``) starts from the mode's plan as it is
    (W_max only frees the shortfall columns, so it stays a plan): its relaxation's neighbourhood is searched
    around that plan, every column, and W_max is the one found from the plan's sites alone, to its gap."""
    from allocator.procedures import neighbourhood
    from allocator.solver.highs import HighsModel

    starts, real = [], neighbourhood.relaxation_start

    def spy(run, **k):  # W_max's search names its model (the mode's own stages search run.highs)
        if "hm" in k:
            starts.append((k["hm"].start, k["hm"].values.copy()))
        return real(run, **k)

    monkeypatch.setattr(neighbourhood, "relaxation_start", spy)
    run = solve(build(prepare("gen:M:0")), mode)
    assert len(starts) == 1
    (cols, values), plan = starts[0]
    assert len(cols) == run.highs.n_cols and np.allclose(values, plan, atol=1e-6)
    monkeypatch.setattr(HighsModel, "start_whole", lambda self, values: False)  # the sites alone, as before
    sites_only = solve(build(prepare("gen:M:0")), mode)
    a, b = run.solution.indicators, sites_only.solution.indicators
    assert a["welfare_max"] == pytest.approx(b["welfare_max"], rel=2e-3)  # both to HiGHS's 0.1 %
    assert a["welfare_max"] >= run.solution.welfare - 1e-6


def test_the_root_lp_skips_presolve_where_region_totals_are_or_may_become_free(monkeypatch):
    import allocator
    from allocator.procedures import extra_budget

    def option(run):
        return run.highs._option("mip_root_presolve_only")

    inst = load_instance("gen:S:0")
    assert option(build(InstanceData.prepare(inst, Scenario(hold_harmless="none")))) is True
    assert option(build(InstanceData.prepare(inst, Scenario(hold_harmless="region")))) is False
    warm = allocator.WarmModel(inst)
    warm.solve(hold_harmless="region")  # a later what-if may switch to none
    assert option(warm._whatif.run) is True and warm._whatif.run.highs.twin()._option("mip_root_presolve_only") is True
    built = []
    real = extra_budget.build
    monkeypatch.setattr(extra_budget, "build", lambda data: built.append(real(data)) or built[-1])
    extra_budget.least_extra_budget(InstanceData.prepare(inst, Scenario(hold_harmless="region")))
    assert option(built[0]) is True


def test_an_lp_starts_from_the_last_lp_optimum_and_ends_where_a_cold_one_does():
    """The marginal-welfare LP and the neighbourhood's LP of a what-if start from the last LP's basis (HiGHS then
    skips its presolve); the optimum and the duals are those of a cold solve of the same LP."""
    run = solve(build(prepare("gen:M:0")), indicators=False)
    hm, m = run.highs, run.model
    cols = np.flatnonzero(hm.integer).astype(np.int32)
    plan = np.round(hm.values[cols])

    def fixed_lp(extra: float, basis):
        hm.lp_basis = basis
        hm.set_row_bounds(m.budget.extra_limit, None, extra)
        with hm.fixed_lp(cols, plan):
            rep = hm.solve()
            assert rep.status.value == "optimal"
            return rep.objective, hm.row_duals(m.budget.extra_limit), hm.h.getInfo().simplex_iteration_count, hm.lp_basis

    cold, dual, iterations, basis = fixed_lp(0.0, None)
    assert iterations > 0 and basis is not None and basis.valid
    again = fixed_lp(0.0, basis)
    assert again[2] == 0 and again[:2] == pytest.approx((cold, dual), rel=1e-9)  # the basis is the optimum's
    warm, cold_50 = fixed_lp(50.0, basis), fixed_lp(50.0, None)
    assert warm[2] < cold_50[2] and warm[0] == pytest.approx(cold_50[0], rel=1e-9)
    assert warm[1] == pytest.approx(cold_50[1], rel=1e-6, abs=1e-9)


def test_a_known_bound_stops_the_run_once_its_plan_is_within_the_gap():
    """A bound proven before the run (allocator.procedures.price_bounds) ends it at the first plan within the gap
    of it: optimal, with the lower of the two bounds; without one, or for an LP, HiGHS decides alone."""
    from allocator.solver.highs import KnownBound

    run = build(prepare("gen:M:0"))
    first = weighted(run)[0][1]
    assert first.status.value == "optimal"
    hm = run.highs
    hm.start_from_current_integers()
    known = KnownBound(first.objective, "the test's bound")  # HiGHS alone must close the gap to 10⁻⁹
    rep = hm.solve(mip_gap=1e-9, known_bound=known)
    assert rep.status.value == "optimal" and rep.highs_status == "stopped: its plan is within the MIP gap of the test's bound"
    assert rep.objective == pytest.approx(first.objective, rel=1e-9) and rep.bound == known.value
    assert rep.mip_gap <= 1e-9
    hm.start_from_current_integers()
    far = KnownBound(first.objective + 1e6, "a useless bound")
    rep = hm.solve(mip_gap=1e-4, known_bound=far)
    assert rep.status.value == "optimal" and "useless" not in rep.highs_status and rep.bound < far.value
    with hm.as_lp():
        lp = hm.solve(known_bound=known)
    assert lp.highs_status == "Optimal" and lp.objective >= first.objective - 1e-6
    hm.start_from_current_integers()  # a bound with a gap of its own: the run stops within that gap of it
    up = KnownBound(first.objective + 1e-5 * abs(first.objective), "a bound 10⁻⁵ up", gap=1e-4)
    rep = hm.solve(mip_gap=0.0, known_bound=up)  # without its gap only a plan at the bound would stop the run
    assert rep.highs_status == "stopped: its plan is within the MIP gap of a bound 10⁻⁵ up"
    assert rep.bound <= up.value and rep.mip_gap <= 1e-4


def test_the_compile_runs_no_garbage_collection():
    """Handing a model to HiGHS creates a list per row and arrays over every column; with the collector on, a
    full collection there walked every object of the models already held (nl norm what-ifs: 0.5-0.9 s of a
    0.9-1.3 s compile).  The whole compile pauses the collector."""
    model, _ = build_model(InstanceData.prepare(load_instance("gen:S:0"), Scenario()))
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        hm = HighsModel(model)
    finally:
        gc.callbacks.remove(count)
    assert hm.n_cols > 1000 and collections == []


def test_values_by_key_equal_values_of_and_follow_new_keys_and_new_values():
    """The columns kept per component give each key's value, for other keys too, and the values of the last run."""
    run = solve(build(prepare("gen:S:0")), indicators=False)
    hm, open_ = run.highs, run.model.facilities.open
    keys = list(open_.keys())
    assert np.array_equal(hm.values_by_key(open_, keys), hm.values_of(open_[k] for k in keys))
    assert np.array_equal(hm.values_by_key(open_, keys[::-1]), hm.values_of(open_[k] for k in keys[::-1]))
    hm.values = hm.values + 1.0
    assert np.array_equal(hm.values_by_key(open_, keys), hm.values_of(open_[k] for k in keys))


def test_a_model_read_at_other_values_leaves_the_model_as_it_was():
    """``at(values)`` reads every look-up at the given values; the model keeps its own; ``cols_in_order`` names a
    variable in no row."""
    run = solve(build(prepare("gen:S:0")), indicators=False)
    hm, open_ = run.highs, run.model.facilities.open
    keys = list(open_.keys())
    own = hm.values.copy()
    other = own + 1.0
    view = hm.at(other)
    assert np.array_equal(view.values_by_key(open_, keys), hm.values_by_key(open_, keys) + 1.0)
    assert view.value(run.model.welfare.W) == hm.value(run.model.welfare.W) + 1.0
    assert np.array_equal(hm.values, own) and view.h is hm.h
    cols = hm.columns_by_key(open_, keys)
    assert np.array_equal(hm.cols_in_order([open_[k] for k in keys]), cols)
    unused = pyo.Var()
    unused.construct()
    with pytest.raises(KeyError, match="in no row"):
        hm.cols_in_order([open_[keys[0]], unused])
