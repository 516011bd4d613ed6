"""Hold-harmless (non-redistribution): no region, or no region-domain, below its baseline (model.md 3).

==============================================  ==========================  ===================================
model.md                                        attribute                   mode
==============================================  ==========================  ===================================
Σ_d x_rd + cost_r(y) ≥ Σ_d b_rd + cost_r(e)     ``region_floor[region]``    ``region``: totals incl. facilities
x_rd ≥ b_rd                                     ``domain_floor[region,dom]`` ``region-domain``
(nothing)                                       —                           ``none``
==============================================  ==========================  ===================================

cost_r(y) = Σ_{j in r} (c_j + o_j (1 − e_j)) y_j is what the plan spends on
sites in the region; cost_r(e) = Σ_{j in r, e_j = 1} c_j the status quo's.
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.sparse import linear


def add_hold_harmless(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Per mode: region totals ≥ baseline totals, or x_rd ≥ b_rd, or nothing."""
    b = m.hold_harmless = pyo.Block()
    mode = data.scenario.hold_harmless
    x = m.budget.spend
    domains = data.domains.index.tolist()
    if mode == "region":
        base = data.baseline.groupby(level="region_id").sum()
        sites = data.sites
        sq_sites = sites[sites["existing"]].groupby("region_id")["operating_cost"].sum()
        floor = base.add(sq_sites, fill_value=0.0)
        cost = m.facilities.cost_by_region

        def region_floor(_, r):
            total = linear([1.0] * len(domains), (x[r, d] for d in domains))
            return total + cost[r] >= float(floor[r])

        b.region_floor = pyo.Constraint(data.regions.index.tolist(), rule=region_floor)
    elif mode == "region-domain":
        base = data.baseline.to_dict()
        b.domain_floor = pyo.Constraint(list(base), rule=lambda _, r, d: x[r, d] >= base[(r, d)])
