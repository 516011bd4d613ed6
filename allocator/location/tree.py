"""A p-median branch-and-bound over sites with Lagrangian bounds (after Beasley 1993), all in numpy.

A node fixes some sites open (F₁) and some closed (F₀); its bound is the Lagrangian of
:mod:`allocator.location.bound` with those fixings,

    L(λ) = Σ_i λ_i + Σ_{j∈F₁} ρ_j + (sum of the q = p − |F₁| smallest ρ_j over the free sites),

raised by a few subgradient steps from the parent's λ, θ halved only after the bound module's
:data:`~allocator.location.bound.PATIENCE` steps without progress (halving after 5, as before, shrank the
steps before the bound rose: pmed36 6,415 nodes against 3,433).  A node is pruned when L > T, where T is the
cut-off: a p-median worth finding costs at most T = U − 1 when every cost is an integer (U: the best
found), else U (1 − gap).  Before branching the node fixes what its bound decides: a free site j
outside the q chosen is closed when L + ρ_j − ρ_(q) > T (opening it raises the bound that much), a chosen
one is opened when L + ρ_(q+1) − ρ_j > T.  It then branches on the free chosen site with the smallest
ρ_j, the open branch searched first (depth first, so the open nodes are a stack of at most n_sites).
Every subproblem's site set S is a p-median; the cheapest lowers U.

Why: with p = 5 or 10 the LP bound of OR-Library pmed files is 0.6-1 % below the optimum, and HiGHS
spent most of its time on the radius model's LPs (pmed16: 8.7 s for a few dozen nodes over 63 sites; pmed36,
335 sites, 270 s).  A Lagrangian node costs about a millisecond (pmed36: 3,433 nodes in 3.7 s).  Where
the LP bound is tight and the start is not optimal (p ≥ 20) the tree spends its time finding the
optimum, which HiGHS's core stage finds faster (:func:`allocator.location.solve.solve_location` runs
that first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from allocator.location.bound import lagrangian_bound
from allocator.location.start import pmedian_cost

ROOT_STEPS = 300     # subgradient steps at the root (λ starts from the site reduction's)
NODE_STEPS = 20      # steps at every other node, from its parent's λ, θ from 1 (pmed36: 30 steps 2,560 nodes in 4.1 s, 20 steps 3,433 in 3.7 s)


@dataclass(frozen=True)
class TreeResult:
    """The best p-median found (0/1 per site) and its cost, the proven lower bound, nodes searched and whether
    the search finished (``proven``: no p-median costs less than ``bound``, which is within the gap of ``upper``)."""

    open_sites: np.ndarray
    upper: float
    bound: float
    nodes: int
    proven: bool


@dataclass(frozen=True)
class _Node:
    state: np.ndarray   # per site: −1 closed, 0 free, 1 open
    multipliers: np.ndarray
    steps: int


def branch_and_bound(cost: np.ndarray, p: int, start: np.ndarray, multipliers: np.ndarray,
                     integral: bool, mip_gap: float = 1e-9, time_limit: float = 300.0,
                     cutoff: float = np.inf, max_nodes: int | None = None) -> TreeResult:
    """Search every p-median cheaper than ``start`` (0/1 per site) and costing at most ``cutoff`` with the
    customers × sites ``cost``; ``multipliers``: the root's first λ; ``integral``: every cost is an integer.
    Stops unfinished after ``time_limit`` seconds or ``max_nodes`` nodes."""
    t0 = time.perf_counter()
    n_sites = cost.shape[1]
    best = np.flatnonzero(np.asarray(start) > 0.5)
    upper = pmedian_cost(cost, start)
    stack = [_Node(np.zeros(n_sites, dtype=np.int8), np.asarray(multipliers, dtype=float), ROOT_STEPS)]
    pruned_at, nodes = np.inf, 0   # the least bound of a subtree closed without a p-median cheaper than U
    root_bound = -np.inf
    while stack:
        if time.perf_counter() - t0 > time_limit or (max_nodes is not None and nodes >= max_nodes):
            return _result(n_sites, best, upper, root_bound, nodes, False, integral)
        node = stack.pop()
        nodes += 1
        if (node.state == 1).sum() == p:
            value = pmedian_cost(cost, node.state == 1)
            if value < upper:
                best, upper = np.flatnonzero(node.state == 1), value
            pruned_at = min(pruned_at, value)
            continue
        bound, lam, savings, active, found, found_cost = _node_bound(
            cost, p, node, min(cutoff, _cutoff(upper, integral, mip_gap)), upper)
        if nodes == 1:
            root_bound = bound
        if found_cost < upper:
            best, upper = found, found_cost
        cut = min(cutoff, _cutoff(upper, integral, mip_gap))
        if bound > cut:
            pruned_at = min(pruned_at, bound)
            continue
        pruned_at = min(pruned_at, _children(stack, node, p, bound, lam, savings, active, cut))
    return _result(n_sites, best, upper, pruned_at, nodes, True, integral)


def _cutoff(upper: float, integral: bool, mip_gap: float) -> float:
    """T: a p-median worth finding costs at most T (U − 1 for integer costs, else U (1 − gap))."""
    return upper - max(1.0 if integral else 0.0, mip_gap * abs(upper)) + 1e-9 * max(1.0, abs(upper))


def _node_bound(cost, p, node, cut, upper):
    """The node's best Lagrangian bound (:func:`allocator.location.bound.lagrangian_bound` over the sites not
    closed, ``active``, with the open ones forced); its λ, savings over ``active``, and the cheapest subproblem
    set S seen (sites, cost)."""
    active = np.flatnonzero(node.state >= 0)
    lb = lagrangian_bound(cost[:, active], p, upper, node.multipliers, steps=node.steps, theta=1.0,
                          stop_at=cut, forced=node.state[active] == 1)
    return lb.bound, lb.multipliers, lb.savings, active, active[lb.best_open > 0.5], lb.best_cost


def _children(stack, node, p, bound, lam, savings, active, cut) -> float:
    """Fix what the node's bound decides, push its children (open branch on top) and return the least
    bound of the solutions the fixing excluded (inf: none)."""
    free = node.state[active] == 0
    q = p - int((node.state == 1).sum())
    free_savings = np.sort(savings[free])
    qth = free_savings[q - 1]
    next_after = free_savings[q] if len(free_savings) > q else np.inf
    state = node.state.copy()
    if_opened = bound + savings - qth                        # the bound with free j forced open
    if_closed = np.where(savings <= qth, bound + next_after - savings, bound)  # ... forced closed
    close, open_ = free & (if_opened > cut), free & (if_closed > cut)
    state[active[close]] = -1
    state[active[open_]] = 1
    excluded = min(if_opened[close].min(initial=np.inf), if_closed[open_].min(initial=np.inf))
    n_open, n_left = int((state == 1).sum()), int((state >= 0).sum())
    if n_open > p or n_left < p:
        return excluded
    if n_open == p:
        stack.append(_Node(state, lam, NODE_STEPS))
        return excluded
    still = np.flatnonzero(state[active] == 0)
    j = active[still[np.argmin(savings[still])]]
    closed, opened = state.copy(), state.copy()
    closed[j], opened[j] = -1, 1
    stack.append(_Node(closed, lam, NODE_STEPS))
    stack.append(_Node(opened, lam, NODE_STEPS))
    return excluded


def _result(n_sites, best, upper, least, nodes, finished, integral) -> TreeResult:
    """Finished, every p-median costs ≥ min(U, the least bound of what was pruned); stopped early, ≥ the
    root's bound.  Rounded up for integer costs."""
    y = np.zeros(n_sites)
    y[best] = 1.0
    bound = min(upper, least)
    if integral and np.isfinite(bound):
        bound = min(upper, float(np.ceil(bound - 1e-9 * max(1.0, abs(bound)))))
    return TreeResult(y, upper, bound, nodes, finished)
