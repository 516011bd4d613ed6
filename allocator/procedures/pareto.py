"""The Pareto front between broad welfare W (max) and the shortfall measure Q (min): AUGMECON2.

* payoff table, augmented:      P_W = max W → W*, Q₁; then max W − a·Q,  a = δ·|W*|/Q₁;
                                P_Q = min Q (− ε·W) → Q*, W₁; then min Q − b·W,  b = δ·max(Q*, 1)/|W₁|;
                                each a Pareto optimum (a, b > 0), proven like every grid point.
* grid, loose → tight:          ε_k = Q(P_W) − k·(Q(P_W) − Q(P_Q))/(N − 1),  k = 0 … N−1
                                (k = 0 and k = N−1 are P_W and P_Q themselves).
* point k (AUGMECON2):          max W + δ·(r_W/r_Q)·s  s.t.  Q + s = ε_k, s ≥ 0,
                                which equals  max W − δ·(r_W/r_Q)·Q  s.t.  Q ≤ ε_k  (s = ε_k − Q),
                                δ = 10⁻³, r the payoff ranges: the augmentation makes every optimum
                                strictly Pareto optimal (no weakly dominated point).
* bypass:                       the optimum at ε_k (shortfall Q*) is optimal for every ε_j ∈ [Q*, ε_k],
                                so those grid points are not solved.
* early exit:                   infeasible at ε_k ⇒ infeasible at every tighter ε_j.

Why the payoff points are augmented rather than lexicographic (second stage bounded by the first's
optimum): on ``nl`` the bounded second stages did not close in 60 s (min Q at W ≥ W*(1 − 10⁻⁶): gap 1.5 %
with Q 2,905,400 persons; max W at Q ≤ Q* + 5 persons: gap 0.029 %); the augmented ones prove in 2 s each,
at the same W* and Q 2,915,945 for P_W, and W 10,357.84 at Q* for P_Q.

A weighted sum max W − λQ finds only the points on the convex hull of the front; this finds the
others too (tests/allocator/procedures/test_pareto.py has an instance with such a point).

Each worker builds the model once (:func:`allocator.procedures.executors.cached`) and only changes the
shortfall column's upper bound and the two objective costs between points; with two or more local workers
one of them is a thread of this process, which solves on the model built here
(:class:`~allocator.procedures.executors.HereAndPool`); every point starts from P_Q's sites, which are
feasible at every ε of the grid. With two or more workers P_W runs on a worker beside P_Q. Points are
dispatched loose → tight to free workers; a point whose grid value a finished point bypasses is not
dispatched. Each point is extracted, checked by the independent checker and carries W, Q, price of
fairness (W(P_W) − W)/|W(P_W)|, Gini of welfare per inhabitant, extra money used, status and gap.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass

import numpy as np
import pandas as pd

from allocator.check import check
from allocator.data import InstanceData
from allocator.procedures.executors import WORKER_CACHE, InlineExecutor, cached, executor
from allocator.indicators import inequality
from allocator.output import json_records
from allocator.procedures.modes import TIE_BREAK_WELFARE, Run, build, combine_stages, solve_stage
from allocator.progress import Points
from allocator.results import extract
from allocator.status import SEVERITY, SolveReport, Status
from formulations.min_service import measure_scale, measure_var
from allocator.policy import ShortfallMeasure

AUGMENTATION = 1e-3  # δ
_HAS_SOLUTION = {s.value for s in Status if s.has_solution}
SITE_CHANGES = "site_changes"  # per point {site_id: "open" | "close"}; kept out of the points table
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
                 on_progress: Points | None = None) -> Front:
    """The AUGMECON2 front with ``points`` grid values (payoff extremes included) on ``workers`` processes."""
    t0 = time.perf_counter()
    points = max(int(points), 2)
    run = build(data)
    unit = measure_scale(data.scenario)
    key = f"pareto-{uuid.uuid4().hex}"
    WORKER_CACHE.clear()
    WORKER_CACHE[key] = run  # the inline executor reuses the model built here
    try:
        with executor(workers, scheduler, here=True) as ex:
            p_w, p_q, start = _payoff_table(run, key, ex, on_progress)
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


def _payoff_table(run: Run, key: str, ex, on_progress: Points | None) -> tuple[dict, dict, np.ndarray | None]:
    """P_W (:func:`max_welfare_row`) and P_Q (:func:`min_shortfall_point`), with P_Q's sites as the grid's start.

    Neither needs the other, so with a pool of workers P_W goes to one at once and runs beside P_Q here:
    P_Q is the longer of the two (on nl 14 s against 9 s), and here the model is built already, while a
    worker builds its own first."""
    elsewhere = getattr(ex, "submit_elsewhere", ex.submit)  # not on this process's model, which P_Q uses
    handed = None if isinstance(ex, InlineExecutor) else elsewhere(max_welfare_row, key, run.data)
    p_q, start = min_shortfall_point(key, run.data)
    if on_progress is not None:
        on_progress.done(Status(p_q["status"]))
    p_w = handed.result() if handed is not None else max_welfare_row(key, run.data)
    if on_progress is not None:
        on_progress.done(Status(p_w["status"]))
    return p_w, p_q, start


def max_welfare_row(key: str, data: InstanceData) -> dict:
    """P_W on the worker's model (:func:`max_welfare_point`), described as a row of the front."""
    run = cached(key, lambda: build(data))
    return _describe(run, max_welfare_point(run), None)


def max_welfare_point(run: Run) -> SolveReport:
    """P_W: max W → W*, Q₁; then max W − a·Q from there, a = δ·max(1, |W*|)/Q₁ (one report for both stages)."""
    m, hm = run.model, run.highs
    q = measure_var(m, run.data.scenario)
    hm.set_objective([(m.welfare.W, 1.0)], maximize=True)
    one = solve_stage(run)
    stages = [("max welfare", one)]
    if one.status.has_solution and hm.value(q) > 0:
        a = AUGMENTATION * max(1.0, abs(hm.value(m.welfare.W))) / hm.value(q)
        hm.set_objective([(m.welfare.W, 1.0), (q, -a)], maximize=True)
        hm.start_from_current_integers()
        stages.append(("max welfare, then shortfall", solve_stage(run)))
    return combine_stages(stages, run.build_seconds)


def min_shortfall_point(key: str, data: InstanceData) -> tuple[dict, np.ndarray | None]:
    """P_Q on the worker's model: min Q − ε·W → Q*, W₁; then min Q − b·W from there, b = δ·max(Q*, 1)/max(1, |W₁|)
    (Q in the measure's units, so with Q* = 0 one unit sets the scale); its row and its sites (0/1)."""
    run = cached(key, lambda: build(data))
    m, hm = run.model, run.highs
    q = measure_var(m, data.scenario)
    tie = [(m.welfare.W, -TIE_BREAK_WELFARE)] if measure_scale(data.scenario) > 1 else []
    hm.set_objective([(q, 1.0), *tie], maximize=False)
    one = solve_stage(run)
    stages = [("min shortfall", one)]
    if one.status.has_solution:
        b = AUGMENTATION * max(hm.value(q), 1.0) / max(1.0, abs(hm.value(m.welfare.W)))
        hm.set_objective([(q, 1.0), (m.welfare.W, -b)], maximize=False)
        hm.start_from_current_integers()
        stages.append(("min shortfall, then welfare", solve_stage(run)))
    rep = combine_stages(stages, run.build_seconds)
    row = _describe(run, rep, None)
    if not rep.status.has_solution:
        return row, None
    cols = hm.cols_of(m.facilities.open[j] for j in data.sites.index)
    return row, np.round(hm.values[cols]) if len(cols) else np.zeros(0)


def _solve_grid(ex, workers: int, key: str, data: InstanceData, interior: list[tuple[int, float]], coef: float,
                start: np.ndarray, on_progress: Points | None) -> tuple[list[dict], list[dict]]:
    """Dispatch the interior grid values loose → tight on ``ex``; apply bypass and early exit as results come in."""
    pending = deque(interior)
    eps_of = dict(interior)
    inflight, solved, grid = {}, [], []
    slots = getattr(ex, "slots", None) or max(1, workers)
    while pending or inflight:
        while pending and len(inflight) < slots:
            k, eps = pending.popleft()
            inflight[ex.submit(solve_point, key, data, eps, coef, start)] = k
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: inflight[f]):
            k = inflight.pop(future)
            res = future.result()
            res["k"] = k
            grid.append({"k": k, "epsilon": eps_of[k] * measure_scale(data.scenario), "outcome": "solved"})
            if on_progress is not None:
                on_progress.done(Status(res["status"]))
            if res["status"] in _HAS_SOLUTION:
                solved.append(res)
                q_star = res["measure"] / measure_scale(data.scenario)
                skip = [(j, e) for j, e in pending if e >= q_star - 1e-9 * max(1.0, abs(q_star))]
                outcome = f"bypassed (same optimum as k={k})"
            elif res["status"] == Status.INFEASIBLE.value:
                skip = [(j, e) for j, e in pending if j > k]
                outcome = f"early exit (k={k} infeasible)"
            else:
                skip = []
            for item in skip:
                pending.remove(item)
                grid.append({"k": item[0], "epsilon": item[1] * measure_scale(data.scenario), "outcome": outcome})
                if on_progress is not None:
                    on_progress.done(None)
    return solved, grid


def solve_point(key: str, data: InstanceData, epsilon: float, coef: float, start: np.ndarray) -> dict:
    """One grid point on the worker's model: max W − coef·Q s.t. Q ≤ ε, started from P_Q's sites."""
    run = cached(key, lambda: build(data))
    m, hm = run.model, run.highs
    q = measure_var(m, data.scenario)
    lo, hi = hm.bounds(q)
    hm.set_objective([(m.welfare.W, 1.0), (q, -coef)], maximize=True)
    hm.set_bounds(q, lo, epsilon)
    hm.start_from([m.facilities.open[j] for j in data.sites.index], start)
    o = data.scenario.solver
    try:
        rep = hm.solve(time_limit=o.time_limit, mip_gap=o.mip_gap, threads=o.threads, seed=o.seed,
                       build_seconds=run.build_seconds)
        return _describe(run, rep, epsilon * measure_scale(data.scenario))
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
