"""Facility location for OR-Library benchmarks: the engine's site decisions and assignment block.

min Σ_j f_j y_j + Σ_ij c_ij x_ij
s.t. Σ_j x_ij = 1 (serve), x_ij ≤ y_j (link), Σ_i d_i x_ij ≤ s_j y_j (limit, capacitated),
     Σ_j y_j = p (p-median), Σ_j s_j y_j ≥ Σ_i d_i (valid inequality, capacitated), y binary, 0 ≤ x ≤ 1.

x_ij is the share of customer i's demand served by site j (multi-source), so
c_ij is the cost of serving all of i's demand at j, as OR-Library defines it.
The assignment rows are :func:`formulations.assignment.add_assignment`, the
block the allocation model uses for capacities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from formulations.assignment import add_assignment
from formulations.sparse import linear
from regio_instances.orlib import LocationProblem


def build_location_model(problem: LocationProblem) -> pyo.ConcreteModel:
    """The location model of ``problem`` (all customer-site arcs)."""
    m = pyo.ConcreteModel(name=f"location:{problem.name}")
    n_c, n_s = problem.cost.shape
    sites = problem.sites
    m.site = pyo.Set(initialize=sites, ordered=True)
    m.open = pyo.Var(m.site, domain=pyo.Binary)
    cust, column = np.divmod(np.arange(n_c * n_s), n_s)
    arcs = pd.DataFrame({"customer": cust, "site": np.asarray(sites)[column], "cost": problem.cost.ravel(),
                         "demand": problem.demand[cust]})
    capacity = pd.Series(problem.capacity, index=sites) if problem.capacity is not None else pd.Series(dtype=float)
    a = add_assignment(m, "assign", arcs, capacity, m.open)
    if problem.p is not None:
        m.cardinality = pyo.Constraint(expr=linear([1.0] * n_s, (m.open[j] for j in sites)) == problem.p)
    if problem.capacity is not None:
        m.enough_capacity = pyo.Constraint(expr=linear(problem.capacity, (m.open[j] for j in sites)) >= float(problem.demand.sum()))
    m.objective = pyo.Objective(expr=linear(problem.fixed_cost, (m.open[j] for j in sites)) + a.cost, sense=pyo.minimize)
    return m
