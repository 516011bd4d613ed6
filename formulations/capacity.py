"""Optional capacity: people are assigned to open sites within reach and within capacity (model.md 7).

=================================  =========================  ==========================================
model.md                           attribute                  meaning
=================================  =========================  ==========================================
a_ij = pop_i · share_ij            ``share[point,site]``      fraction of point i served at site j
Σ_j a_ij = pop_i u_ik              ``serve[point,ftype]``     Σ_{j ∈ N_k(i)} share_ij = u_ik
Σ_i a_ij ≤ cap_j y_j               ``limit[site]``            Σ_i pop_i share_ij ≤ cap_j y_j
(valid tightening)                 ``link[point,site]``       share_ij ≤ y_j
=================================  =========================  ==========================================

Demand and capacity enter in thousands of persons (numerical scaling).
Built only with ``use_capacity = true`` and only for types with at least one
capacitated site; sites with an empty capacity are unlimited.  The same
assignment block serves the OR-Library warehouse and p-median models
(:mod:`formulations.location`).
"""

from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.assignment import add_assignment
from formulations.min_service import PERSONS_PER_UNIT


def add_capacity(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Σ_j share_ij = u_ik, Σ_i pop_i share_ij ≤ cap_j y_j, share_ij ≤ y_j, for capacitated types."""
    if not data.scenario.use_capacity:
        return
    sites = data.sites
    capped_types = set(sites.loc[sites["capacity"].notna(), "ftype_id"])
    arcs = data.model_reach[data.model_reach["ftype_id"].isin(capped_types)]
    if arcs.empty:
        return
    population = data.coverable.set_index(["point_id", "ftype_id"])["population"]  # a merged group's people
    demand = population.reindex(pd.MultiIndex.from_frame(arcs[["point_id", "ftype_id"]])).to_numpy(float)
    arcs = pd.DataFrame({"customer": list(zip(arcs["point_id"], arcs["ftype_id"])), "site": arcs["site_id"],
                         "cost": 0.0, "demand": demand / PERSONS_PER_UNIT})
    add_assignment(m, "capacity", arcs, sites["capacity"].dropna() / PERSONS_PER_UNIT, m.facilities.open,
                   served=m.coverage.covered)
