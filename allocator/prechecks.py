"""Cheap diagnostics before (or after) a solve that explain impossible policy settings.

``unservable``: (region, type) pairs where even with every candidate site open
fewer people are within the norm than the minimum requires:
Σ_{i∈r, N_k(i)≠∅} pop_i < σ_k Σ_{i∈r} pop_i.  In hard mode any such pair makes
the model infeasible; in soft mode it is the shortfall no budget can remove.
"""

from __future__ import annotations

import pandas as pd

from allocator.data import InstanceData
from allocator.units import EUR_TO_MEUR
from allocator.policy import HoldHarmless


def unservable(data: InstanceData) -> pd.DataFrame:
    """Rows (region_id, ftype_id, population, reachable, required, missing) with missing > 0."""
    need = data.demand.set_index(["region_id", "ftype_id"])
    cov = data.coverable
    reachable = cov.groupby(["region_id", "ftype_id"])["population"].sum().reindex(need.index, fill_value=0.0)
    out = need.assign(reachable=reachable, missing=need["required"] - reachable)
    out = out[out["missing"] > 1e-6].reset_index()
    out.insert(1, "name", out["region_id"].map(data.regions["name"]))
    return out[["region_id", "name", "ftype_id", "population", "reachable", "required", "missing"]]


def unfundable_floors(data: InstanceData) -> list[str]:
    """Hold-harmless floors (plus forced new sites) that the money available cannot pay, per domain and in total.

    Per domain at most: its own streams + the de-earmarkable share θ·A of the others + all extra money.
    """
    sc = data.scenario
    if sc.hold_harmless == HoldHarmless.NONE:
        return []
    sites, st = data.sites, data.streams
    forced_new = sites[(sites["forced"] == 1) & ~sites["existing"]]
    existing_kept = sites[sites["existing"] & (sites["forced"] != 0)]
    floor_share = {HoldHarmless.REGION: 1.0, HoldHarmless.REGION_DOMAIN: 1.0, HoldHarmless.CORRIDOR: 1 - sc.corridor_down}.get(sc.hold_harmless)
    base = data.baseline.groupby(level="domain_id").sum()
    if sc.hold_harmless == HoldHarmless.PER_CAPITA_CAP:
        need_total = float(base.sum() + existing_kept["operating_cost"].sum()
                           - sc.per_capita_cap * EUR_TO_MEUR * data.regions["population"].sum())
    else:
        need_total = float(floor_share * (base.sum() + existing_kept["operating_cost"].sum()))
    need_total += float((forced_new["operating_cost"] + forced_new["opening_cost"]).sum())
    have_total = float(st["amount"].sum() + sc.extra_budget)
    out = []
    if need_total > have_total + 1e-6:
        out.append(f"hold-harmless ({sc.hold_harmless}) and forced sites need {need_total:,.2f} M€ but all streams and "
                   f"extra money give {have_total:,.2f} M€ (short by {need_total - have_total:,.2f} M€)")
    if sc.hold_harmless == HoldHarmless.REGION_DOMAIN:
        fac = (forced_new["operating_cost"] + forced_new["opening_cost"]).groupby(forced_new["domain_id"]).sum()
        kept = sites[sites["existing"]].groupby("domain_id")["operating_cost"].sum()  # B_rd counts every existing site
        need = base.add(fac, fill_value=0.0).add(kept, fill_value=0.0)
        own = st.groupby("domain_id")["amount"].sum()
        for d, n in need.items():
            inflow = float((st["theta"] * st["amount"])[st["domain_id"] != d].sum())
            have = float(own.get(d, 0.0)) + inflow + sc.extra_budget
            if n > have + 1e-6:
                out.append(f"domain '{d}': baseline floors and forced sites need {n:,.2f} M€, at most {have:,.2f} M€ "
                           "can reach it (own streams + de-earmarkable money + extra)")
    return out


def forced_closures_breaking_norms(data: InstanceData) -> pd.DataFrame:
    """Forced-closed sites that are the only site within the norm of some people (hard mode makes this fatal)."""
    closed = set(data.sites.index[data.sites["forced"] == 0])
    if not closed:
        return pd.DataFrame(columns=["site_id", "ftype_id", "point_id", "population"])
    reach = data.reach
    served = data.ftypes.index[data.ftypes["required_share"] > 0]
    reach = reach[reach["ftype_id"].isin(served)]
    n_sites = reach.groupby(["point_id", "ftype_id"])["site_id"].transform("size")
    only = reach[(n_sites == 1) & reach["site_id"].isin(closed)]
    return only.assign(population=only["point_id"].map(data.points["population"]))[["site_id", "ftype_id", "point_id", "population"]]
