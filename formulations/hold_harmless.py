"""Hold-harmless (non-redistribution): no region, or no region-domain, below its baseline (model.md 3).

=================================================  ==============================  ===============================
rule (T_r = Σ_d x_rd + cost_r(y), B_r = Σ_d b_rd + cost_r(e))  row (bounds per mode)           mode
=================================================  ==============================  ===============================
T_r ≥ B_r                                          ``region_total[region]``        ``region``: totals incl. facilities
T_r ≥ B_r and x_rd + cost_rd(y) ≥ b_rd + cost_rd(e) ``region_total``, ``domain_floor``  ``region-domain``: both rules
(1 − δ) B_r ≤ T_r ≤ (1 + γ) B_r                    ``region_total[region]``        ``corridor``
|T_r − B_r| ≤ cap · pop_r                          ``region_total[region]``        ``per-capita-cap`` (€/inhabitant)
(nothing)                                          —                               ``none``
=================================================  ==============================  ===============================

The modes that bound a region's total share one row per region, T_r, whose bounds say the mode
(:func:`region_total_bounds`); a warm model switches between them, or to ``none``, by changing those
bounds (:mod:`allocator.procedures.whatif`).

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

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from allocator.units import EUR_TO_MEUR
from formulations.outlays import outlays_by
from formulations.sparse import groups, linear, var_array
from allocator.policy import HoldHarmless


def add_hold_harmless(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """lower_r ≤ T_r ≤ upper_r per the mode (:func:`region_total_bounds`); region-domain: also x_rd + cost_rd ≥ floor_rd."""
    b = m.hold_harmless = pyo.Block()
    x = m.budget.spend
    domains = data.domains.index.tolist()
    outlays = outlays_by(m, ["region_id"], rows=_municipal)  # a programme year's openings and projects
    cost = m.facilities.cost_by_region

    def total(r):
        return linear([1.0] * len(domains), (x[r, d] for d in domains)) + cost[r] + outlays.get(r, 0.0)

    bounds = region_total_bounds(data)
    if bounds is not None:
        lower, upper = bounds
        b.region_total = pyo.Constraint(data.regions.index.tolist(), rule=lambda _, r: (
            bound_or_none(lower[r]), total(r), bound_or_none(upper[r])))
    floor = domain_floors(data)
    if floor is not None:
        fac = _cost_by_region_domain(m, data)
        out_rd = outlays_by(m, ["region_id", "domain_id"], rows=_municipal)
        b.domain_floor = pyo.Constraint(list(floor.index), rule=lambda _, r, d: x[r, d] + fac.get((r, d), 0.0)
                                        + out_rd.get((r, d), 0.0) >= float(floor[(r, d)]))


def region_total_bounds(data: InstanceData) -> tuple[pd.Series, pd.Series] | None:
    """(lower, upper) on each region's total T_r under the scenario's mode (NaN: no bound); None for ``none``."""
    mode, sc = data.scenario.hold_harmless, data.scenario
    base = baseline_totals(data)
    none = pd.Series(np.nan, index=base.index)
    if mode.floors_baseline:
        return base, none
    if mode == HoldHarmless.CORRIDOR:
        return (1 - sc.corridor_down) * base, (1 + sc.corridor_up) * base
    if mode == HoldHarmless.PER_CAPITA_CAP:
        cap = sc.per_capita_cap * EUR_TO_MEUR * data.regions["population"].reindex(base.index)
        return base - cap, base + cap
    return None


def domain_floors(data: InstanceData) -> pd.Series | None:
    """floor_rd = b_rd + cost_rd(e) under ``region-domain``; None under any other mode."""
    return baseline_domain_totals(data) if data.scenario.hold_harmless == HoldHarmless.REGION_DOMAIN else None


def bound_or_none(value: float) -> float | None:
    """A bound of :func:`region_total_bounds` as a row takes it: NaN (no bound) becomes None."""
    return None if value != value else float(value)


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
