"""Objective: maximise W − λ·Q (weighted mode), with Q in person-services or Q_max as a share.

max  W − λ' · measure,   λ' = λ · 10⁻⁶ · 1000 (M€ per thousand person-services) for Q = Σ q_rk,
                         λ' = λ · 10⁻⁶ · Σ_r pop_r for Q_max (a worst share of 1 % costs as 1 % of people short).

W and the shortfall measure are single columns, so every mode (lexicographic,
ε-constraint, extra budget) re-solves the built model by changing the cost and
bounds of those columns on the persistent solver (:mod:`allocator.solver.highs`).
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.units import EUR_TO_MEUR
from formulations.min_service import PERSONS_PER_UNIT, measure_var
from allocator.policy import ShortfallMeasure



def shortfall_cost(data: InstanceData) -> float:
    """λ' in M€ per unit of the shortfall measure."""
    lam = data.scenario.shortfall_price * EUR_TO_MEUR
    if data.scenario.shortfall_measure == ShortfallMeasure.WORST:
        return lam * float(data.points["population"].sum())
    return lam * PERSONS_PER_UNIT


def add_objective(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """max W − λ' · measure."""
    m.objective = pyo.Objective(expr=m.welfare.W - shortfall_cost(data) * measure_var(m, data.scenario), sense=pyo.maximize)
