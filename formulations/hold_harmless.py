"""Hold-harmless (non-redistribution): no region, or no region-domain, below its baseline (model.md 3).

=================================================  ============================  ==================================
rule (T_r = Σ_d x_rd + cost_r(y), B_r = Σ_d b_rd + cost_r(e))  attribute                     mode
=================================================  ============================  ==================================
T_r ≥ B_r                                          ``region_floor[region]``      ``region``: totals incl. facilities
T_r ≥ B_r and x_rd + cost_rd(y) ≥ b_rd + cost_rd(e) ``region_floor``, ``domain_floor``  ``region-domain``: both rules
(1 − δ) B_r ≤ T_r ≤ (1 + γ) B_r                    ``corridor[region]``          ``corridor``
|T_r − B_r| ≤ cap · pop_r                          ``per_capita[region]``        ``per-capita-cap`` (€/inhabitant)
(nothing)                                          —                             ``none``
=================================================  ============================  ==================================

cost_r(y) = Σ_{j in r, p(j) ∈ M} (c_j + o_j (1 − e_j)) y_j is what the plan
spends on the region's sites paid from the municipal account M (the
municipality and any payer the scenario pools with it); cost_r(e) =
Σ_{j in r, p(j) ∈ M, e_j = 1} c_j the status quo's; cost_rd the same over the
sites in r whose type domain d pays.  "No region worse off" always counts the
facility money of that account: closing a region's library (or, pooled, its
hospital) and paying the saving out as programme money elsewhere breaks both
rules for that region, and moving a region's programme money into its own new
library breaks neither.  Another payer's sites (the insurers' emergency
departments, the ministry's schools) are not the municipality's money: their
payer's own balance governs them (formulations.budget), and counting them
would let an insurer's new hospital in a town "pay" for cutting that town's
municipal programmes.
The per-capita cap follows the Dutch gemeentefonds practice of limiting a
municipality's yearly gain or loss per inhabitant (advice: €60).
"""

from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from allocator.units import EUR_TO_MEUR
from formulations.outlays import outlays_by
from formulations.sparse import groups, linear, var_array
from allocator.policy import HoldHarmless


def add_hold_harmless(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Per mode: region totals ≥ baseline totals, or x_rd ≥ b_rd, or nothing."""
    b = m.hold_harmless = pyo.Block()
    mode = data.scenario.hold_harmless
    x = m.budget.spend
    domains = data.domains.index.tolist()
    sc = data.scenario
    regions = data.regions.index.tolist()
    base_total = baseline_totals(data)
    cost = m.facilities.cost_by_region
    outlays = outlays_by(m, ["region_id"], rows=_municipal)  # a programme year's openings and projects

    def total(r):
        return linear([1.0] * len(domains), (x[r, d] for d in domains)) + cost[r] + outlays.get(r, 0.0)

    if mode.floors_baseline:
        b.region_floor = pyo.Constraint(regions, rule=lambda _, r: total(r) >= float(base_total[r]))
    elif mode == HoldHarmless.CORRIDOR:
        b.corridor = pyo.Constraint(regions, rule=lambda _, r: pyo.inequality(
            (1 - sc.corridor_down) * float(base_total[r]), total(r), (1 + sc.corridor_up) * float(base_total[r])))
    elif mode == HoldHarmless.PER_CAPITA_CAP:
        cap = (sc.per_capita_cap * EUR_TO_MEUR * data.regions["population"]).to_dict()
        b.per_capita = pyo.Constraint(regions, rule=lambda _, r: pyo.inequality(
            float(base_total[r]) - cap[r], total(r), float(base_total[r]) + cap[r]))
    if mode == HoldHarmless.REGION_DOMAIN:
        floor = baseline_domain_totals(data)
        fac = _cost_by_region_domain(m, data)
        out_rd = outlays_by(m, ["region_id", "domain_id"], rows=_municipal)
        b.domain_floor = pyo.Constraint(list(floor.index), rule=lambda _, r, d: x[r, d] + fac.get((r, d), 0.0)
                                        + out_rd.get((r, d), 0.0) >= float(floor[(r, d)]))


def _municipal(terms):
    """The outlay terms paid from the municipal account (formulations.outlays)."""
    return terms["pool"] == PROGRAMME_PAYER


def _cost_by_region_domain(m: pyo.ConcreteModel, data: InstanceData) -> dict:
    """{(r, d): Σ_{j in r, d(k(j)) = d} (c_j + o_j (1 − e_j)) y_j} over the pairs that have sites."""
    sites = data.sites[data.sites["pool"] == PROGRAMME_PAYER]
    y = var_array(m.facilities.open, sites.index.tolist())
    codes, pairs = pd.factorize(pd.MultiIndex.from_frame(sites[["region_id", "domain_id"]]))
    cost = sites["unit_cost"].to_numpy(float)
    return {pairs[g]: linear(cost[rows], y[rows]) for g, rows in groups(codes).items()}


def baseline_domain_totals(data: InstanceData) -> pd.Series:
    """b_rd + cost_rd(e): baseline programme spending plus the existing municipal-account sites of d in region r."""
    sites = data.sites[data.sites["existing"] & (data.sites["pool"] == PROGRAMME_PAYER)]
    sq = sites.groupby(["region_id", "domain_id"])["operating_cost"].sum()
    sq.index = sq.index.set_names(data.baseline.index.names)
    return data.baseline.add(sq, fill_value=0.0)


def baseline_totals(data: InstanceData):
    """B_r: baseline programme spending plus the operating cost of the region's existing municipal-account sites."""
    base = data.baseline.groupby(level="region_id").sum()
    sites = data.sites[data.sites["pool"] == PROGRAMME_PAYER]
    sq = sites[sites["existing"]].groupby("region_id")["operating_cost"].sum()
    return base.add(sq, fill_value=0.0).reindex(data.regions.index, fill_value=0.0)
