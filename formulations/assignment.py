"""Assignment of customers to open sites (shared by the capacity option and OR-Library models).

share_ij ∈ [0,1] is the fraction of customer i's demand served at site j, only
for the given sparse arcs (i, j):

* ``serve[i]``:  Σ_j share_ij = served_i   (1, or a coverage variable u_ik)
* ``link[i,j]``: share_ij ≤ y_j            (strong formulation)
* ``limit[j]``:  Σ_i d_i share_ij ≤ cap_j y_j   (sites with a capacity)
* ``cost``:      Σ_ij c_ij share_ij        (an Expression)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from formulations.sparse import linear


def add_assignment(m: pyo.Block, name: str, arcs: pd.DataFrame, capacity: pd.Series, open_var,
                   served=None, link_var=None) -> pyo.Block:
    """Add block ``name`` with share_ij over ``arcs`` (columns customer, site, cost, demand d_i).

    ``link_var`` (default ``open_var``) bounds each share in ``link``; ``open_var`` multiplies the capacity.
    """
    link_var = open_var if link_var is None else link_var
    b = pyo.Block()
    m.add_component(name, b)
    customers = arcs["customer"].to_numpy()
    sites = arcs["site"].to_numpy()
    b.arc = pyo.Set(initialize=list(zip(customers, sites)), dimen=None, ordered=True)
    b.share = pyo.Var(b.arc, bounds=(0, 1))
    share = [b.share[a] for a in b.arc]
    by_customer = pd.Series(np.arange(len(arcs))).groupby(customers, sort=False).indices
    by_site = pd.Series(np.arange(len(arcs))).groupby(sites, sort=False).indices

    def serve(_, *i):
        i = i[0] if len(i) == 1 else tuple(i)
        rows = by_customer[i]
        total = linear([1.0] * len(rows), (share[r] for r in rows))
        return total == (1 if served is None else served[i])

    b.customer = pyo.Set(initialize=list(by_customer), dimen=None, ordered=True)
    b.serve = pyo.Constraint(b.customer, rule=serve)
    b.link = pyo.Constraint(b.arc, rule=lambda _, *a: b.share[a] - link_var[a[-1]] <= 0)
    capped = [j for j in by_site if j in capacity.index]
    d = arcs["demand"].to_numpy(float)

    def limit(_, j):
        rows = by_site[j]
        return linear(d[rows], (share[r] for r in rows)) - float(capacity[j]) * open_var[j] <= 0

    b.capped_site = pyo.Set(initialize=capped, ordered=True)
    b.limit = pyo.Constraint(b.capped_site, rule=limit)
    b.cost = pyo.Expression(expr=linear(arcs["cost"].to_numpy(), share))
    return b
