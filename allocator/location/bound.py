"""A Lagrangian lower bound for the p-median, and the sites it rules out before HiGHS sees the model.

Relaxing the assignment rows Σ_j x_ij = 1 with multipliers λ_i leaves, per site, the saving
ρ_j(λ) = Σ_i min(0, c_ij − λ_i) of opening it, so

    L(λ) = Σ_i λ_i + (sum of the p smallest ρ_j)   ≤   every p-median's cost,

maximised by subgradient steps (Held and Karp; Beasley 1993 for the p-median): g_i = 1 − #{j ∈ S : c_ij < λ_i}
over the p chosen sites S, λ ← λ + θ (U − L) g / ‖g‖² with U the start's cost, θ halved after
:data:`PATIENCE` steps without a better bound.  Its best value equals the LP bound (the subproblem has the
integrality property), reached to a few hundredths of a per cent in a few hundred steps.

Forcing a site j outside S open raises the bound to L + ρ_j − ρ_(p) (ρ_(p): the p-th smallest), so when
that exceeds U no solution cheaper than the start opens j.  Every site of the start itself passes the test
(its solution costs U), so the model over the remaining sites holds the start and every better solution:
its optimum is the problem's optimum and its dual bound a valid bound for the problem.

The steps choose S from savings in single precision (one pass over a float32 copy of the matrix: half the
memory traffic of float64; pmed36's tree 7.8 → 3.7 s with the tree's patience); S only steers the steps.  The
bound and savings handed back are recomputed in double precision at the best λ, with S the p cheapest sites
again, so every bound used to rule a site out or prune a node is L(λ) itself.

Why: with p = 5 or 10 and n = 600-900 (OR-Library pmed26-39) HiGHS needed 120 s to over 300 s on the full
model; the test keeps 61-340 of the 600-900 sites (pmed31: 61 of 700) and each step costs one pass over the
n × n matrix (pmed38, n = 900: 500 steps in 0.6 s).  See :func:`allocator.location.build_location`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.location.start import interchange, pmedian_cost

PATIENCE = 15        # steps without a better bound before θ halves
MAX_STEPS = 500
MIN_THETA = 1e-3
WORK = 4.5e8         # matrix entries all steps may read together (bounds the steps on very large matrices)


@dataclass(frozen=True)
class LagrangianBound:
    """The best bound L(λ) found, its multipliers λ and the savings ρ_j(λ); and the cheapest of the
    subproblems' site sets S as a p-median (0/1 per site) with its cost (Beasley's Lagrangian heuristic)."""

    bound: float
    multipliers: np.ndarray
    savings: np.ndarray
    best_open: np.ndarray
    best_cost: float


def lagrangian_bound(cost: np.ndarray, p: int, upper: float, multipliers: np.ndarray, steps: int | None = None,
                     theta: float = 2.0, patience: int = PATIENCE, stop_at: float = np.inf,
                     forced: np.ndarray | None = None) -> LagrangianBound:
    """max_λ L(λ) by subgradient steps from ``multipliers``, with ``upper`` a p-median's cost (the step target,
    lowered whenever a subproblem's site set S is a cheaper p-median: cost(S) = Σ_i min_{j∈S} c_ij).

    ``forced`` (True per site) are in every S (the tree's sites fixed open); θ halves after ``patience`` steps
    without a better bound; the steps end once the bound reaches min(``upper``, ``stop_at``), θ < 10⁻³ or the
    gradient vanishes (``steps``, by default as many as :data:`WORK` allows)."""
    n_c, n_s = cost.shape
    steps = min(MAX_STEPS, max(30, int(WORK // (n_c * n_s)))) if steps is None else steps
    forced = np.zeros(n_s, dtype=bool) if forced is None else forced
    fixed, q = np.flatnonzero(forced), p - int(forced.sum())
    lam = np.asarray(multipliers, dtype=float).copy()
    best, best_lam, stall = -np.inf, lam.copy(), 0
    best_set, best_cost = None, np.inf
    coarse = cost.astype(np.float32)   # the steps' savings, to choose S; every bound returned is exact
    capped = np.empty(cost.shape, dtype=np.float32)  # min(c_ij, λ_i), written in place
    for _ in range(steps):
        chosen = _cheapest(_savings(coarse, lam.astype(np.float32), capped), fixed, q)
        at_chosen = cost[:, chosen]
        bound = lam.sum() + np.minimum(at_chosen - lam[:, None], 0.0).sum()  # L(λ) when S is the p cheapest
        set_cost = float(at_chosen.min(axis=1).sum())
        if set_cost < best_cost:
            best_set, best_cost = chosen.copy(), set_cost
            upper = min(upper, set_cost)
        if bound > best + 1e-9 * max(1.0, abs(bound)):
            best, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        gradient = 1.0 - (at_chosen < lam[:, None]).sum(axis=1)
        norm = float(gradient @ gradient)
        if norm == 0.0 or theta < MIN_THETA or best >= min(upper, stop_at):
            break
        lam = lam + theta * (upper - bound) / norm * gradient
    savings = _savings(cost, best_lam, np.empty(cost.shape))
    best_open = np.zeros(n_s)
    best_open[best_set] = 1.0
    exact = float(best_lam.sum() + savings[_cheapest(savings, fixed, q)].sum())
    return LagrangianBound(exact, best_lam, savings, best_open, best_cost)


def _savings(cost: np.ndarray, lam: np.ndarray, capped: np.ndarray) -> np.ndarray:
    """ρ_j(λ) = Σ_i min(0, c_ij − λ_i) per site, as Σ_i min(c_ij, λ_i) − Σ_i λ_i: one pass over ``cost``,
    written into ``capped``."""
    return np.minimum(cost, lam[:, None], out=capped).sum(axis=0) - lam.sum()


def _cheapest(savings: np.ndarray, fixed: np.ndarray, q: int) -> np.ndarray:
    """S: the ``fixed`` sites and the q others with the smallest savings."""
    if not len(fixed):
        return np.argpartition(savings, q - 1)[:q]
    free = savings.copy()
    free[fixed] = np.inf
    return np.concatenate([fixed, np.argpartition(free, q - 1)[:q]])


@dataclass(frozen=True)
class SiteReduction:
    """The sites a p-median cheaper than ``start`` may open (True per site, the start's own included), the
    bound that ruled the others out, the start (0/1 per site) and its cost ``upper``; ``proven``: no
    p-median is cheaper than the start; ``integral``: every cost is an integer."""

    keep: np.ndarray
    bound: LagrangianBound
    start: np.ndarray
    upper: float
    proven: bool
    integral: bool

    def sites_within(self, cost: float) -> np.ndarray:
        """True per site unless L + ρ_j − ρ_(p) > ``cost``: every p-median costing at most ``cost`` opens only
        these sites (the bound with j forced open is below its cost)."""
        return _forced_open(self.bound, int(self.start.sum())) <= cost + 1e-9 * max(1.0, abs(cost))


def _forced_open(lb: LagrangianBound, p: int) -> np.ndarray:
    """L + max(0, ρ_j − ρ_(p)) per site: the bound with site j forced open."""
    pth = np.partition(lb.savings, p - 1)[p - 1]
    return lb.bound + np.maximum(0.0, lb.savings - pth)


def sites_that_may_open(cost: np.ndarray, p: int, start: np.ndarray) -> SiteReduction:
    """Keep site j unless L + ρ_j − ρ_(p) > U' (U': the best start's cost U, or U − 1 when every cost is an
    integer, since a cheaper p-median then costs at most U − 1).

    The multipliers start at each customer's cost at ``start``'s nearest open site; the cheapest
    subproblem set S, improved by :func:`allocator.location.start.interchange`, replaces the start when it
    is cheaper.  The start's sites are always kept, so the model over the kept sites holds the start and
    every cheaper p-median.
    """
    start = (np.asarray(start) > 0.5).astype(float)
    nearest = cost[:, start > 0.5].min(axis=1)
    upper = float(nearest.sum())
    lb = lagrangian_bound(cost, p, upper, nearest)
    if lb.best_cost < upper:
        polished = interchange(cost, lb.best_open)
        if pmedian_cost(cost, polished) < upper:
            start, upper = polished, pmedian_cost(cost, polished)
    integral = bool(np.all(cost == np.round(cost)))
    cheaper = (upper - 1.0 if integral else upper) + 1e-9 * max(1.0, abs(upper))
    keep = (_forced_open(lb, p) <= cheaper) | (start > 0.5)  # the start's sites pass in exact arithmetic too
    return SiteReduction(keep, lb, start, upper, lb.bound > cheaper, integral)
