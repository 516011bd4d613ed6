"""Modes: sequences of solves on ONE built model (only costs and bounds change between them).

* ``weighted``: max W − λ'·Q, one solve.
* ``lexicographic``: (1) min Q; (2) max W subject to Q ≤ Q*·(1 + tolerance) + slack, slack = max(10⁻⁴·Q*,
  5 person-services) (10⁻⁶ for the worst share): room for the solver's rounding of Q*, so stage 2 stays feasible.

Every stage is reported (status, objective, gap, seconds); the run's status is
the worst stage's.  A stage that hits its time limit with an incumbent passes
that incumbent on, with its gap.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import nullcontext
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

import numpy as np

from allocator.build import build_model
from allocator.check import CheckResult, check
from allocator.data import InstanceData
from allocator.greedy import greedy_sites
from allocator.model_size import SizeEstimate, check_size
from allocator.indicators import inequality
from allocator.results import Solution, extract, extract_plan, with_report
from allocator.solver.highs import INF, HighsModel, KnownBound
from allocator.solver.reduced_costs import Relaxation, reduced_cost_fixing
from allocator.solver.threads import side_by_side
from allocator.status import SEVERITY, Deadline, SolveReport, Status, relative_gap
from formulations.min_service import measure_scale, measure_var
from formulations.objective import shortfall_cost
from allocator.policy import HoldHarmless, Mode
from allocator.procedures.dive import dive_start

COEFFICIENT_RANGE_WARNING = 1e7
DIVE_SHARE_OF_LIMIT = 0.5  # the dive for a start may take at most this share of a stage's time limit
WMAX_GAP = 1e-3
FIXING_SECONDS = 2.0  # the LP of reduced-cost fixing may take this long (and a twentieth of the time limit)


@dataclass
class Run:
    """A built model with its persistent solver, and the outcome of the last mode run on it."""

    data: InstanceData
    model: object
    highs: HighsModel
    build_seconds: float
    report: SolveReport | None = None
    solution: Solution | None = None
    check: CheckResult | None = None
    w_max: float | None = None
    w_max_gap: float | None = None
    warnings: tuple[str, ...] = ()
    head_start: float = 0.0  # seconds spent finding the next stage's start: off its time limit, in its seconds
    w_max_start: tuple | None = None  # (integer columns, values) of the last W_max plan: the next W_max's start
    dive: bool = False  # the next stage's start may come from a dive (the first solve of a built model)
    welfare_columns: np.ndarray | None = None  # the columns of W's terms (formulations.welfare), once looked up
    mip_options: dict | None = None  # HiGHS options for the scenario's MIP solves and W_max's (a what-if's)
    plan_values: np.ndarray | None = None  # every column of the plan the last mode returned (before any LP after it)
    known_bound: KnownBound | None = None  # a bound on the next weighted stage's optimum, known before it runs
    fix_by_reduced_costs: bool = False  # the next stage first fixes what its start and LP rule out (solve_stage)
    prove_by_relaxation: bool = False  # the next stage first tries to prove its start by the LP relaxation (solve_stage)
    size: SizeEstimate | None = None  # the model's estimated size (:mod:`allocator.model_size`)
    # (fixed columns, their values, the dual of Σ_d E_d ≤ E_max) of the LP that completed this mode run's start
    # (:func:`allocator.procedures.neighbourhood.completed_start`): the marginal-welfare LP where the plan keeps them
    completed_lp: tuple[np.ndarray, np.ndarray, float] | None = None
    # the start on offer's value and the LP relaxation's bound, found with it (by the λ neighbourhood or a stage's
    # search, neighbourhood.searched_start): the next stage with prove_by_relaxation takes them instead of solving
    # that LP again
    relaxed_start: Relaxation | None = None
    # the reading (:func:`read_ahead`) the last answer was made of, when it was one: the plan's values, its solution
    # without a report, its check and its inequality indicators; a warm model keeps it for the scenario asked again
    reading: tuple | None = None


def build(data: InstanceData, greedy: bool = True) -> Run:
    """Build the Pyomo blocks, hand them to HiGHS and offer a greedy start for the first solve (``greedy``;
    off where the caller offers a start of its own, as a what-if's rebuild does).

    The seconds cover the build and the hand-over.  The start (:func:`allocator.greedy.greedy_sites`:
    the status quo's sites plus candidates that pay for themselves) gives a time-limited run an
    incumbent from the first seconds; the status quo alone is feasible (model.md invariant 1), the
    greedy additions are paid from cuts or, under hold-harmless, from unspent money.  The first stage
    solved on the model replaces it with the plan of a dive in the LP relaxation when that is better
    (``Run.dive``, :mod:`allocator.procedures.dive`).
    """
    size = check_size(data)  # before any reach set or Pyomo object exists
    t0 = time.perf_counter()
    deadline = Deadline(data.scenario.solver.time_limit)
    m, _ = build_model(data, deadline)
    hm = HighsModel(m, verbose=data.scenario.solver.verbose)
    closures = getattr(getattr(m, "capacity", None), "closures", None)  # formulations.capacity.Closures
    if closures is not None:
        hm.keep_relaxation_rows(closures.served, closures.opened, closures.slope, closures.level)
    sets = getattr(getattr(m, "capacity", None), "point_sites", None)  # formulations.capacity.PointSites
    if sets is not None:
        hm.keep_coverage_cuts(sets.served, sets.demand, sets.start, sets.opened, sets.group, sets.cap)
    if data.scenario.hold_harmless == HoldHarmless.NONE:
        hm.root_lp_without_presolve()
    deadline.check("handing the model to HiGHS")
    seconds = time.perf_counter() - t0
    if greedy:
        greedy_start(hm, m, data)
    lo, hi = hm.coefficient_range()
    warnings = ()
    if hi / lo > COEFFICIENT_RANGE_WARNING:
        warnings = (f"matrix coefficients range from {lo:.3g} to {hi:.3g} (ratio {hi / lo:.2g} > 1e7): HiGHS may "
                    "struggle numerically; check populations and money amounts for outliers",)
    return Run(data, m, hm, seconds, warnings=warnings, dive=True, size=size)


def greedy_start(hm: HighsModel, m, data: InstanceData) -> None:
    """Offer the greedy's sites (:func:`allocator.greedy.greedy_sites`) as the next solve's start."""
    hm.start_from([m.facilities.open[j] for j in data.sites.index], greedy_sites(data).to_numpy())


def solve(run: Run, mode: str | None = None, run_check: bool = True, indicators: bool = True,
          beside: bool = False, stages: list[tuple[str, SolveReport]] | None = None,
          draw: Callable[[InstanceData, Solution], str] | None = None, reading: tuple | None = None) -> Run:
    """Run ``mode`` (default: the scenario's) on the built model; extract, check, add indicators.

    ``beside``: W_max, when it is not known, is solved on a twin of the model while the mode runs
    (:func:`welfare_max_beside`) instead of after it.  ``stages``: the mode's stages already settled, with
    their plan in ``run.highs.values`` (a what-if proven without HiGHS, :mod:`allocator.procedures.price_bounds`);
    ``reading``: that plan's reading kept from an earlier answer (``Run.reading``), used where its values are the
    plan's, bit for bit.  ``draw``: the page's sections of a plan with its CSV rendered (the caller's;
    :func:`read_ahead`).
    """
    mode = mode or run.data.scenario.mode
    weighted_mode = Mode(mode) == Mode.WEIGHTED
    twin = beside and indicators and run.w_max is None
    run.reading = None
    with side_by_side() if twin else nullcontext():  # HiGHS's runs overlap: one thread each (solver.threads)
        pending = welfare_max_beside(run) if twin else None
        idle = threading.Event()  # this thread's solves are over: the reading may have its core
        ahead = None
        if beside and weighted_mode and stages is None:
            ahead = read_ahead(run, run_check, indicators, after=pending, draw=draw, idle=idle)
        elif beside and weighted_mode and run.highs.values is not None:  # settled: its plan is read now
            ahead = _kept_reading(reading, run.highs.values) or in_thread(
                "regio-read-ahead", _read_plan, run, run.highs.values.copy(), run_check, indicators, idle, draw)
        try:
            if stages is None:
                stages = weighted(run) if weighted_mode else lexicographic(run)
        except BaseException:
            idle.set()
            wait([f for f in (pending, ahead) if f is not None])  # a stop reaches both; never leave one running
            raise
        idle.set()
        if pending is not None:
            wait([pending])
    marginal = None
    try:
        if pending is not None and pending.exception() is None and pending.result()[0] is not None:
            run.w_max, run.w_max_gap = pending.result()
        report = combine_stages(stages, run.build_seconds)
        run.report, run.solution, run.check, run.plan_values = report, None, None, run.highs.values
        # with W_max known, HiGHS's only remaining run is the marginal-welfare LP: it runs beside the plan's reading
        if indicators and run.w_max is not None and report.status.has_solution:
            marginal = marginal_beside(run, run.plan_values)
        _answer(run, stages, run_check, indicators, ahead, marginal)
    finally:
        wait([f for f in (ahead, marginal) if f is not None])  # never leave HiGHS running on the model
        run.completed_lp = None  # it belongs to this run's start
    return run


def _answer(run: Run, stages: list[tuple[str, SolveReport]], run_check: bool, indicators: bool,
            ahead: Future | None, marginal: Future | None) -> None:
    """:func:`solve`'s answer after its solves, with the report and W_max in ``run``: the plan read and checked (or
    ``ahead``'s reading where HiGHS kept its start), the indicators (``marginal``: the marginal-welfare LP, started)."""
    report = run.report
    if report.status.has_solution:
        read = ahead.result() if ahead is not None and ahead.exception() is None else None
        same = read is not None and np.array_equal(read[0], run.plan_values)  # HiGHS kept its start
        stage_dicts = tuple({"stage": n, **s.as_dict()} for n, s in stages)
        run.solution = (with_report(read[1], report, stage_dicts) if same
                        else extract(run.model, run.highs.at(run.plan_values), run.data, report, stages=stage_dicts))
        run.reading = read if same else None
        if run_check:
            run.check = read[2] if same else check(run.data, run.solution)
        if indicators:
            run.solution = replace(run.solution, indicators=compute_indicators(
                run, run.solution, marginal, read[3] if same else None))


def read_ahead(run: Run, run_check: bool, render: bool, after: Future | None = None,
               draw: Callable[[InstanceData, Solution], str] | None = None,
               idle: threading.Event | None = None) -> Future | None:
    """While HiGHS runs from a whole plan, that plan read (:func:`allocator.results.extract_plan`) and checked in a
    thread of its own: (its values, its solution without a report, its check or None, its inequality indicators or
    None).  For a what-if's answer (``render``; not a sweep's row) also its tables rendered as CSV for the result
    folder, its inequality indicators and, with ``draw``, the page's sections drawn from that CSV
    (``Solution.page_sections``; :func:`allocator.reports.page.drawn_sections`, which the API passes: the
    procedures do not draw).  None: no whole start.

    HiGHS mostly ends at the plan it starts from: a what-if's start is the last plan completed for the new costs or
    bounds, or the λ neighbourhood's best, and what HiGHS then proves is that nothing is better.  The caller uses
    this reading only where HiGHS's plan equals the start in every column, bit for bit; else it reads the plan again.
    It starts once ``after`` (W_max's twin, which has the other core until then) has ended, or once ``idle`` is set
    (the caller's solves are over: a plan proven without HiGHS's run, nl α 2 1.08 → 0.91-1.02 s).
    """
    hm = run.highs
    if not hm.whole_start or run.dive:
        return None
    go = idle if idle is not None else threading.Event()
    if after is None:
        go.set()
    else:
        after.add_done_callback(lambda _: go.set())
    return in_thread("regio-read-ahead", _read_plan, run, hm.start[1].copy(), run_check, render, go, draw)


def _kept_reading(reading: tuple | None, values: np.ndarray) -> Future | None:
    """``reading`` (a ``Run.reading``) as a finished reading, when it is of the plan ``values``, bit for bit."""
    if reading is None or not np.array_equal(reading[0], values):
        return None
    kept = Future()
    kept.set_result(reading)
    return kept


def _read_plan(run: Run, values: np.ndarray, run_check: bool, render: bool, go: threading.Event,
               draw: Callable[[InstanceData, Solution], str] | None = None,
               ) -> tuple[np.ndarray, Solution, CheckResult | None, dict | None]:
    """:func:`read_ahead`'s work, once ``go`` is set."""
    go.wait()
    sol = extract_plan(run.model, run.highs.at(values), run.data)
    checked = check(run.data, sol) if run_check else None
    if not render:
        return values, sol, checked, None
    sol.render_csv()  # the result folder's tables, while HiGHS still runs
    if draw is not None:
        sol = replace(sol, page_sections=draw(run.data, sol))
    return values, sol, checked, inequality(run.data, sol)


def compute_indicators(run: Run, sol: Solution, marginal: Future | None = None, unequal: dict | None = None) -> dict:
    """Inequality, price of fairness (W_max on the same model) and marginal welfare of one extra M€.

    ``marginal``: the marginal-welfare LP already started (:func:`marginal_beside`), else solved here after W_max.
    ``unequal``: the inequality indicators of ``sol`` already computed (:func:`read_ahead`).
    """
    out = dict(unequal) if unequal is not None else inequality(run.data, sol)
    if run.w_max is None:
        run.w_max = max_welfare(run, sol)
    elif run.w_max is not None:  # a warm what-if's plan may beat W_max found to 0.1 % earlier
        run.w_max = max(run.w_max, sol.welfare)
    out["welfare_max"] = run.w_max
    out["welfare_max_gap"] = run.w_max_gap
    out["price_of_fairness"] = (run.w_max - sol.welfare) / abs(run.w_max) if run.w_max else None
    out["marginal_welfare_per_meur"] = (marginal.result() if marginal is not None
                                        else marginal_welfare(run, run.plan_values))
    return out


def marginal_beside(run: Run, plan: np.ndarray) -> Future:
    """:func:`marginal_welfare` in a thread of its own (HiGHS releases the GIL), while this one reads the plan."""
    return in_thread("regio-marginal-welfare", marginal_welfare, run, plan)


def in_thread(name: str, fn, *args) -> Future:
    """``fn(*args)`` in a thread of its own; the caller waits for the returned Future."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)


def max_welfare(run: Run, sol: Solution) -> float | None:
    """W_max: max W with the minimum service ignored (q free, no shortfall price), to a 0.1 % gap.

    The price of fairness is a ratio of a few per cent; W_max to 0.1 % (its gap is reported as
    ``welfare_max_gap``) costs a fraction of a full-precision solve on large instances.
    """
    w, run.w_max_gap = welfare_max_on(run.highs, run)
    return max(w, sol.welfare) if w is not None else None


def welfare_max_on(hm: HighsModel, run: Run) -> tuple[float | None, float | None]:
    """(W_max, its gap) solved on ``hm`` — the run's model or its twin.

    With a W_max plan of this model from before (``run.w_max_start``), two LPs may settle it
    (:func:`welfare_max_by_lps`); else a MIP to :data:`WMAX_GAP`.  The MIP starts from that plan, else from
    ``hm``'s last plan: after a what-if the old max-W plan is much nearer the new one than the scenario's
    plan is (nl, 50 M€ extra: 1.6 s from the old max-W plan, 7.1 s from the scenario's, both to 0.1 %).
    The scenario's plan is offered whole: W_max only frees the shortfall columns, so it stays a plan, and
    HiGHS then solves no LP to complete its sites (nl, ``regio solve``: W_max 2.05-2.53 → 1.71-2.26 s).

    From the scenario's plan (a cold solve's W_max on the run's own model), the sites where W_max's LP relaxation
    disagrees with it are searched first (:func:`~allocator.procedures.neighbourhood.relaxation_start`); a plan
    within :data:`WMAX_GAP` of that relaxation's bound is W_max without the MIP.  nl, ``regio solve``: W_max and
    the marginal-welfare LP after it 1.03 + 0.17 → 0.46 + 0.04 s, W_max 10,540.31 (gap 4.8·10⁻⁴) → 10,543.99
    (gap 9.8·10⁻⁵).  A twin's W_max (beside a what-if's solve) starts from no plan of the scenario and runs the
    MIP as before: searched from the twin's start, the default's took 0.48 s instead of 1.06 s (not what a
    planner waits for: the scenario's MIP beside it takes 3.5 s) and a GP norm of 4 km's 0.84 s instead of
    0.72 s (what the planner does wait for).
    """
    from allocator.procedures.neighbourhood import relaxation_start  # here: that module builds on this one

    m = run.model
    q_cols = hm.cols_of(m.min_service.shortfall[p] for p in m.min_service.pair)
    lo, hi = hm.col_bounds(q_cols)
    hm.set_col_bounds(q_cols, lo, np.full(len(q_cols), INF))
    hm.set_objective([(m.welfare.W, 1.0)], maximize=True)
    o = run.data.scenario.solver
    try:
        settled = welfare_max_by_lps(hm, run.w_max_start, o.time_limit) if run.w_max_start is not None else None
        if settled is not None:
            return settled
        known = None
        if run.w_max_start is not None:
            hm.start = run.w_max_start
        elif hm.values is not None and hm.start_whole(hm.values):
            searched = relaxation_start(run, near=WMAX_GAP, hm=hm, mip_gap=WMAX_GAP)
            if searched.proves(WMAX_GAP) and hm.whole_start:  # its plan is W_max to the gap: no MIP
                hm.take_start()
                run.w_max_start = hm.current_integers()
                return searched.value, relative_gap(searched.value, searched.bound.value)
            known = searched.bound
        elif hm.values is not None:
            hm.start_from_current_integers()
        rep = hm.solve(time_limit=o.time_limit, mip_gap=max(o.mip_gap, WMAX_GAP), threads=o.threads, seed=o.seed,
                       options=run.mip_options, known_bound=known)
    finally:  # also when stopped: the next what-if finds the scenario's bounds
        hm.set_col_bounds(q_cols, lo, hi)
    if not rep.status.has_solution:
        return None, rep.mip_gap
    run.w_max_start = hm.current_integers()
    return hm.value(m.welfare.W), rep.mip_gap


def welfare_max_by_lps(hm: HighsModel, plan: tuple[np.ndarray, np.ndarray],
                       time_limit: float | None) -> tuple[float, float] | None:
    """(W_max, its gap) from two LPs, when they prove it to :data:`WMAX_GAP`: W of ``plan`` (integer columns and
    values) completed by the LP with those columns fixed, a lower bound, and the LP relaxation, an upper bound
    (W maximised as ``hm`` stands).  None: the plan does not fit (a bound moved) or the two are further apart.

    On nl the LP relaxation is within 0.05-0.06 % of W_max, and HiGHS's own run stops at its root: it presolves
    and solves that LP from scratch, after completing its start by an LP of its own.  These two start from the
    last LP's basis.
    """
    offer, hm.start = hm.start, None  # neither LP takes the start on offer as its own
    try:
        with hm.fixed_lp(*plan):
            lower = hm.solve(time_limit=time_limit)
        if lower.status != Status.OPTIMAL:
            return None
        with hm.as_lp():
            upper = hm.solve(time_limit=time_limit)
    finally:
        hm.start = offer
    if upper.status != Status.OPTIMAL:
        return None
    gap = relative_gap(lower.objective, upper.objective)
    return (lower.objective, gap) if gap <= WMAX_GAP else None


def welfare_max_beside(run: Run) -> Future | None:
    """Start W_max on a twin of the model in a thread of its own, beside the mode's solves (None: no second core).

    Both HiGHS runs use one thread each and release the GIL, so on two cores a what-if waits for the longer
    of the two instead of their sum.  The twin costs a second copy of the model in HiGHS while it runs.
    """
    o = run.data.scenario.solver
    if (os.cpu_count() or 1) < 2 or (o.threads or 1) > 1:
        return None
    twin = run.highs.twin()  # starts from the last W_max plan, else from the start offered for the mode
    return in_thread("regio-welfare-max", welfare_max_on, twin, run)


def marginal_welfare(run: Run, plan: np.ndarray) -> float | None:
    """d(objective)/d(E_max): the dual of Σ_d E_d ≤ E_max in the LP with every site fixed as in ``plan`` (every
    column).

    Where the LP that completed the run's start (``run.completed_lp``) fixed the same columns at the same values,
    it was this very LP (same objective, same bounds): its dual is taken instead of solving it again (nl: 0.07 s
    of a cost what-if's answer; that LP's optimal basis is where this LP would start, so the dual is the same).
    """
    m, hm = run.model, run.highs
    idx = hm.columns_by_key(m.facilities.open, run.data.sites.index.tolist())
    cols = idx[idx >= 0].astype(np.int32)
    fixed = np.round(plan[cols])
    if run.completed_lp is not None and _same_fixing(run.completed_lp, cols, fixed):
        return run.completed_lp[2]
    set_weighted_objective(run)
    with hm.fixed_lp(cols, fixed):
        rep = hm.solve(time_limit=run.data.scenario.solver.time_limit)
        return marginal_dual(run) if rep.status == Status.OPTIMAL else None


def marginal_dual(run: Run) -> float:
    """The dual of Σ_d E_d ≤ E_max in HiGHS's last solution (an LP's)."""
    return run.highs.row_duals(run.model.budget.extra_limit)


def _same_fixing(lp: tuple[np.ndarray, np.ndarray, float], cols: np.ndarray, values: np.ndarray) -> bool:
    """Whether ``lp`` fixed exactly ``cols`` (in any order) at ``values``."""
    order, done = np.argsort(cols), np.argsort(lp[0])
    return np.array_equal(cols[order], lp[0][done]) and np.array_equal(values[order], lp[1][done])


def solve_stage(run: Run, options: dict | None = None, known_bound: KnownBound | None = None) -> SolveReport:
    """One solve of the built model with the scenario's solver settings (and HiGHS ``options`` for this run,
    over ``run.mip_options``), stopped once its plan is within the gap of ``known_bound``, if given.

    Seconds already spent on this stage's start (``run.head_start``) count against its time limit and
    are included in its seconds.  The first stage of a built model first dives for a better start than the
    greedy's (:mod:`allocator.procedures.dive`).  With ``run.fix_by_reduced_costs`` (which it uses up) the
    integer columns its start and the LP relaxation rule out are fixed for the run, and with
    ``run.prove_by_relaxation`` (which it uses up) a start within the gap of that LP's bound is the answer,
    without HiGHS's run (:mod:`allocator.solver.reduced_costs`; the LP's seconds count like the start's); else
    the LP's bound stops HiGHS's run as ``known_bound`` does.  Where the start came with that bound already
    (``run.relaxed_start``, the λ neighbourhood's or a stage's search's, which it uses up) and it proves the whole
    start on offer, the LP is not solved again (nl, λ 3,000: 0.12 s).
    """
    o = run.data.scenario.solver
    hm = run.highs
    if run.dive:  # at most half the stage's time limit, so HiGHS keeps time for the start it is given
        run.dive = False
        run.head_start += dive_start(hm, None if o.time_limit is None else o.time_limit * DIVE_SHARE_OF_LIMIT)
    spent, run.head_start = run.head_start, 0.0
    fix, run.fix_by_reduced_costs = run.fix_by_reduced_costs, False
    prove, run.prove_by_relaxation = run.prove_by_relaxation, False
    t0 = time.perf_counter()
    fixing_seconds = FIXING_SECONDS if o.time_limit is None else min(FIXING_SECONDS, o.time_limit / 20)
    given, run.relaxed_start = run.relaxed_start, None
    if prove and given is not None and given.proves(o.mip_gap) and hm.whole_start:
        relaxed = nullcontext(given)
    elif fix or prove:
        relaxed = reduced_cost_fixing(hm, fixing_seconds, fix=fix, mip_gap=o.mip_gap if prove else None)
    else:
        relaxed = nullcontext(Relaxation())
    with relaxed as found:
        spent += time.perf_counter() - t0
        source = relaxation_source(hm)
        if prove and found.proves(o.mip_gap):
            hm.take_start()
            rep = hm.proven_without_run(found.value, found.bound, 0.0, o.time_limit, source)
        else:
            if found.bound is not None and (known_bound is None or found.bound < known_bound.value):
                known_bound = KnownBound(found.bound, source)
            limit = o.time_limit if o.time_limit is None else max(o.time_limit - spent, 1e-3)
            options = {**(run.mip_options or {}), **(options or {})}
            rep = hm.solve(time_limit=limit, mip_gap=o.mip_gap, threads=o.threads, seed=o.seed,
                           options=options, known_bound=known_bound)
    return replace(rep, solve_seconds=rep.solve_seconds + spent, time_limit=o.time_limit) if spent else rep


def relaxation_source(hm: HighsModel) -> str:
    """What a bound from ``hm``'s LP relaxation is, for a status line."""
    held = [name for name, kept in (("the capacity closure rows", hm.relaxation_rows is not None),
                                    ("coverage cuts", hm.coverage_cuts is not None)) if kept]
    return "the LP relaxation" + (" with " + " and ".join(held) if held else "")


def set_weighted_objective(run: Run) -> None:
    """max W − λ'·measure on the built model."""
    m = run.model
    run.highs.set_objective([(m.welfare.W, 1.0), (measure_var(m, run.data.scenario), -shortfall_cost(run.data))],
                            maximize=True)


def weighted(run: Run) -> list[tuple[str, SolveReport]]:
    """max W − λ'·measure (stopped early by ``run.known_bound``, which it uses up)."""
    set_weighted_objective(run)
    known, run.known_bound = run.known_bound, None
    return [("weighted", solve_stage(run, known_bound=known))]


TIE_BREAK_WELFARE = 1e-6  # ε: units of the shortfall measure per M€-eq of W in the min-shortfall stage


def lexicographic(run: Run) -> list[tuple[str, SolveReport]]:
    """min measure; then max W with measure ≤ Q*(1 + tol) + room (see :func:`shortfall_slack`)."""
    return shortfall_first(run, run.data.scenario.lexicographic_tolerance)


def shortfall_first(run: Run, tolerance: float = 0.0) -> list[tuple[str, SolveReport]]:
    """Stage 1: min measure − ε·W → Q*; stage 2: max W s.t. measure ≤ Q*(1 + tolerance) + room.

    ε = ``TIE_BREAK_WELFARE`` breaks stage 1's ties towards high W: without it HiGHS returned a min-Q plan with
    W = −64,034 on nl (sites opened and programmes cut for nothing), and stage 2 started from there and stopped
    at its time limit 3.2 % from the optimum; with it, stage 1 ends at W 10,357 and stage 2 within 0.03 %.
    A unit of the measure (1,000 person-services) outweighs 10⁶ M€-eq of W, so Q* moves by less than ε·(W range), far
    inside the room stage 2 allows.
    """
    m = run.model
    q = measure_var(m, run.data.scenario)
    unit = measure_scale(run.data.scenario)
    tie = [(m.welfare.W, -TIE_BREAK_WELFARE)] if unit > 1 else []  # Q_max (a share) leaves no room for one
    return _two_stages(run, (q, False, "min shortfall", tie), ([(m.welfare.W, 1.0)], True, "max welfare"),
                       lambda q_star: (None, q_star * (1 + tolerance) + (shortfall_slack(q_star * unit) / unit
                                                                         if unit > 1 else 1e-6)))


def _two_stages(run: Run, first: tuple, second: tuple, stage_bounds) -> list[tuple[str, SolveReport]]:
    """Optimise ``first`` = (column, maximise, label[, tie-break (column, cost) pairs]); bound the column by
    ``stage_bounds(value)``; then optimise ``second`` = (objective as (column, cost) pairs, maximise, label).

    Each stage runs as a maximisation (a minimisation's costs negated; its report says what it minimised) from
    its start searched in the relaxation's neighbourhood (:func:`~allocator.procedures.neighbourhood.searched_start`:
    the built model's greedy sites or the last plan's for the first, stage 1's for the second), so the LP
    relaxation's bound may prove it without HiGHS's run.  nl, ``regio solve --mode lexicographic``: 45.8 s wall,
    stage 2 stopped at its time limit 2.5·10⁻⁴ from its bound (W 10,358.22), against stages of 3.0 and 1.5 s, both
    proven (W 10,360.60 at the same Q).  The first column's bounds are restored afterwards; the values of stage 2
    stay in ``run.highs``.
    """
    from allocator.procedures.neighbourhood import searched_start  # here: that module builds on this one

    hm = run.highs
    (x, x_max, x_label, *tie), (objective, y_max, y_label) = first, second
    lo, hi = hm.bounds(x)
    hm.set_objective(_maximised([(x, 1.0), *(tie[0] if tie else [])], x_max), maximize=True)
    searched_start(run)
    one = _as_optimised(solve_stage(run), x_max)
    if not one.status.has_solution:
        return [(x_label, one)]
    new_lo, new_hi = stage_bounds(hm.value(x))
    hm.set_bounds(x, lo if new_lo is None else new_lo, hi if new_hi is None else new_hi)
    try:
        hm.set_objective(_maximised(objective, y_max), maximize=True)
        hm.start_from_current_integers()  # stage 1's sites are feasible for stage 2
        searched_start(run)
        two = _as_optimised(solve_stage(run), y_max)
    finally:  # also when stopped: the model stays the scenario's model for the next what-if
        hm.set_bounds(x, lo, hi)
    return [(x_label, one), (y_label, two)]


def _maximised(objective: list[tuple], maximize: bool) -> list[tuple]:
    """``objective`` ((column, cost) pairs) as a maximisation: a minimisation's costs negated."""
    return objective if maximize else [(column, -cost) for column, cost in objective]


def _as_optimised(rep: SolveReport, maximize: bool) -> SolveReport:
    """A stage's report of the objective it optimised: a minimisation run as a maximisation has its objective and
    bound negated back."""
    if maximize:
        return rep
    flip = (lambda v: None if v is None else -v)
    return replace(rep, objective=flip(rep.objective), bound=flip(rep.bound))


def shortfall_slack(persons: float) -> float:
    """Room above a stage's shortfall when it bounds the next stage: 10⁻⁴ relative, at least 5 persons.

    A bound at the exact optimum of the previous stage sits on a degenerate vertex; on the Dutch instance
    HiGHS called it infeasible, or kept an incumbent without a bound, at ½ person of room, and proved the
    optimum at 5 persons.
    """
    return max(1e-4 * persons, 5.0)


def combine_stages(stages: list[tuple[str, SolveReport]], build_seconds: float) -> SolveReport:
    """One report for a run: the last stage's numbers, the worst stage's status, summed seconds."""
    last = stages[-1][1]
    worst = max((s.status for _, s in stages), key=SEVERITY.index)
    gaps = [s.mip_gap for _, s in stages if s.mip_gap is not None]
    return replace(last, status=worst if worst != Status.OPTIMAL or last.status.has_solution else last.status,
                   mip_gap=max(gaps) if gaps else last.mip_gap, build_seconds=build_seconds,
                   solve_seconds=sum(s.solve_seconds for _, s in stages))


def solve_scenario(data: InstanceData, mode: str | None = None) -> Run:
    """Build and solve in one call."""
    return solve(build(data), mode)
