"""Coverage: a demand point counts as covered for a type only if an open site is within the norm.

=============================  ====================  ======================================
model.md                       attribute             meaning
=============================  ====================  ======================================
u_ik ∈ [0,1]                   ``covered[point,ftype]``  point i covered for type k
u_ik ≤ Σ_{j∈N_k(i)} y_j        ``reach[point,ftype]``    constraint 4, over the sparse N_k(i)
=============================  ====================  ======================================

Only pairs with a non-empty N_k(i) get a variable: a point no site can reach is
uncovered by construction, and its people show up in the shortfall.
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.sparse import linear


def add_coverage(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """u_ik ≤ Σ_{j ∈ N_k(i)} y_j for every (i, k) with a site in reach."""
    b = m.coverage = pyo.Block()
    pairs = list(zip(data.coverable["point_id"], data.coverable["ftype_id"]))
    b.pair = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    b.covered = pyo.Var(b.pair, bounds=(0, 1))
    groups = data.reach.groupby(["point_id", "ftype_id"], sort=False)["site_id"].apply(list).to_dict()
    y = m.facilities.open

    def reach(_, i, k):
        sites = groups[(i, k)]
        return b.covered[i, k] - linear([1.0] * len(sites), (y[j] for j in sites)) <= 0

    b.reach = pyo.Constraint(b.pair, rule=reach)
