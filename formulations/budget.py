"""Budget: streams, de-earmarking, extra money and the domain balance (model.md constraints 1-2).

=====================================  ============================  ===========================================
model.md                               attribute                     meaning
=====================================  ============================  ===========================================
g_sd ≥ 0                               ``flow[stream,domain]``       money of stream s spent in domain d
x_rd ≥ 0                               ``spend[region,domain]``      programme spending per region and domain
E_pd ≥ 0                               ``extra[pool,domain]``        extra money per payer account and domain
Σ_d g_sd ≤ A_s                         ``stream_limit[stream]``      a stream is spent at most once
Σ_{d≠d(s)} g_sd ≤ θ_s A_s              ``deearmark[stream]``         at most θ_s of it outside its own domain
[p=M] Σ_r x_rd + cost_pd               ``domain_balance[pool,d]``    what a payer spends in a domain, its
  ≤ Σ_{s: p(s)=p} g_sd + E_pd                                          own streams (and extra money) must pay
Σ_pd E_pd ≤ E_max                      ``extra_limit``               extra money is capped
Σ_{r∉T} (x_rd + cost_prd)             ``extra_eligibility[pool,d]`` extra money only reaches eligible regions T
  + Σ_{r∈T} (b_rd + cost⁰_prd) ≤ Σ_{s∈p} g_sd                          (per payer account; x, b for M only)
=====================================  ============================  ===========================================

Payers (model.md): every stream and facility type has a payer p; the regions'
programmes x_rd are the municipality's (M).  Each payer balances its own
account per domain, so the money an emergency department's closure saves
stays with the health insurers and can only pay for their other sites; a
scenario's ``pooled_payers`` merges a payer's account into M's (ontschotting).
Extra money may reach any account: the state tops up insurers and schools as
well (e.g. the availability contribution that keeps needed emergency
departments open).  With one payer this is the domain balance of model.md 2.

Every stream has a flow variable to every domain, so θ can change on the
built model (the de-earmarking row's right-hand side) without a rebuild.
Eligibility is additionality: money is fungible, so "ineligible regions are
paid from the streams" alone would let extra money for T free T's regular
money for others.  The row therefore requires the streams to pay for the
ineligible regions' plan *and* the eligible regions' status quo (cost⁰: their
existing sites); extra money can only add on top of that, in T.
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from formulations.outlays import outlays_by
from formulations.sparse import linear


def add_budget(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Σ_d g_sd ≤ A_s; Σ_{d≠d(s)} g_sd ≤ θ_s A_s; [p=M] Σ_r x_rd + cost_pd ≤ Σ_{s∈p} g_sd + E_pd; Σ E_pd ≤ E_max."""
    b = m.budget = pyo.Block()
    streams, regions = data.streams, data.regions.index.tolist()
    domains = data.domains.index.tolist()
    b.stream = pyo.Set(initialize=streams.index.tolist(), ordered=True)
    b.domain = pyo.Set(initialize=domains, ordered=True)
    b.region = pyo.Set(initialize=regions, ordered=True)
    b.flow = pyo.Var(b.stream, b.domain, bounds=(0, None))
    b.spend = pyo.Var(b.region, b.domain, bounds=(0, None))
    accounts = [(p, d) for p in data.pools for d in domains]
    b.account = pyo.Set(initialize=accounts, dimen=2, ordered=True)
    b.extra = pyo.Var(b.account, bounds=(0, None))
    amount, own, theta = streams["amount"].to_dict(), streams["domain_id"].to_dict(), streams["theta"].to_dict()

    b.stream_limit = pyo.Constraint(b.stream, rule=lambda _, s: linear([1.0] * len(domains), (b.flow[s, d] for d in domains)) <= amount[s])
    b.deearmark = pyo.Constraint(b.stream, rule=lambda _, s: linear(
        [1.0] * (len(domains) - 1), (b.flow[s, d] for d in domains if d != own[s])) <= theta[s] * amount[s])
    cost = m.facilities.cost_by_account
    outlays = outlays_by(m, ["pool", "domain_id"])  # a programme year's openings and projects (formulations.outlays)
    members = {p: streams.index[streams["pool"] == p].tolist() for p in data.pools}

    def balance(_, p, d):
        spend = linear([1.0] * len(regions), (b.spend[r, d] for r in regions)) if p == PROGRAMME_PAYER else 0.0
        income = linear([1.0] * len(members[p]), (b.flow[s, d] for s in members[p]))
        return spend + cost[p, d] + outlays.get((p, d), 0.0) - income - b.extra[p, d] <= 0

    b.domain_balance = pyo.Constraint(b.account, rule=balance)
    b.extra_limit = pyo.Constraint(expr=linear([1.0] * len(accounts), (b.extra[a] for a in accounts)) <= data.scenario.extra_budget)

    if data.scenario.extra_eligible_tags:
        ineligible = data.regions.index[~data.regions["eligible"]].tolist()
        sites = data.sites[data.sites["region_id"].isin(ineligible)]
        unit = sites["unit_cost"]
        y = m.facilities.open
        out_ineligible = outlays_by(m, ["pool", "domain_id"], rows=lambda t: t["region_id"].isin(ineligible))

        eligible = data.regions.index[data.regions["eligible"]]
        base = data.baseline[data.baseline.index.get_level_values("region_id").isin(eligible)].groupby(level="domain_id").sum()
        sq = data.sites[data.sites["existing"] & data.sites["region_id"].isin(eligible)]
        base_t = sq.groupby(["pool", "domain_id"])["operating_cost"].sum().to_dict()
        for d, v in base.items():
            base_t[(PROGRAMME_PAYER, d)] = base_t.get((PROGRAMME_PAYER, d), 0.0) + float(v)

        def eligibility(_, p, d):
            own_sites = sites.index[(sites["domain_id"] == d) & (sites["pool"] == p)]
            spend = linear([1.0] * len(ineligible), (b.spend[r, d] for r in ineligible)) if p == PROGRAMME_PAYER else 0.0
            fac = linear(unit[own_sites].to_numpy(), (y[j] for j in own_sites))
            income = linear([1.0] * len(members[p]), (b.flow[s, d] for s in members[p]))
            return spend + fac + out_ineligible.get((p, d), 0.0) - income <= -float(base_t.get((p, d), 0.0))

        b.extra_eligibility = pyo.Constraint(b.account, rule=eligibility)
