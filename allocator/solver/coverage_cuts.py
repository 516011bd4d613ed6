"""Submodular coverage cuts: what a point's open sites can serve of it, separated on an LP relaxation's solution.

A point i (of one facility type) is served by its reachable sites; with the set T of them open it can be served
at most g(T) = min(1, Σ_G g_G(T)), where a capacitated group G gives min(1, Σ_{j ∈ G∩T} cap_j / d_i) and a site
without capacity 1.  So u_i ≤ g(T) for every plan (the capacity rows and share_iG ≤ Σ_{j∈G} y_j imply it for
integer y), and g is submodular.  For any set S of i's sites two linear inequalities in y follow (Nemhauser,
Wolsey and Fisher 1978, with ρ_j(A) = g(A ∪ {j}) − g(A), N all of i's sites):

    (I)   u_i ≤ g(S) − Σ_{j∈S} ρ_j(N∖{j})·(1 − y_j) + Σ_{j∉S} ρ_j(S)·y_j
    (II)  u_i ≤ g(S) − Σ_{j∈S} ρ_j(S∖{j})·(1 − y_j) + Σ_{j∉S} ρ_j(∅)·y_j

The LP relaxation only knows u_i ≤ Σ_G min(1, ·) of fractional y, which is weaker where a point needs two of
its sites at once, or where one site's places are worth less once another is open.  :meth:`CoverageCuts.violated`
tries, for each point with a fractional site, the sets S of its most-open sites (sorted by y_j, each prefix
among those the LP opens at all) in both forms and returns the most violated row per point.  The rows hold for
every plan of the model, whatever the objective or the budget, so they are kept
(:meth:`allocator.solver.highs.HighsModel.tightened`).

nl, λ 4,000: the LP relaxation with the closure rows lies 2.1·10⁻⁴ above the optimum; one round of these cuts
(9 rows) brings it to 3.0·10⁻⁵, within the MIP gap: the what-if is proven by the LP (docs/performance.md,
"Coverage cuts").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRACTIONAL = 1e-6  # a site's y_j strictly between this and 1 − this is fractional
VIOLATION = 1e-4  # a row is added when the LP's u_i exceeds its right-hand side by more than this


@dataclass(frozen=True)
class CoverageCuts:
    """Each point's sites, in columns: point n's elements are ``start[n]:start[n+1]``.

    ``served``: u_i's column per point; ``demand``: d_i; per element ``opened`` (y_j's column), ``group`` (a code
    shared by the members of one capacitated group, in this point's list) and ``cap`` (NaN: no capacity)."""

    served: np.ndarray
    demand: np.ndarray
    start: np.ndarray
    opened: np.ndarray
    group: np.ndarray
    cap: np.ndarray

    def violated(self, x: np.ndarray) -> tuple | None:
        """The most violated row of each point at the LP solution ``x`` (every column), as ``Highs.addRows``'
        arguments (n, lower, upper, nnz, starts, index, value); None when none is violated."""
        y = x[self.opened]
        fractional = (y > FRACTIONAL) & (y < 1 - FRACTIONAL)
        hit = np.add.reduceat(fractional.astype(int), self.start[:-1]) if len(y) else np.zeros(0, int)
        candidates = np.flatnonzero((hit > 0) & (np.diff(self.start) > 1) & (x[self.served] > VIOLATION))
        rows = [row for n in candidates if (row := self._row(n, x[self.served[n]], y)) is not None]
        if not rows:
            return None
        sizes = np.array([len(cols) for _, cols, _ in rows])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
        index = np.concatenate([cols for _, cols, _ in rows]).astype(np.int32)
        value = np.concatenate([vals for _, _, vals in rows])
        return (len(rows), np.full(len(rows), -np.inf), np.array([level for level, _, _ in rows]), len(index),
                starts, index, value)

    def _row(self, n: int, u: float, y_all: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Point ``n``'s most violated row (level, columns, coefficients: u_i + Σ coef·y_j ≤ level), or None.

        Every set the two forms need (N, N∖{j}, {j}, each prefix S of the sites by y_j, S∖{j}, S ∪ {j}) is one row
        of a mask, and g of all of them is one call of :func:`_served`: 3k + m(2k + 1) sets for k sites, m of them
        open in the LP (every prefix of all k: a point of 99 sites took 20,000 sets, and a λ what-if's round 0.15 s)."""
        lo, hi = self.start[n], self.start[n + 1]
        y, k = y_all[lo:hi], hi - lo
        m = max(1, int((y > FRACTIONAL).sum()))  # prefixes of the sites the LP opens at all (a point reaches up to 99)
        eye = np.eye(k, dtype=bool)
        order = np.argsort(-y, kind="stable")
        prefixes = np.arange(m)[:, None] >= np.argsort(order)[None, :]  # prefix s holds the s + 1 first by y_j
        inside = np.repeat(prefixes, k, axis=0)  # (prefix s, element j)
        flip = np.tile(eye, (m, 1))
        masks = np.vstack([np.ones((1, k), dtype=bool), ~eye, eye, prefixes, inside & ~flip, inside | flip])
        g = _served(masks, self.group[lo:hi], self.cap[lo:hi], self.demand[n])
        g_all, g_without_all, g_one = g[0], g[1:k + 1], g[k + 1:2 * k + 1]
        g_s = g[2 * k + 1:2 * k + 1 + m]
        g_less = g[2 * k + 1 + m:2 * k + 1 + m + m * k].reshape(m, k)
        g_more = g[2 * k + 1 + m + m * k:].reshape(m, k)
        last = g_all - g_without_all  # ρ_j(N∖{j})
        coef_one = np.where(prefixes, last, g_more - g_s[:, None])  # (I): ρ_j(N∖{j}) inside, ρ_j(S) outside
        coef_two = np.where(prefixes, g_s[:, None] - g_less, g_one)  # (II): ρ_j(S∖{j}) inside, ρ_j(∅) outside
        coef = np.vstack([coef_one, coef_two])
        level = np.concatenate([g_s, g_s]) - (np.vstack([prefixes, prefixes]) * coef).sum(axis=1)
        excess = u - (level + (coef * y).sum(axis=1))
        best = int(np.argmax(excess))
        if excess[best] <= VIOLATION:
            return None
        keep = np.abs(coef[best]) > 1e-12
        return (float(level[best]), np.concatenate([[self.served[n]], self.opened[lo:hi][keep]]),
                np.concatenate([[1.0], -coef[best][keep]]))


def _served(masks: np.ndarray, group: np.ndarray, cap: np.ndarray, demand: float) -> np.ndarray:
    """g(S) of each row S of ``masks`` (sets of a point's sites): what they serve of its ``demand``, at most all
    (places summed per group of sites, ``group`` their codes)."""
    order = np.argsort(group, kind="stable")
    by_group = group[order]
    first = np.flatnonzero(np.r_[True, by_group[1:] != by_group[:-1]])
    masks, cap = masks[:, order], cap[order]
    capped = ~np.isnan(cap)
    places = np.add.reduceat(masks * np.where(capped, cap, 0.0), first, axis=1)
    has_open = np.logical_or.reduceat(masks & ~capped, first, axis=1)  # a site without capacity serves all of i
    group_capped = np.logical_or.reduceat(capped, first)
    served = np.where(has_open, 1.0, np.where(group_capped, np.minimum(1.0, places / demand), 0.0))
    return np.minimum(1.0, served.sum(axis=1))
