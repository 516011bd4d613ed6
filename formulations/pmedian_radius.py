"""p-median in the radius form: one variable per customer and distinct distance, not per customer-site arc.

min Σ_i w_i (D_i¹ + Σ_k (D_i^{k+1} − D_i^k) z_ik)
s.t. z_ik ≥ z_i,k−1 − Σ_{j: d_ij = D_i^k} y_j  (z_i0 = 1),   Σ_j y_j = p,   y binary, z ≥ 0

D_i¹ < D_i² < … are customer i's distinct distances; z_ik = 1 means no open site within D_i^k.
Telescoping gives z_ik ≥ 1 − Σ_{d_ij ≤ D_i^k} y_j, so the LP bound equals the arc formulation's, while
each site appears once per customer (nonzeros O(n²), not O(n³) as with the un-chained radius rows).
Levels at or beyond the (n − p + 1)-th nearest site get no variable: any n − p + 1 sites include an
open one.  Shortest-path distances of OR-Library graphs have many ties, so the model is several times
smaller than the arc model.  After Elloumi (2010) and García, Labbé and Marín (2011).

Over the sites the Lagrangian bound leaves (:mod:`allocator.location.bound`) the radius form was faster than
the arc form at every p measured (docs/performance.md), so :func:`prefers_radius` picks the radius form for every uncapacitated p-median.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from formulations.location import build_location_model
from formulations.sparse import groups, linear
from regio_instances.orlib import LocationProblem


def prefers_radius(problem: LocationProblem) -> bool:
    """The radius form for uncapacitated p-median problems (see the table above); the arc form otherwise."""
    return problem.p is not None and problem.capacity is None


def location_model(problem: LocationProblem, formulation: str = "auto",
                   cutoff: float | None = None) -> tuple[pyo.ConcreteModel, str]:
    """The model of an OR-Library problem and the form used: ``radius`` or ``arc`` (``auto``: :func:`prefers_radius`);
    with ``cutoff`` the row objective ≤ cutoff too (``m.cutoff``).

    Built with the cyclic garbage collector paused, as the allocation model is (:mod:`allocator.build`):
    pmed11's arc model (90,000 arcs) took 1.8 s with it on and 0.6 s paused.
    """
    if formulation == "auto":
        formulation = "radius" if prefers_radius(problem) else "arc"
    build = build_pmedian_radius_model if formulation == "radius" else build_location_model
    with PauseGC():
        m = build(problem)
        if cutoff is not None:
            m.cutoff = pyo.Constraint(expr=m.objective.expr <= cutoff)
        return m, formulation


def radius_levels(cost: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (customer, site): its level (0-based rank of distinct distance), and per customer the level
    count T_i that gets variables, the distances D_i^l (padded) and their steps D^{l+1} − D^l."""
    n_c, n_s = cost.shape
    order = np.argsort(cost, axis=1, kind="stable")
    sorted_d = np.take_along_axis(cost, order, axis=1)
    new = np.ones_like(sorted_d, dtype=bool)
    new[:, 1:] = sorted_d[:, 1:] > sorted_d[:, :-1]
    level_sorted = np.cumsum(new, axis=1) - 1
    level = np.empty_like(level_sorted)
    np.put_along_axis(level, order, level_sorted, axis=1)
    # T_i: the level of the (n − p + 1)-th nearest site; from there on some open site is always within reach
    keep = level_sorted[:, n_s - p]
    distinct = np.where(new, sorted_d, np.nan)
    values = np.full((n_c, n_s), np.nan)
    rows, cols = np.nonzero(new)
    values[rows, level_sorted[rows, cols]] = distinct[rows, cols]
    steps = np.diff(values, axis=1)
    return level, keep, values, steps


def build_pmedian_radius_model(problem: LocationProblem) -> pyo.ConcreteModel:
    """The radius model of a p-median ``problem`` (every site a candidate, fixed costs zero)."""
    if problem.p is None or problem.capacity is not None:
        raise ValueError("the radius form is for uncapacitated p-median problems")
    cost, w, p = problem.cost, problem.demand, int(problem.p)
    n_c, n_s = cost.shape
    level, keep, values, steps = radius_levels(cost, p)
    m = pyo.ConcreteModel(name=f"pmedian-radius:{problem.name}")
    sites = problem.sites
    m.site = pyo.Set(initialize=sites, ordered=True)
    m.open = pyo.Var(m.site, domain=pyo.Binary)
    pairs = [(i, k) for i in range(n_c) for k in range(int(keep[i]))]
    m.pair = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.far = pyo.Var(m.pair, bounds=(0, 1))  # z_ik: no open site within D_i^k

    # sites of each (customer, level) below T_i, grouped by one sort
    i_idx, j_idx = np.nonzero(level < keep[:, None])
    sites_at = {int(code): j_idx[at] for code, at in groups(i_idx * n_s + level[i_idx, j_idx]).items()}

    def chain(_, i, k):
        y = [m.open[sites[j]] for j in sites_at.get(i * n_s + k, ())]
        previous = [m.far[i, k - 1]] if k else []
        body = linear([1.0] * (1 + len(y)) + [-1.0] * len(previous), [m.far[i, k], *y, *previous])
        return body >= (1.0 if k == 0 else 0.0)

    m.chain = pyo.Constraint(m.pair, rule=chain)
    m.cardinality = pyo.Constraint(expr=linear([1.0] * n_s, (m.open[j] for j in sites)) == p)
    base = float(w @ values[:, 0])
    m.objective = pyo.Objective(expr=base + linear([float(w[i] * steps[i, k]) for i, k in pairs],
                                                   (m.far[i, k] for i, k in pairs)), sense=pyo.minimize)
    return m


def nearest_open_assignment(cost: np.ndarray, open_sites: np.ndarray) -> np.ndarray:
    """customers × sites shares: each customer wholly at its nearest open site (the p-median's assignment)."""
    is_open = np.asarray(open_sites) > 0.5
    masked = np.where(is_open[None, :], cost, np.inf)
    share = np.zeros_like(cost, dtype=float)
    share[np.arange(cost.shape[0]), masked.argmin(axis=1)] = 1.0
    return share
