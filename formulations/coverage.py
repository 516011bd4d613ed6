"""Coverage: a demand point counts as covered for a type only if an open site is within the norm.

=============================  ====================  ======================================
model.md                       attribute             meaning
=============================  ====================  ======================================
u_ik ∈ [0,1]                   ``covered[point,ftype]``  point i covered for type k
u_ik ≤ Σ_{j∈N_k(i)} y_j        ``reach[point,ftype]``    constraint 4, over the sparse N_k(i)
=============================  ====================  ======================================

Sites of a capacity group (co-located, same reach) enter as their group's count Σ_{j∈G} y_j, one
column instead of every member (the same sum).

Only pairs with a non-empty N_k(i) get a variable: a point no site can reach is
uncovered by construction, and its people show up in the shortfall.  Points of a
region with the same N_k(i) share one variable (``data.point_groups``).
"""

from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.facilities import open_columns
from formulations.sparse import groups, linear, var_array


def add_coverage(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """u_ik ≤ Σ_{j ∈ N_k(i)} y_j for every (i, k) with a site in reach."""
    b = m.coverage = pyo.Block()
    cov, reach = data.coverable, data.model_reach
    pairs = list(zip(cov["point_id"].tolist(), cov["ftype_id"].tolist()))
    b.pair = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    b.covered = pyo.Var(b.pair, bounds=(0, 1))
    u = var_array(b.covered, pairs)
    keys, columns = open_columns(m, data, reach["site_id"].to_numpy(dtype=object))
    first = ~pd.DataFrame({"pair": data.model_reach_pair, "key": keys}).duplicated().to_numpy()
    y = columns[first]
    arcs = groups(data.model_reach_pair[first])

    def row(_, i, k):
        n = b.pair.ord((i, k)) - 1
        sites = y[arcs[n]]
        return (None, linear([1.0] + [-1.0] * len(sites), [u[n], *sites]), 0.0)

    b.reach = pyo.Constraint(b.pair, rule=row)
