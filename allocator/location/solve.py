"""An OR-Library location problem handed to HiGHS: its model, the compiled HiGHS model and a start.

One path for ``regio orlib``, the tests and the benchmarks, so each solves what the others time.
For an uncapacitated p-median the path is: start (:func:`allocator.location.start.greedy_interchange`),
Lagrangian bound and the sites it rules out (:func:`allocator.location.bound.sites_that_may_open`), then
the model over the remaining sites, with the start offered to HiGHS, which branches on pseudo-costs
from the first node (:data:`PMEDIAN_HIGHS_OPTIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from allocator.location.bound import sites_that_may_open
from allocator.location.start import greedy_interchange
from allocator.solver.highs import HighsModel
from formulations.pmedian_radius import location_model, nearest_open_assignment
from regio_instances.orlib import LocationProblem

# HiGHS trusts a column's pseudo-cost once it has this many observations and strong-branches before
# (default 8).  With 0 it skips strong branching: every strong-branching LP is the whole radius model,
# and on the p-median its few open sites make pseudo-costs informative at once.
PMEDIAN_HIGHS_OPTIONS = {"mip_pscost_minreliable": 0}


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
    candidates, bound, start = np.ones(problem.n_sites, dtype=bool), None, None
    pmedian = problem.p is not None and problem.capacity is None
    if pmedian:
        start = greedy_interchange(problem.cost, int(problem.p))
        candidates, lb = sites_that_may_open(problem.cost, int(problem.p), start)
        bound = lb.bound
    model, formulation = location_model(problem.restricted(candidates), formulation)
    hm = HighsModel(model)
    if pmedian:
        hm.start_from([model.open[j] for j in model.site], start[candidates])
        for option, value in PMEDIAN_HIGHS_OPTIONS.items():
            hm.set_option(option, value)
    return LocationBuild(problem, model, formulation, hm, candidates, bound)
