"""An OR-Library location problem solved: its stages, the models handed to HiGHS, and the answer.

One path for ``regio orlib``, the tests and the benchmarks, so each solves what the others time
(:func:`solve_location`).  For an uncapacitated p-median: start (:func:`allocator.location.start.greedy_interchange`),
Lagrangian bound and the sites it rules out (:func:`allocator.location.bound.sites_that_may_open`), then
the core, the Lagrangian tree (:mod:`allocator.location.tree`) and HiGHS over the remaining sites with the
best p-median offered, branching on pseudo-costs from the first node (:data:`PMEDIAN_HIGHS_OPTIONS`).
:func:`build_location` builds that last model alone (the tests compare forms on it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo

from allocator.location.bound import SiteReduction, sites_that_may_open
from allocator.location.start import greedy_interchange
from allocator.location.tree import branch_and_bound
from allocator.solver.highs import HighsModel
from allocator.status import SolveReport, Status
from formulations.pmedian_radius import location_model, nearest_open_assignment
from regio_instances.orlib import LocationProblem

# HiGHS trusts a column's pseudo-cost once it has this many observations and strong-branches before
# (default 8).  With 0 it skips strong branching: every strong-branching LP is the whole radius model,
# and on the p-median its few open sites make pseudo-costs informative at once.
PMEDIAN_HIGHS_OPTIONS = {"mip_pscost_minreliable": 0}

# Nodes the Lagrangian tree may spend on the core before HiGHS takes it over.  Where the LP bound is weak
# (p ≤ 10) the tree shows within 1-13 nodes that no p-median costs at most the cutoff; with 5 nodes HiGHS
# took 0.5-0.9 s to show it on pmed26, 32 and 39.  Where the bound is tight HiGHS finds the optimum faster.
CORE_TREE_NODES = 20

# Swaps the start may make (each prices every swap at once: 20 ms at n = 700, p = 140).
START_SWAPS = 10


@dataclass
class LocationBuild:
    """The problem, its model (form ``arc`` or ``radius``) and HiGHS model, the sites the model has
    (True per site of the problem) and the Lagrangian bound that ruled the others out (None: not run)."""

    problem: LocationProblem
    model: pyo.ConcreteModel
    formulation: str
    highs: HighsModel
    candidates: np.ndarray
    lagrangian_bound: float | None = None

    def solution(self) -> tuple[np.ndarray, np.ndarray]:
        """HiGHS's solution over all sites of the problem: open 0/1 per site, customers × sites shares.

        Sites the model does not have are closed; the radius form has no shares, so customers go
        wholly to their nearest open site (its optimal assignment).
        """
        m, hm = self.model, self.highs
        sites = list(m.site)
        y = np.zeros(self.problem.n_sites)
        y[sites] = np.round(hm.values_of(m.open[j] for j in sites))
        if self.formulation == "radius":
            return y, nearest_open_assignment(self.problem.cost, y)
        share = np.zeros(self.problem.cost.shape)
        arcs = list(m.assign.arc)
        share[[a[0] for a in arcs], [a[1] for a in arcs]] = hm.values_of(m.assign.share[a] for a in arcs)
        return y, share


def build_location(problem: LocationProblem, formulation: str = "auto") -> LocationBuild:
    """Build ``problem`` in ``formulation`` (``auto``: :func:`formulations.pmedian_radius.prefers_radius`)
    and hand it to HiGHS; an uncapacitated p-median gets the start, the site reduction and
    :data:`PMEDIAN_HIGHS_OPTIONS`.

    The start offers the open sites only; HiGHS completes the assignment (arc form) or the radius
    variables itself.
    """
    reduction = site_reduction(problem)
    if reduction is None:
        return _build(problem, np.ones(problem.n_sites, dtype=bool), formulation)
    return _build(problem, reduction.keep, formulation, reduction=reduction, start=reduction.start)


def site_reduction(problem: LocationProblem) -> SiteReduction | None:
    """The start and the Lagrangian site reduction of an uncapacitated p-median (None for other problems)."""
    if problem.p is None or problem.capacity is not None:
        return None
    p = int(problem.p)
    return sites_that_may_open(problem.cost, p, greedy_interchange(problem.cost, p, max_swaps=START_SWAPS))


def core_cutoff(reduction: SiteReduction) -> float:
    """The core stage's cutoff T: ⌈L⌉ when every cost is an integer (the optimum if the bound is tight), else
    L (1 + 10⁻⁴)."""
    bound = reduction.bound.bound
    if reduction.integral:
        return float(np.ceil(bound - 1e-9 * max(1.0, abs(bound))))
    return bound + 1e-4 * max(1.0, abs(bound))


@dataclass
class LocationAnswer:
    """A solved location problem: the method that gave the answer (``radius``/``arc``: HiGHS on that model,
    ``lagrangian tree``: :mod:`allocator.location.tree`), its report (``solve_seconds``: every stage's
    seconds together; ``build_seconds``: start, bound and models), one row per stage run, the open sites
    (0/1 per site of the problem) and customers × sites shares, the number of sites the answering stage
    had and the root's Lagrangian bound (None: not a p-median)."""

    problem: LocationProblem
    formulation: str
    report: SolveReport
    stages: list[dict]
    open_sites: np.ndarray
    share: np.ndarray
    sites_in_model: int
    lagrangian_bound: float | None

    def solution(self) -> tuple[np.ndarray, np.ndarray]:
        """Open 0/1 per site and the customers × sites shares."""
        return self.open_sites, self.share


def solve_location(problem: LocationProblem, formulation: str = "auto", time_limit: float = 300.0,
                   mip_gap: float = 1e-9, threads: int | None = None) -> LocationAnswer:
    """Solve ``problem``; an uncapacitated p-median in stages, each run only when the ones before did not
    prove the optimum (other problems: HiGHS on the whole model, stage ``full``).

    1. *core*: with T = :func:`core_cutoff`, every p-median costing at most T opens only the sites with
       L + ρ_j − ρ_(p) ≤ T (:meth:`~allocator.location.bound.SiteReduction.sites_within`).  The best p-median
       over those sites, if it costs at most T, is the problem's optimum (a cheaper one would cost less than
       T, so it is there too).  :func:`_core_stages` asks the Lagrangian tree first (``core tree``, a few
       nodes: where the LP bound is weak it shows at once that none costs ≤ T), then HiGHS over the core
       with the row cost ≤ T (``core``, at most half the time).  Where the LP bound is tight (OR-Library
       files with p ≥ 20) this is the answer (pmed20: 178 of 400 sites).
    2. *tree* (half the time left): the Lagrangian branch-and-bound of :mod:`allocator.location.tree` over
       the sites the reduction keeps, from the start.
    3. *reduced* (HiGHS, the time left), only when the tree stopped at its limit: the model over those
       sites with the tree's best p-median offered as the start.

    Every proof is of the whole problem; the answer's status is that of the stage that gave it.
    """
    t0 = time.perf_counter()
    reduction = site_reduction(problem)
    stages: list[dict] = []
    if reduction is None:
        built = _build(problem, np.ones(problem.n_sites, dtype=bool), formulation)
        return _highs_stage(built, "full", None, time_limit, mip_gap, threads, stages, t0)
    if not reduction.proven:
        cutoff = core_cutoff(reduction)
        core = reduction.sites_within(cutoff)
        if int(problem.p) <= core.sum() < reduction.keep.sum():
            answer = _core_stages(problem, reduction, core, cutoff, formulation, time_limit, mip_gap, threads, stages, t0)
            if answer is not None:
                return answer
    keep = np.flatnonzero(reduction.keep)
    t1 = time.perf_counter()
    tree = branch_and_bound(problem.cost[:, keep], int(problem.p), reduction.start[keep], reduction.bound.multipliers,
                            reduction.integral, mip_gap, time_limit=max(0.0, time_limit - (t1 - t0)) / 2)
    seconds = time.perf_counter() - t1
    status = Status.OPTIMAL if tree.proven else Status.TIME_LIMIT_FEASIBLE
    stages.append({"stage": "tree", "sites": len(keep), "cutoff": None, "status": status.value, "seconds": seconds,
                   "nodes": tree.nodes, "result": "the answer" if tree.proven else "stopped: the next stage decides"})
    if tree.proven:
        return _tree_answer(problem, tree, keep, stages, t0, time_limit, reduction)
    y = np.zeros(problem.n_sites)
    y[keep] = tree.open_sites
    built = _build(problem, reduction.keep, formulation, reduction=reduction, start=y)
    left = max(1.0, time_limit - (time.perf_counter() - t0))
    return _highs_stage(built, "reduced", None, left, mip_gap, threads, stages, t0)


def _core_stages(problem, reduction, core, cutoff, formulation, time_limit, mip_gap, threads, stages, t0):
    """The core's answer, or None when no p-median costs at most ``cutoff`` or the core stages did not decide.

    First the Lagrangian tree over the core for :data:`CORE_TREE_NODES` nodes: where the LP bound is weak the
    core's own bound passes the cutoff within a few nodes (pmed16: 3 nodes, no p-median ≤ 8,092); else HiGHS
    over the core, which finds the optimum where the LP bound is tight faster than the tree."""
    sites = np.flatnonzero(core)
    t1 = time.perf_counter()
    tree = branch_and_bound(problem.cost[:, sites], int(problem.p), _first(sites, reduction.start), reduction.bound.multipliers,
                            reduction.integral, mip_gap, time_limit=time_limit / 4, cutoff=cutoff,
                            max_nodes=CORE_TREE_NODES)
    found = tree.proven and tree.upper <= cutoff
    stages.append({"stage": "core tree", "sites": len(sites), "cutoff": cutoff, "nodes": tree.nodes,
                   "status": Status.OPTIMAL.value if found else (Status.INFEASIBLE.value if tree.proven
                                                                  else "node_limit"),
                   "seconds": time.perf_counter() - t1,
                   "result": "the answer" if found else ("no p-median costs at most the cutoff" if tree.proven
                                                         else f"undecided after {tree.nodes} nodes: HiGHS decides")})
    if found:
        return _tree_answer(problem, tree, sites, stages, t0, time_limit, reduction)
    if tree.proven:
        return None
    built = _build(problem, core, formulation, reduction=reduction, cutoff=cutoff)
    answer = _highs_stage(built, "core", cutoff, time_limit / 2, mip_gap, threads, stages, t0)
    if answer.report.status is Status.OPTIMAL:
        return answer
    stages[-1]["result"] = ("no p-median costs at most the cutoff" if answer.report.status is Status.INFEASIBLE
                            else "not proven: the next stage decides")
    return None


def _first(sites: np.ndarray, start: np.ndarray) -> np.ndarray:
    """A p-median over ``sites`` to start the core tree from: the start's sites there, the others first in order."""
    p = int(start.sum())
    y = start[sites].copy()
    for j in np.flatnonzero(y < 0.5)[: p - int(y.sum())]:
        y[j] = 1.0
    return y


def _tree_answer(problem, tree, sites, stages, t0, time_limit, reduction) -> LocationAnswer:
    """The answer of a finished tree over ``sites`` (positions in the problem)."""
    y = np.zeros(problem.n_sites)
    y[sites] = tree.open_sites
    gap = (tree.upper - tree.bound) / max(abs(tree.upper), 1e-9)
    rep = SolveReport(status=Status.OPTIMAL, objective=tree.upper, bound=tree.bound, mip_gap=gap, solve_seconds=0.0,
                      nodes=tree.nodes, time_limit=time_limit)
    return _answer(problem, "lagrangian tree", rep, stages, t0, y, nearest_open_assignment(problem.cost, y),
                   len(sites), reduction.bound.bound)


def _highs_stage(built: LocationBuild, name: str, cutoff: float | None, time_limit: float, mip_gap: float,
                 threads: int | None, stages: list[dict], t0: float) -> LocationAnswer:
    """Solve ``built`` as stage ``name``, add its row to ``stages`` and return the answer it gives."""
    rep = built.highs.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    stages.append({"stage": name, "sites": int(built.candidates.sum()), "cutoff": cutoff, "status": rep.status.value,
                   "seconds": rep.solve_seconds, "result": "the answer"})
    y, share = built.solution() if rep.status.has_solution else (np.zeros(built.problem.n_sites), None)
    return _answer(built.problem, built.formulation, rep, stages, t0, y, share, int(built.candidates.sum()),
                   built.lagrangian_bound)


def _answer(problem, formulation, rep, stages, t0, y, share, sites, lagrangian) -> LocationAnswer:
    """The answer with ``rep``'s seconds replaced by all stages' together (build: the rest of the wall time)."""
    seconds = sum(stage["seconds"] for stage in stages)
    rep = replace(rep, solve_seconds=seconds, build_seconds=time.perf_counter() - t0 - seconds)
    return LocationAnswer(problem, formulation, rep, stages, y, share, sites, lagrangian)


def _build(problem: LocationProblem, sites: np.ndarray, formulation: str, reduction: SiteReduction | None = None,
           start: np.ndarray | None = None, cutoff: float | None = None) -> LocationBuild:
    """The model over ``sites`` (True per site) handed to HiGHS, with the start's open sites offered."""
    model, formulation = location_model(problem.restricted(sites), formulation, cutoff=cutoff)
    hm = HighsModel(model)
    if reduction is not None:
        if start is not None:
            hm.start_from([model.open[j] for j in model.site], start[sites])
        for option, value in PMEDIAN_HIGHS_OPTIONS.items():
            hm.set_option(option, value)
    return LocationBuild(problem, model, formulation, hm, sites, None if reduction is None else reduction.bound.bound)
