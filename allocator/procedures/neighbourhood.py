"""A better start for a warm re-solve: the sites the new scenario favours, freed in a small sub-MIP.

After a what-if changes a cost or a bound, the last plan's sites are usually a few flips away from the new
optimum, and HiGHS finds those flips only late, in a sub-MIP after its root cuts.  Here, before the run:

1. with every site fixed at the last plan, the LP of the new scenario gives each site's reduced cost d_j,
   the first-order change of the objective per unit of y_j;
2. the :data:`FREED` sites whose flip it favours most (closed with d_j > 0, open with d_j < 0, the
   objective maximised) are freed and every other site stays as it was;
3. HiGHS solves that sub-MIP for at most :data:`SECONDS` (or a twentieth of the time limit), and its sites
   become the start of the full solve.

The full solve proves the answer as before, from a better incumbent: the neighbourhood changes where the
search starts, never what is proven.  If the last plan does not fit the new scenario (a bound moved, or
the LP with its sites is not solved), nothing is tried and the start stays the last plan.  A warm model
uses it after a change of λ only (:mod:`allocator.procedures.whatif` says why).
On nl, λ 2,000 → 4,000: the LP 0.2 s, the sub-MIP 0.8 s, its plan within 0.003 % of the optimum
(the last plan is 0.06 % away), and the full solve then needs about 3.5 s instead of 6.
"""

from __future__ import annotations

import time

import numpy as np

from allocator.procedures.modes import Run
from allocator.status import Status

FREED = 300  # sites freed in the sub-MIP
SECONDS = 2.0  # at most this long for the sub-MIP (and at most a twentieth of the scenario's time limit)


def neighbourhood_start(run: Run) -> float:
    """Offer the sub-MIP's sites (or the last plan's) as the next solve's start; return the seconds spent.

    The objective of the coming solve must be set already.
    """
    t0 = time.perf_counter()
    hm, m, data = run.highs, run.model, run.data
    sites = [m.facilities.open[j] for j in data.sites.index]
    cols = hm.cols_of(sites)
    if hm.values is None or not len(cols):
        return 0.0
    last = np.round(hm.values[cols])
    limit = data.scenario.solver.time_limit
    seconds = SECONDS if limit is None else min(SECONDS, limit / 20)
    lower, upper = hm.col_bounds(cols)
    plan = None
    if np.all(last >= lower - 1e-9) and np.all(last <= upper + 1e-9):  # else a bound moved: no neighbourhood
        plan = _sub_mip(hm, sites, cols, last, seconds, t0)
    hm.start_from(sites, last if plan is None else plan)
    return time.perf_counter() - t0


def _sub_mip(hm, sites: list, cols: np.ndarray, last: np.ndarray, seconds: float, t0: float) -> np.ndarray | None:
    """The best sites of the neighbourhood of ``last`` (steps 1–3 of the module docstring), or None."""
    with hm.fixed_lp(cols, last):
        lp = hm.solve(time_limit=seconds)
        reduced = np.asarray(hm.h.getSolution().col_dual)[cols] if lp.status == Status.OPTIMAL else None
    if reduced is None:
        return None
    favour = np.where(last < 0.5, reduced, -reduced)
    freed = np.zeros(len(cols), dtype=bool)
    freed[np.argsort(-favour)[:FREED]] = True
    freed &= favour > 0
    if not freed.any():
        return None
    lower, upper = hm.col_bounds(cols)
    hm.set_col_bounds(cols, np.where(freed, lower, last), np.where(freed, upper, last))
    try:
        hm.start_from(sites, last)
        sub = hm.solve(time_limit=max(seconds - (time.perf_counter() - t0), 0.1), mip_gap=1e-6)
    finally:
        hm.set_col_bounds(cols, lower, upper)
    return np.round(hm.values[cols]) if sub.status.has_solution else None
