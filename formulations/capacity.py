"""Optional capacity: people are assigned to open sites within reach and within capacity (model.md 7).

=================================  =========================  ==========================================
model.md                           attribute                  meaning
=================================  =========================  ==========================================
a_iG = pop_i · share_iG            ``share[point,group]``     fraction of point i served at site group G
Σ_G a_iG = pop_i u_ik              ``serve[point,ftype]``     Σ_{G ∈ N_k(i)} share_iG = u_ik
Σ_i a_iG ≤ Σ_{j∈G} cap_j y_j       ``limit[group]``           Σ_i pop_i share_iG ≤ Σ_{j∈G} cap_j y_j
(valid tightening)                 ``link[point,group]``      share_iG ≤ Σ_{j∈G} y_j
=================================  =========================  ==========================================

G is a group of capacitated sites of one type with the same reach set (``InstanceData.capacity_groups``;
mostly one site, a town's schools at its centre together): exact, as the group's share splits over its
open members in proportion to capacity, which is how the results report it per site.
Demand and capacity enter in thousands of persons (numerical scaling).
Built only with ``use_capacity = true`` and only for types with at least one
capacitated site; sites with an empty capacity are unlimited.  The same
assignment block serves the OR-Library warehouse and p-median models
(:mod:`formulations.location`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.assignment import add_assignment
from formulations.facilities import open_columns
from formulations.min_service import PERSONS_PER_UNIT
from formulations.sparse import groups, linear, var_array


def add_capacity(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Σ_j share_ij = u_ik, Σ_i pop_i share_ij ≤ cap_j y_j, share_ij ≤ y_j, for capacitated types."""
    if not data.scenario.use_capacity:
        return
    sites = data.sites
    capped_types = set(sites.loc[sites["capacity"].notna(), "ftype_id"])
    arcs = data.model_reach[data.model_reach["ftype_id"].isin(capped_types)]
    if arcs.empty:
        return
    group = data.capacity_groups
    arcs = arcs.assign(group=arcs["site_id"].map(group).fillna(arcs["site_id"]))
    arcs = arcs.drop_duplicates(["point_id", "ftype_id", "group"])
    population = data.coverable.set_index(["point_id", "ftype_id"])["population"]  # a merged group's people
    demand = population.reindex(pd.MultiIndex.from_frame(arcs[["point_id", "ftype_id"]])).to_numpy(float)
    arcs = pd.DataFrame({"customer": list(zip(arcs["point_id"], arcs["ftype_id"])), "site": arcs["group"],
                         "cost": 0.0, "demand": demand / PERSONS_PER_UNIT})
    used = pd.unique(arcs["site"])
    # each used group's member sites (a site outside every group is its own group), as positions in ``sites``
    member_of = pd.Series(group.to_numpy(), index=group.index).reindex(sites.index)
    member_of = member_of.where(member_of.notna(), pd.Series(sites.index, index=sites.index))
    wanted = member_of.isin(used).to_numpy()
    rows = groups(member_of.to_numpy(dtype=object)[wanted])
    position = np.flatnonzero(wanted)
    y = var_array(m.facilities.open, sites.index.tolist())
    cap = (sites["capacity"] / PERSONS_PER_UNIT).to_numpy(float)
    grouped = set(group.to_numpy())
    capped = [g for g in used if g in grouped]
    m.capacity_open = pyo.Expression(capped, initialize={g: linear(cap[position[rows[g]]], y[position[rows[g]]])
                                                         for g in capped})
    _, columns = open_columns(m, data, list(used))
    link = dict(zip(used, columns))  # a group's count Σ_{j∈G} y_j, or a lone site's y_j
    add_assignment(m, "capacity", arcs, pd.Series(1.0, index=capped), m.capacity_open, served=m.coverage.covered,
                   link_var=link)
