"""A start from the LP relaxation, by diving: fix what the LP decides, open what it favours, solve again.

On large models HiGHS spends its first minutes in root cut rounds and tries its own heuristics only after
them, so a time-limited run ends with the start it was given.  On gen:XL:0 under hold-harmless the greedy
start (21,463) stayed the incumbent for 160 s against a bound of 21,659 (gap 0.91 %).  Here, before the
first solve of a built model, on the model itself made an LP (:meth:`HighsModel.as_lp`; one ``Highs``
throughout, so each LP starts from the last one's basis and takes a few hundred iterations):

1. the LP relaxation gives each integer column a value (a site's y_j ∈ [0, 1], a group's count);
2. every integer column the LP decides (an integral value) is fixed there, and the :data:`SHARE` of the
   fractional ones with the largest fractional part are rounded up (a site opened); if that LP is
   infeasible they are rounded down instead;
3. repeat until no integer column is fractional: the last LP's sites are a plan, its objective the plan's
   value (money re-optimised around the sites).

The plan becomes the start when it beats the start on offer (its value from the same LP with the offered
integer columns fixed), else the offered start stays, completed by that LP.  Either is offered whole, every
column (:meth:`HighsModel.start_whole`): HiGHS would otherwise solve the same LP again, from scratch, to
complete it (nl 0.27 s).  Only where the start changes; the full solve then
proves the answer as before, over the whole model.  gen:XL:0 hold-harmless: 20 LPs, 2.4–3.6 s in all,
plan 21,623.0, and the run ends at a gap of 0.17 % instead of 0.91 %; gen:XL:0 default is proven in 28–34 s
instead of 73–83 s; on nl, where HiGHS finds the optimum at its root by itself, the dive's second is within
the noise or a cost.  Measured on every instance size before it was made the default (docs/performance.md,
"A start by diving").
"""

from __future__ import annotations

import time

import numpy as np

from allocator import progress
from allocator.solver.highs import HighsModel

SHARE = 0.25  # of the fractional integer columns rounded up per dive
TOLERANCE = 1e-6  # a value within this of an integer counts as decided


def dive_start(hm: HighsModel, time_limit: float | None = None) -> float:
    """Offer the dive's plan as the next solve's start when it beats the start on offer; return the seconds spent.

    The objective of the coming solve must be set already.  The model is left as it was (its LPs run on it,
    bounds and integrality restored).  Nothing changes when the model has no integer columns, no start is on
    offer, an LP is not solved to optimality or the time limit comes first.
    """
    t0 = time.perf_counter()
    if hm.start is None or not hm.integer.any():
        return 0.0
    with hm.as_lp() as (integer, lower, upper):  # the bounds as they were: each read copies the whole model
        cols, values = hm.start
        hm.set_col_bounds(cols, values, values)
        offered = hm.run_lp(time_limit)
        completed = hm.lp_values() if offered is not None else None  # the start on offer, completed
        hm.set_col_bounds(integer, lower, upper)
        plan = _dive(hm, integer, t0, time_limit)
    hm.release_solver_memory()
    if plan is not None and (offered is None or (plan[1] > offered if hm.maximize else plan[1] < offered)):
        if not hm.start_whole(plan[0]):
            hm.start = (integer, np.round(plan[0][integer]))
    elif completed is not None:
        hm.start_whole(completed)
    return time.perf_counter() - t0


def _dive(hm: HighsModel, integer: np.ndarray, t0: float, time_limit: float | None) -> tuple[np.ndarray, float] | None:
    """(every column's value, the plan's value) at the end of the dive (steps 1–3 of the module docstring),
    or None."""
    def left():
        return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.0)

    value = hm.run_lp(left())
    while value is not None:
        progress.stop_if_requested("diving for a start")
        solution = hm.lp_values()
        x = solution[integer]
        part = x - np.floor(x)
        fractional = (part > TOLERANCE) & (part < 1 - TOLERANCE)
        if not fractional.any():
            return solution, value
        decided = ~fractional
        hm.set_col_bounds(integer[decided], np.round(x[decided]), np.round(x[decided]))
        candidates = np.flatnonzero(fractional)
        chosen = candidates[np.argsort(-part[candidates])[:max(1, int(len(candidates) * SHARE))]]
        for rounded in (np.ceil(x[chosen]), np.floor(x[chosen])):  # up, else down
            hm.set_col_bounds(integer[chosen], rounded, rounded)
            value = hm.run_lp(left())
            if value is not None:
                break
    return None
