"""Minimum service (rechtvaardigheidsminimum): shortfall below σ_k of each region's people (model.md 5).

=====================================================  ========================  ====================================
model.md                                               attribute                 meaning
=====================================================  ========================  ====================================
q_rk = pop_rk · s_rk ≥ 0                               ``shortfall[region,ftype]``  s_rk: share of the region short
Σ_{i∈r} pop_i u_ik + q_rk ≥ σ_k Σ_{i∈r} pop_i          ``minimum[region,ftype]``    constraint 5, divided by pop_rk:
                                                                                 Σ (pop_i/pop_rk) u_ik + s_rk ≥ σ_k
Q = Σ_{r,k} q_rk                                       ``Q``, ``total``            total shortfall, thousands of person-services
Q_max ≥ q_rk / pop_r                                   ``Q_max``, ``worst``        Q_max ≥ s_rk (worst share; rows
                                                                                 only when the objective uses it)
=====================================================  ========================  ====================================

Scaling (numerical safety): dividing each minimum row by its population and
counting Q in thousands of person-services keeps every coefficient of this block between about
10⁻³ and 10³, whatever the populations (raw persons put 10⁻⁶ and 10⁶ in the
same matrix).  Results are reported in person-services (:data:`PERSONS_PER_UNIT`; a person
short of two facility types counts twice).

Hard mode fixes q = 0 (upper bound 0); when that is infeasible the engine
explains which regions and types cannot be served.  :func:`measure_var` gives
the variable the objective uses: ``Q`` (person-services) or ``Q_max`` (share).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.sparse import linear
from allocator.policy import MinService, ShortfallMeasure


PERSONS_PER_UNIT = 1000.0  # Q is counted in thousands of persons inside the model


def measure_scale(scenario) -> float:
    """Reported units per model unit of the measure: persons per unit of Q, or 1 for the share Q_max."""
    return PERSONS_PER_UNIT if scenario.shortfall_measure == ShortfallMeasure.TOTAL else 1.0


def add_min_service(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Σ_{i∈r} (pop_i/pop_rk) u_ik + s_rk ≥ σ_k;  Q = Σ pop_rk s_rk / 1000;  Q_max ≥ s_rk."""
    b = m.min_service = pyo.Block()
    demand = data.demand
    keys = list(zip(demand["region_id"], demand["ftype_id"]))
    hard = data.scenario.min_service == MinService.HARD
    b.pair = pyo.Set(initialize=keys, dimen=2, ordered=True)
    b.shortfall = pyo.Var(b.pair, bounds=(0, 0 if hard else 1))
    cov = data.coverable
    u = m.coverage.covered
    groups = cov.groupby(["region_id", "ftype_id"], sort=False).indices
    pts, pops = cov["point_id"].to_numpy(), cov["population"].to_numpy(float)
    required = dict(zip(keys, demand["required"].to_numpy(float)))
    population = dict(zip(keys, demand["population"].to_numpy(float)))
    empty = np.array([], dtype=np.int64)

    def minimum(_, r, k):
        rows = groups.get((r, k), empty)
        served = linear(pops[rows] / population[(r, k)], (u[pts[i], k] for i in rows))
        return served + b.shortfall[r, k] >= required[(r, k)] / population[(r, k)]

    b.minimum = pyo.Constraint(b.pair, rule=minimum)
    b.Q = pyo.Var(bounds=(0, None))
    b.total = pyo.Constraint(expr=b.Q - linear([population[p] / PERSONS_PER_UNIT for p in keys],
                                                (b.shortfall[p] for p in keys)) == 0)
    b.Q_max = pyo.Var(bounds=(0, None))
    if data.scenario.shortfall_measure == ShortfallMeasure.WORST:  # only then does Q_max enter the objective
        b.worst = pyo.Constraint(b.pair, rule=lambda _, r, k: b.Q_max - b.shortfall[r, k] >= 0)


def measure_var(m: pyo.ConcreteModel, scenario) -> pyo.Var:
    """The shortfall column the objective uses: ``Q`` (person-services) or ``Q_max`` (worst share)."""
    return m.min_service.Q if scenario.shortfall_measure == ShortfallMeasure.TOTAL else m.min_service.Q_max
