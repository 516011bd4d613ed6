"""Facilities: keep, open or close each site (model.md decisions y_j, constraint 8).

=====================  ==========================  ==========================================
model.md               attribute                   meaning
=====================  ==========================  ==========================================
y_j ∈ {0,1}            ``open[site]``              site open in the plan
c_j y_j + o_j(1-e_j)y_j ``cost_by_account[pool,d]`` what open sites cost their payer's account in their domain
(same, per region)     ``cost_by_region[region]``  what the municipal account's open sites cost, by region
Σ_{j∈G} y_j            ``group_open[group]``       open sites of a capacity group (co-located, same reach)
last site rule         ``keep_last[region,ftype]`` Σ_{j∈J_rk} y_j ≥ 1 where the region has a site of k
max closures           ``max_closures``            Σ_{j: e_j=1} (1 − y_j) ≤ M
forced sites           bounds of ``open``          forced open: y_j = 1; forced closed: y_j = 0
=====================  ==========================  ==========================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from formulations.sparse import grouped_sum, linear


def add_facilities(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """y_j ∈ {0,1}; cost_pd = Σ_{j: p(k(j))=p, d(k(j))=d} (c_j + o_j (1 − e_j)) y_j; policy limits of model.md 8."""
    sites = data.sites
    sc = data.scenario
    b = m.facilities = pyo.Block()
    b.site = pyo.Set(initialize=sites.index.tolist(), ordered=True)

    forced = sites["forced"].to_dict()

    def bounds(_, j):
        f = forced[j]
        return (0, 1) if f != f else (f, f)

    b.open = pyo.Var(b.site, domain=pyo.Binary, bounds=bounds)
    domains, regions = data.domains.index.tolist(), data.regions.index.tolist()
    accounts = [(p, d) for p in data.pools for d in domains]
    keyed = sites.assign(account=(sites["pool"].astype(str) + "\x1f" + sites["domain_id"].astype(str)).to_numpy())
    by_key = grouped_sum(keyed, "account", "unit_cost", b.open, [f"{p}\x1f{d}" for p, d in accounts])
    b.cost_by_account = pyo.Expression(accounts, initialize={(p, d): by_key[f"{p}\x1f{d}"] for p, d in accounts})
    held = sites[sites["pool"] == PROGRAMME_PAYER]  # the sites hold-harmless counts (see formulations.hold_harmless)
    b.cost_by_region = pyo.Expression(regions, initialize=grouped_sum(held, "region_id", "unit_cost", b.open, regions))

    multi = data.capacity_groups[data.capacity_groups.duplicated(keep=False)]
    members = {g: list(ix) for g, ix in multi.groupby(multi.to_numpy()).groups.items()}
    b.group = pyo.Set(initialize=sorted(members), ordered=True)
    b.group_open = pyo.Var(b.group, bounds=(0, None))
    b.group_count = pyo.Constraint(b.group, rule=lambda _, g: b.group_open[g] - linear(
        [1.0] * len(members[g]), (b.open[j] for j in members[g])) == 0)

    if sc.keep_last_site:
        has_existing = sites[sites["existing"]].groupby(["region_id", "ftype_id"]).size().index
        members = sites.groupby(["region_id", "ftype_id"]).groups
        b.keep_last = pyo.Constraint(
            list(has_existing), rule=lambda _, r, k: sum(b.open[j] for j in members[(r, k)]) >= 1)
    if sc.max_closures is not None:
        existing = sites.index[sites["existing"]].tolist()
        b.max_closures = pyo.Constraint(expr=sum(1 - b.open[j] for j in existing) <= sc.max_closures)


def open_columns(m: pyo.ConcreteModel, data: InstanceData, site_ids) -> tuple[np.ndarray, np.ndarray]:
    """(keys, variables) standing for the sites ``site_ids``: a site of a multi-site capacity group is
    replaced by its group's ``group_open``, any other by its own ``open`` variable."""
    b = m.facilities
    grouped = set(b.group)
    ids = np.asarray(site_ids, dtype=object)
    group = pd.Series(ids, dtype=object).map(data.capacity_groups[data.capacity_groups.isin(grouped)])
    keys = np.where(group.isna().to_numpy(), ids, group.to_numpy(dtype=object))
    codes, uniques = pd.factorize(keys)  # many arcs share a site: each variable is looked up once
    columns = np.array([b.group_open[k] if k in grouped else b.open[k] for k in uniques], dtype=object)
    return keys, columns[codes]
