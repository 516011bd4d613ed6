"""Reduced-cost fixing before a MIP run: integer columns the LP relaxation's prices rule out, fixed for that run.

For max c·x, the LP relaxation's optimum z_LP with reduced costs d_j (an optimal basis: d_j ≤ 0 for a column
at its lower bound, ≥ 0 at its upper, 0 when basic) bounds every plan: c·x ≤ z_LP + Σ_j d_j (x_j − x*_j).
With a plan of value z₀ in hand, a plan better than z₀ − ε can therefore move an integer column at its
lower bound l_j up by at most ⌊(z_LP − z₀ + ε)/|d_j|⌋, and one at its upper bound down by as much: those
bounds are set for the run and restored after it.  The run's proven bound stays a bound of the whole model:
every plan it leaves out is below z₀ − ε, and its own incumbent is at least the plan of value z₀ it starts
from.  ε = :data:`MARGIN`·max(1, |z₀|) keeps LP tolerances on the safe side.

HiGHS does the same after its root LP, and when it fixes enough it restarts: presolve again, the root LP again
from scratch.  On nl, λ 2,000 → 3,000 from the neighbourhood's plan (already the optimum), HiGHS fixed 10 % of
its integer columns and restarted, 0.6 → 2.7 s of its 3.1 s; with 213 sites fixed here first (the LP from the
last LP's basis, 0.10-0.13 s) it proved the same optimum at the root, without a restart, in 0.9 s.
Only a start that gives every column and that satisfies every row and bound is used as z₀; else nothing is
fixed (a column is never fixed away from the start's value either, which a correct z₀ rules out anyway).
Where HiGHS proves the answer at the root without a restart the fixing only costs: a what-if asks for it
where its start is a plan of new sites (:mod:`allocator.procedures.whatif`).  The same LP, with the model's
relaxation rows (:meth:`HighsModel.tightened`: the capacity closure rows, and the coverage cuts found in it,
:meth:`HighsModel.relaxation_run`), also bounds the optimum: a start
within the MIP gap of z_LP needs no run at all (:class:`Relaxation`; every weighted what-if asks for that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np

from allocator.solver.highs import HighsModel
from allocator.status import relative_gap

MARGIN = 1e-6  # ε relative to the start's value: only plans this far below it are left out
FEASIBLE = 1e-6  # a start's row activities and bounds must hold to this (scaled by the bound's size)


@dataclass(frozen=True)
class Relaxation:
    """Before a run: the start's value z₀, the LP relaxation's bound z_LP (None where either is unknown) and how many
    integer columns :func:`reduced_cost_fixing` fixed for the run."""

    value: float | None = None
    bound: float | None = None
    fixed: int = 0

    def proves(self, mip_gap: float) -> bool:
        """Whether the start is within ``mip_gap`` of the bound: optimal without HiGHS's run."""
        return self.value is not None and self.bound is not None and relative_gap(self.value, self.bound) <= mip_gap


@contextmanager
def reduced_cost_fixing(hm: HighsModel, seconds: float | None, fix: bool = True,
                        mip_gap: float | None = None) -> Iterator[Relaxation]:
    """Within the block, the integer columns the LP relaxation rules out below the start on offer (a whole plan,
    the objective maximised) have tightened bounds (none with ``fix`` off); yields the :class:`Relaxation`.  With
    ``mip_gap`` no coverage cuts are sought once the LP's bound proves the start within it.

    The LP holds the model's relaxation rows (:meth:`HighsModel.tightened`: valid inequalities, so z_LP stays a
    bound of the MIP, and a tighter one), starts from the last LP relaxation's basis (``hm.relaxation_basis``;
    else the last LP's) and may take ``seconds``; the start on offer is left as it was.  The bounds are restored
    after the block, also on an error.
    """
    found = _relaxation(hm, seconds, mip_gap)
    if found is None:
        yield Relaxation()
        return
    value, bound, fixings = found
    if not fix:
        yield Relaxation(value, bound)
        return
    cols, lower, upper, new_lower, new_upper = fixings
    hm.set_col_bounds(cols, new_lower, new_upper)
    try:
        yield Relaxation(value, bound, len(cols))
    finally:
        hm.set_col_bounds(cols, lower, upper)


@contextmanager
def relaxation_lp(hm: HighsModel, seconds: float | None,
                  enough: Callable[[float], bool] | None = None) -> Iterator[float | None]:
    """Within the block: the LP relaxation with the model's relaxation rows (:meth:`HighsModel.tightened`) solved,
    its solution readable in ``hm.h``; yields its optimum (None when not solved within ``seconds``).  It starts
    from the last LP relaxation's basis (``hm.relaxation_basis``, which it then replaces), else from the last LP's;
    no coverage cuts are sought once its bound is ``enough`` (:meth:`HighsModel.relaxation_run`).
    Integrality, bounds and rows are restored after the block."""
    with hm.as_lp():
        if hm.relaxation_basis is None and hm.lp_basis is not None:
            hm.h.setBasis(hm.lp_basis)  # before the relaxation rows: they join it as basic rows
        with hm.relaxation_run(seconds, warm=True, enough=enough) as bound:
            yield bound


def _relaxation(hm: HighsModel, seconds: float | None,
                mip_gap: float | None = None) -> tuple[float, float, tuple | None] | None:
    """(z₀, z_LP, the fixings: columns, their bounds, their tightened bounds) for :func:`reduced_cost_fixing`; None
    without a whole feasible start, a maximisation or a solved LP, or when the fixing would cut off the start."""
    if not hm.whole_start or not hm.maximize:
        return None
    plan, lp = hm.start[1], hm.h.getLp()
    value = plan_value(lp, plan)
    if value is None:
        return None
    cols = np.flatnonzero(hm.integer).astype(np.int32)
    lower, upper = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
    offer, hm.start = hm.start, None  # the LP must not take the start as its own
    try:
        proven = None if mip_gap is None else (lambda bound: Relaxation(value, bound).proves(mip_gap))
        with relaxation_lp(hm, seconds, proven) as bound:
            solution, info = hm.h.getSolution(), hm.h.getInfo()
            reduced, relaxed = np.asarray(solution.col_dual)[cols], np.asarray(solution.col_value)[cols]
    finally:
        hm.start = offer
    if bound is None or info.num_dual_infeasibilities != 0:
        return None
    tight = priced_bounds(lower, upper, relaxed, reduced, bound, value, plan[cols])
    if tight is None:
        return None
    new_lower, new_upper = tight
    tightened = (new_upper < upper) | (new_lower > lower)
    return value, bound, (cols[tightened], lower[tightened], upper[tightened], new_lower[tightened],
                          new_upper[tightened])


def priced_bounds(lower: np.ndarray, upper: np.ndarray, relaxed: np.ndarray, reduced: np.ndarray, bound: float,
                  value: float, start: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The bounds of integer columns (``lower``, ``upper``; their LP values ``relaxed`` and reduced costs ``reduced``
    at an optimal basis of the LP relaxation, optimum ``bound``, maximised) that every plan better than
    ``value`` − ε keeps: l_j ≤ x_j ≤ l_j + ⌊(z_LP − z₀ + ε)/|d_j|⌋ at the lower bound, u_j − ⌊…⌋ ≤ x_j at the upper
    (the module docstring).  None when they would cut off ``start``, a plan of value ``value``: its value or the
    LP is not what it seems."""
    room = max(bound - value + MARGIN * max(1.0, abs(value)), 0.0)
    new_lower, new_upper = lower.copy(), upper.copy()
    rises = (relaxed <= lower + 1e-9) & (reduced < 0)  # at its lower bound, raising it costs |d_j| a unit
    new_upper[rises] = np.minimum(upper[rises], lower[rises] + np.floor(room / -reduced[rises] + 1e-9))
    falls = (relaxed >= upper - 1e-9) & (reduced > 0)
    new_lower[falls] = np.maximum(lower[falls], upper[falls] - np.floor(room / reduced[falls] + 1e-9))
    if np.any((start < new_lower - 1e-9) | (start > new_upper + 1e-9)):
        return None
    return new_lower, new_upper


def plan_value(lp, plan: np.ndarray) -> float | None:
    """The objective of ``plan`` (every column) in ``lp`` (a ``HighsLp``, its matrix by column), None when a row or
    a bound does not hold."""
    a = lp.a_matrix_
    if a.format_ != highspy.MatrixFormat.kColwise:
        return None
    weights = np.asarray(a.value_) * np.repeat(plan, np.diff(np.asarray(a.start_)))
    activity = np.bincount(np.asarray(a.index_), weights=weights, minlength=lp.num_row_)
    if not (_within(activity, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_))
            and _within(plan, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_))):
        return None
    return float(np.asarray(lp.col_cost_) @ plan + lp.offset_)


def _within(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Whether lower ≤ x ≤ upper to :data:`FEASIBLE`, scaled by each bound's size (infinite bounds hold)."""
    with np.errstate(invalid="ignore"):
        low = np.isinf(lower) | (x >= lower - FEASIBLE * np.maximum(1.0, np.abs(lower)))
        high = np.isinf(upper) | (x <= upper + FEASIBLE * np.maximum(1.0, np.abs(upper)))
    return bool(np.all(low & high))
