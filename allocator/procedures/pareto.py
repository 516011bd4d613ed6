"""The Pareto front between broad welfare W (max) and the shortfall measure Q (min): augmented ε-constraint.

* payoff table, augmented:      P_W = max W → W*, Q₁; then max W − a·Q,  a = δ·|W*|/Q₁;
                                P_Q = min Q (− ε·W) → Q*, W₁; then min Q − b·W,  b = δ·max(Q*, 1)/|W₁|;
                                each a Pareto optimum (a, b > 0), proven like every grid point.
* grid, loose → tight:          ε_k = Q(P_W) − k·(Q(P_W) − Q(P_Q))/(N − 1),  k = 0 … N−1
                                (k = 0 and k = N−1 are P_W and P_Q themselves).
* point k (AUGMECON2):          max W + δ·(r_W/r_Q)·s  s.t.  Q + s = ε_k, s ≥ 0,
                                which equals  max W − δ·(r_W/r_Q)·Q  s.t.  Q ≤ ε_k  (s = ε_k − Q),
                                δ = 10⁻³, r the payoff ranges: the augmentation makes every optimum
                                strictly Pareto optimal (no weakly dominated point).
* order and starts:             tight → loose, each point from the nearest tighter point's sites (P_Q's
                                first), which meet its ε; P_Q meets every ε of the grid, so no grid
                                point is infeasible.
* start, searched:              the relaxation-induced neighbourhood of those sites, with the sites the
                                LP relaxation is nearly indifferent about
                                (:func:`~allocator.procedures.neighbourhood.relaxation_start`); a plan
                                within the MIP gap of the LP relaxation's bound is proven without a
                                HiGHS run, else HiGHS proves from it (stopped once it is within the gap
                                of that bound).  The payoff points too, each stage a maximisation
                                (min Q as max −Q): the first searched from the greedy's sites
                                (:func:`searched_start`), the second from the first's plan
                                (:func:`last_plan_start`).

Why the payoff points are augmented rather than lexicographic (second stage bounded by the first's
optimum): on ``nl`` the bounded second stages did not close in 60 s (min Q at W ≥ W*(1 − 10⁻⁶): gap 1.5 %
with Q 2,905,400 persons; max W at Q ≤ Q* + 5 persons: gap 0.029 %); the augmented ones prove in 2 s each,
at the same W* and Q 2,915,945 for P_W, and W 10,357.84 at Q* for P_Q.

A weighted sum max W − λQ finds only the points on the convex hull of the front; this finds the
others too (tests/allocator/procedures/test_pareto.py has an instance with such a point).

Each worker builds the model once (:func:`allocator.procedures.executors.cached`) and only changes the
shortfall column's upper bound and the two objective costs between points; with two or more local workers
one of them is a thread of this process, which solves on the model built here
(:class:`~allocator.procedures.executors.HereAndPool`). With two or more workers P_Q runs on a worker beside
P_W. The grid is cut into as many runs of neighbouring points as there are workers (at least two, which one
worker goes through in turn), solved side by side, each point with the sites of the nearest tighter point solved
by then (:func:`_solve_grid`).

Why tight → loose, and not AUGMECON2's loose → tight with its bypass (a grid value the last optimum already
meets is skipped) and early exit: going loose → tight the only plan known to meet a point's ε is P_Q's, far
from most points' optima, and on nl HiGHS then spent most of each point's 7-17 s finding the optimum its root
LP bound was already within the gap of.  From the tighter neighbour's sites, searched in their neighbourhood,
the 9-point front's seven interior points took 39.9 s instead of 62.7 s with one worker (the front 85.4 → 66.2 s
wall; gen:M:0's 7-point front 12.3 → 7.4 s, the same points within the gap), five of the seven proven by the LP
relaxation's bound without a HiGHS run.  The bypass never fired on nl's grid (a point skipped needs two
grid values with the same optimum); where it would, the point is solved from that optimum and reported once
(:func:`_nondominated`).  Each point is extracted, checked by the independent checker and carries W, Q, price
of fairness (W(P_W) − W)/|W(P_W)|, Gini of welfare per inhabitant, extra money used, status and gap.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from allocator.check import check
from allocator.data import InstanceData
from allocator.procedures.executors import WORKER_CACHE, InlineExecutor, cached, executor
from allocator.indicators import inequality
from allocator.output import json_records
from allocator.procedures.modes import TIE_BREAK_WELFARE, Run, build, combine_stages, solve_stage
from allocator.procedures.neighbourhood import (last_plan_start, relaxation_start, search_seconds, searched_start,
                                                 site_columns)
from allocator.progress import Points
from allocator.results import extract
from allocator.status import SEVERITY, SolveReport, Status
from formulations.min_service import measure_scale, measure_var
from allocator.policy import ShortfallMeasure

AUGMENTATION = 1e-3  # δ
_HAS_SOLUTION = {s.value for s in Status if s.has_solution}
SITE_CHANGES = "site_changes"  # per point {site_id: "open" | "close"}; kept out of the points table
POINT_SITES = "point_sites"  # a solved grid point's sites (0/1, in site_columns' order), the next points' start
DOMINANCE_TOL = 1e-7  # relative tolerance when comparing points


@dataclass(frozen=True)
class Front:
    """The front (``points``), the payoff table and what happened at each grid value (``grid``)."""

    points: pd.DataFrame
    payoff: pd.DataFrame
    grid: pd.DataFrame
    seconds: float
    build_seconds: float
    workers: int

    @property
    def status(self) -> Status:
        statuses = [Status(s) for s in self.points["status"]] + [Status(s) for s in self.payoff["status"]]
        return max(statuses, key=SEVERITY.index) if statuses else Status.ERROR

    def table(self) -> pd.DataFrame:
        """The points without their site decisions (those are :meth:`point_sites`)."""
        return self.points.drop(columns=[SITE_CHANGES], errors="ignore")

    def point_sites(self) -> pd.DataFrame:
        """(k, site_id, decision) for every site a point opens or closes."""
        rows = [(p.k, site, d) for p in self.points.itertuples() for site, d in (getattr(p, SITE_CHANGES, None) or {}).items()]
        return pd.DataFrame(rows, columns=["k", "site_id", "decision"])

    def as_dict(self) -> dict:
        return {"status": self.status.value, "seconds": self.seconds, "build_seconds": self.build_seconds,
                "workers": self.workers, "points": json_records(self.table()),
                "payoff_table": json_records(self.payoff.drop(columns=[SITE_CHANGES], errors="ignore")),
                "grid": json_records(self.grid)}


def pareto_front(data: InstanceData, points: int = 7, workers: int = 1, scheduler: str | None = None,
                 on_progress: Points | None = None, ex: Executor | None = None) -> Front:
    """The augmented ε-constraint front with ``points`` grid values (payoff extremes included) on ``workers``
    processes, or on ``ex``, an executor the caller opened (``executor(workers, scheduler, here=True)``; the
    command opens it before it reads the instance, so that its worker imports regio meanwhile)."""
    t0 = time.perf_counter()
    points = max(int(points), 2)
    unit = measure_scale(data.scenario)
    key = f"pareto-{uuid.uuid4().hex}"
    WORKER_CACHE.clear()
    try:
        with nullcontext(ex) if ex is not None else executor(workers, scheduler, here=True) as ex:
            handed = _min_shortfall_elsewhere(ex, key, data)
            run = build(data)
            WORKER_CACHE[key] = run  # this process's slot (the inline executor's too) reuses the model built here
            p_w, p_q, start = _payoff_table(run, key, handed, on_progress)
            p_w.update(payoff="max welfare first", k=0, epsilon=p_w.get("measure"))
            p_q.update(payoff="min shortfall first", k=points - 1, epsilon=p_q.get("measure"))
            grid_rows = [{"k": 0, "epsilon": p_w.get("measure"), "outcome": "payoff (max welfare first)"}]
            results = [p_w] if p_w["status"] in _HAS_SOLUTION else []
            interior = []
            if p_w["status"] in _HAS_SOLUTION and p_q["status"] in _HAS_SOLUTION:
                q_hi, q_lo = p_w["measure"] / unit, p_q["measure"] / unit
                w_hi, w_lo = p_w["welfare"], p_q["welfare"]
                if q_hi - q_lo > 1e-9 * max(1.0, q_hi) and w_hi - w_lo > 1e-9 * max(1.0, abs(w_hi)):
                    eps = q_hi - np.arange(points) * (q_hi - q_lo) / (points - 1)
                    interior = [(k, float(eps[k])) for k in range(1, points - 1)]
                    coef = AUGMENTATION * (w_hi - w_lo) / (q_hi - q_lo)
                    solved, grid_more = _solve_grid(ex, workers, key, data, interior, coef, start, on_progress)
                    results += solved
                    grid_rows += grid_more
    finally:
        WORKER_CACHE.pop(key, None)
    payoff = pd.DataFrame([p_w, p_q])
    grid_rows.append({"k": points - 1, "epsilon": p_q.get("measure"), "outcome": "payoff (min shortfall first)"})
    if p_q["status"] in _HAS_SOLUTION:
        results.append(p_q)
    if on_progress is not None:
        on_progress.done(None, max(0, points - 2 - len(interior)))
    front, dropped = _nondominated(pd.DataFrame(results))
    for row in grid_rows:
        if row["k"] in dropped:
            row["outcome"] += f"; not reported: {dropped[row['k']]}"
    p_max = p_w["welfare"] if p_w["status"] in _HAS_SOLUTION else None
    defined = p_max is not None and abs(p_max) > 1e-6  # a ratio to W_max ≈ 0 means nothing
    front["price_of_fairness"] = (p_max - front["welfare"]) / abs(p_max) if defined else np.nan
    grid = pd.DataFrame(grid_rows)
    grid["epsilon"] = grid["epsilon"].astype(float)
    return Front(front.reset_index(drop=True), payoff, grid.sort_values("k").reset_index(drop=True),
                 time.perf_counter() - t0, run.build_seconds, workers)


def _min_shortfall_elsewhere(ex, key: str, data: InstanceData) -> Future | None:
    """P_Q (:func:`min_shortfall_point`) handed to a worker of the pool before the model is built here (None: one
    worker, which solves P_Q and then P_W).

    Neither payoff point needs the other, so P_Q runs beside P_W, which this process solves on the model it
    builds.  The worker, spawned at this submit, imports regio, loads the instance and builds its own model while
    this process builds, about a second later than this process; so it takes the shorter of the two (nl: P_Q
    2.6 s, P_W 3.4 s).  ``regio pareto nl --points 9 --workers 2``: the grid started 6.4 s after the command did
    with P_W on the worker, 5.8 s with P_Q there; the whole command 21.2-21.6 s (five runs) against 18.0-21.1 s
    (25 runs)."""
    if isinstance(ex, InlineExecutor):
        return None
    return getattr(ex, "submit_elsewhere", ex.submit)(min_shortfall_point, key, data)  # not on this model


def _payoff_table(run: Run, key: str, handed: Future | None,
                  on_progress: Points | None) -> tuple[dict, dict, np.ndarray | None]:
    """P_W (:func:`max_welfare_row`) and P_Q (:func:`min_shortfall_point`: ``handed`` to a worker, else solved
    here before P_W), with P_Q's sites as the grid's start."""
    if handed is None:
        p_q, start = min_shortfall_point(key, run.data)
        _point_done(on_progress, p_q)
    p_w = max_welfare_row(key, run.data)
    _point_done(on_progress, p_w)
    if handed is not None:
        p_q, start = handed.result()
        _point_done(on_progress, p_q)
    return p_w, p_q, start


def _point_done(on_progress: Points | None, row: dict) -> None:
    if on_progress is not None:
        on_progress.done(Status(row["status"]))


def max_welfare_row(key: str, data: InstanceData) -> dict:
    """P_W on the worker's model (:func:`max_welfare_point`), described as a row of the front."""
    run = cached(key, lambda: build(data))
    return _describe(run, max_welfare_point(run), None)


def max_welfare_point(run: Run) -> SolveReport:
    """P_W: max W → W*, Q₁; then max W − a·Q from there, a = δ·max(1, |W*|)/Q₁ (one report for both stages)."""
    m, hm = run.model, run.highs
    q = measure_var(m, run.data.scenario)
    hm.set_objective([(m.welfare.W, 1.0)], maximize=True)
    searched_start(run)
    one = solve_stage(run)
    stages = [("max welfare", one)]
    if one.status.has_solution and hm.value(q) > 0:
        a = AUGMENTATION * max(1.0, abs(hm.value(m.welfare.W))) / hm.value(q)
        hm.set_objective([(m.welfare.W, 1.0), (q, -a)], maximize=True)
        last_plan_start(run)
        stages.append(("max welfare, then shortfall", solve_stage(run)))
    return combine_stages(stages, run.build_seconds)


def min_shortfall_point(key: str, data: InstanceData) -> tuple[dict, np.ndarray | None]:
    """P_Q on the worker's model: min Q − ε·W → Q*, W₁; then min Q − b·W from there, b = δ·max(Q*, 1)/max(1, |W₁|)
    (Q in the measure's units, so with Q* = 0 one unit sets the scale); its row and its sites (0/1)."""
    run = cached(key, lambda: build(data))
    m, hm = run.model, run.highs
    q = measure_var(m, data.scenario)
    tie = [(m.welfare.W, TIE_BREAK_WELFARE)] if measure_scale(data.scenario) > 1 else []
    hm.set_objective([(q, -1.0), *tie], maximize=True)  # max −Q + ε·W: the LP relaxation's search and proof apply
    searched_start(run)
    one = solve_stage(run)
    stages = [("min shortfall", one)]
    if one.status.has_solution:
        b = AUGMENTATION * max(hm.value(q), 1.0) / max(1.0, abs(hm.value(m.welfare.W)))
        hm.set_objective([(q, -1.0), (m.welfare.W, b)], maximize=True)  # max −Q + b·W, as the first
        last_plan_start(run)
        stages.append(("min shortfall, then welfare", solve_stage(run)))
    rep = combine_stages(stages, run.build_seconds)
    row = _describe(run, rep, None)
    if not rep.status.has_solution:
        return row, None
    return row, np.round(hm.values[site_columns(run)[1]])


MIN_RUNS = 2
"""The grid is cut into at least this many runs of neighbouring points, whatever the number of workers: one worker
goes through the runs two workers solve side by side, one point of each in turn, so each point starts from the
same plan with one worker as with two and the number of workers is a question of speed only."""


def _solve_grid(ex, workers: int, key: str, data: InstanceData, interior: list[tuple[int, float]], coef: float,
                start: np.ndarray, on_progress: Points | None) -> tuple[list[dict], list[dict]]:
    """Solve the interior grid values on ``ex``, tight → loose, each from the sites of the nearest tighter point
    solved so far (P_Q's, ``start``, at first): a plan that meets every looser ε.

    The grid, tight → loose, is cut into as many runs of neighbouring points as ``ex`` has slots, and at least
    :data:`MIN_RUNS` (:func:`_runs`); the first point of each run starts from P_Q's sites.  A slot whose run is
    done takes the next point of the longest run left.  With ``--workers 2`` on two cores the two runs go side by
    side, each HiGHS run with one thread.

    Why two runs for one worker too: on nl's 9-point front, k = 3 from k = 4's optimum took 12.9-13.0 s (its
    neighbourhood misses four of the sites its optimum changes), from P_Q's sites 3.7-4.3 s; the whole front took
    36.3-39.2 s with one run and 27.2-35.3 s with two (five runs and nine, one worker).  The 7-point
    fronts of nl (22.8-23.3 s) and gen:M:0 (4.7-5.2 s) took the same either way.  Before the LP relaxation
    proved most points, two runs side by side had lost to one after another (nl, 9 points: 62.1 s against
    60.5 s)."""
    n_runs = max(MIN_RUNS, getattr(ex, "slots", None) or workers)  # a point of each run in flight at once
    runs = _runs(sorted(interior, key=lambda item: item[1]), n_runs)
    plans = [(-np.inf, start)]  # (ε, the sites of its optimum)
    inflight, solved, grid = {}, [], []
    while any(runs) or inflight:
        while any(runs) and len(inflight) < len(runs):
            busy = {r for _, _, r in inflight.values()}  # the runs with a point in flight
            idle = [r for r, points in enumerate(runs) if points and r not in busy]
            r = idle[0] if idle else max(range(len(runs)), key=lambda i: len(runs[i]))
            k, eps = runs[r].popleft()
            nearest = max((p for p in plans if p[0] <= eps), key=lambda p: p[0])[1]
            inflight[ex.submit(solve_point, key, data, eps, coef, nearest)] = (k, eps, r)
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: inflight[f]):
            k, eps, _ = inflight.pop(future)
            res = future.result()
            res["k"] = k
            sites = res.pop(POINT_SITES, None)
            if sites is not None:
                plans.append((eps, sites))
            grid.append({"k": k, "epsilon": eps * measure_scale(data.scenario), "outcome": "solved"})
            _point_done(on_progress, res)
            if res["status"] in _HAS_SOLUTION:
                solved.append(res)
    return solved, grid


def _runs(points: list, count: int) -> list[deque]:
    """``points`` (tight → loose) cut into ``count`` runs of neighbours, as even as can be, the longer ones first
    (a run's first point starts from P_Q's sites, furthest from the loosest run's)."""
    n = min(max(1, count), max(1, len(points)))
    cuts = [-(-i * len(points) // n) for i in range(n + 1)]
    return [deque(points[cuts[i]:cuts[i + 1]]) for i in range(n)]


def solve_point(key: str, data: InstanceData, epsilon: float, coef: float, start: np.ndarray) -> dict:
    """One grid point on the worker's model: max W − coef·Q s.t. Q ≤ ε, from the sites ``start`` (a plan that
    meets ε) searched in their relaxation's neighbourhood (:func:`~allocator.procedures.neighbourhood.relaxation_start`);
    HiGHS's run is left out when that plan is within the gap of the LP relaxation's bound.  The row carries the
    optimum's sites under :data:`POINT_SITES`."""
    run = cached(key, lambda: build(data))
    m, hm = run.model, run.highs
    q = measure_var(m, data.scenario)
    lo, hi = hm.bounds(q)
    hm.set_objective([(m.welfare.W, 1.0), (q, -coef)], maximize=True)
    hm.set_bounds(q, lo, epsilon)
    sites, cols, _ = site_columns(run)
    hm.start_from(sites, start)
    o = data.scenario.solver
    try:
        found = relaxation_start(run, near=o.mip_gap, indifferent=True, seconds=search_seconds(o.time_limit))
        if found.proves(o.mip_gap) and hm.whole_start:
            hm.take_start()
            rep = hm.proven_without_run(found.value, found.bound.value, found.seconds, o.time_limit,
                                        found.bound.source)
        else:
            limit = None if o.time_limit is None else max(o.time_limit - found.seconds, 1e-3)
            rep = hm.solve(time_limit=limit, mip_gap=o.mip_gap, threads=o.threads, seed=o.seed,
                           build_seconds=run.build_seconds, known_bound=found.bound)
            rep = replace(rep, solve_seconds=rep.solve_seconds + found.seconds, time_limit=o.time_limit)
        row = _describe(run, rep, epsilon * measure_scale(data.scenario))
        if rep.status.has_solution:
            row[POINT_SITES] = np.round(hm.values[cols])
        return row
    finally:
        hm.set_bounds(q, lo, hi)


def _describe(run: Run, rep: SolveReport, epsilon: float | None) -> dict:
    """W, Q, measure, status, gap, seconds, Gini, extra money and the checker's verdict of the current solution."""
    row = {"epsilon": epsilon, "status": rep.status.value, "mip_gap": rep.mip_gap, "solve_seconds": rep.solve_seconds}
    if not rep.status.has_solution:
        return row
    sol = extract(run.model, run.highs, run.data, rep)
    verdict = check(run.data, sol)
    ineq = inequality(run.data, sol)
    sc = run.data.scenario
    measure = sol.shortfall if sc.shortfall_measure == ShortfallMeasure.TOTAL else sol.shortfall_worst
    head = sol.headline()
    return {**row, "welfare": sol.welfare, "shortfall": sol.shortfall, "people_short": sol.people_short,
            "shortfall_unreachable": sol.shortfall_unreachable, "measure": measure,
            "shortfall_worst": sol.shortfall_worst, "gini_welfare": ineq.get("gini_welfare"),
            "extra_money": head["extra_money"], "sites_opened": head["sites_opened"],
            "sites_closed": head["sites_closed"], "regions_below_minimum": head["regions_below_minimum"],
            "check": "passed" if verdict.passed else "FAILED: " + "; ".join(map(str, verdict.violations[:3])),
            SITE_CHANGES: {r.site_id: r.decision for r in sol.facilities.itertuples() if r.decision in ("open", "close")}}


def _nondominated(points: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """Distinct points, none weakly dominated by another (W ≥ and Q ≤, one of them strictly).

    Returns the front (loose → tight) and, for each grid index dropped, why: a repeat of a point
    already on the front, or dominated (possible only when a point stopped at its time limit).
    """
    if points.empty:
        return points, {}
    pts = points.sort_values(["measure", "welfare", "k"], ascending=[False, False, True]).reset_index(drop=True)
    w, q = pts["welfare"].to_numpy(float), pts["measure"].to_numpy(float)
    tw = DOMINANCE_TOL * np.maximum(1.0, np.abs(w))
    tq = DOMINANCE_TOL * np.maximum(1.0, np.abs(q))
    keep = np.ones(len(pts), dtype=bool)
    dropped = {}
    for i in range(len(pts)):
        same = (np.abs(w - w[i]) <= tw) & (np.abs(q - q[i]) <= tq)
        better = (w >= w[i] - tw) & (q <= q[i] + tq) & ~same
        first_same = np.flatnonzero(same[:i] & keep[:i])
        if better.any():
            keep[i] = False
            dropped[int(pts.at[i, "k"])] = f"dominated by k={int(pts.at[int(np.flatnonzero(better)[0]), 'k'])}"
        elif len(first_same):
            keep[i] = False
            dropped[int(pts.at[i, "k"])] = f"same point as k={int(pts.at[int(first_same[0]), 'k'])}"
    return pts[keep].reset_index(drop=True), dropped
