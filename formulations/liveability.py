"""Liveability: a demand point keeps its whole basic package only if every basic type covers it (model.md 6).

==================  ===========================  ==========================================
model.md            attribute                    meaning
==================  ===========================  ==========================================
h_i ∈ [0,1]         ``keeps_basic[point]``       point i keeps its whole basic package
h_i ≤ u_ik          ``requires[point,ftype]``    for every basic-package type k
==================  ===========================  ==========================================

Built only when the liveability value β > 0 (with β = 0, h has no effect) and
only for points that every basic type can reach; others cannot keep the
package and carry no variable.
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.data import InstanceData


def add_liveability(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """h_i ≤ u_ik for every basic-package type k."""
    b = m.liveability = pyo.Block()
    basic = data.basic_types
    b.point = pyo.Set(initialize=liveable_points(data), ordered=True)
    b.keeps_basic = pyo.Var(b.point, bounds=(0, 1))
    u = m.coverage.covered
    group = data.point_groups.set_index(["point_id", "ftype_id"])["group_id"].to_dict()
    b.requires = pyo.Constraint(b.point, basic, rule=lambda _, i, k: b.keeps_basic[i] - u[group[i, k], k] <= 0)


def liveable_points(data: InstanceData) -> list:
    """Points that every basic-package type can reach (empty when β = 0 or there are no basic types)."""
    basic = data.basic_types
    if data.scenario.liveability_value <= 0 or not basic:
        return []
    pairs = data.point_groups[data.point_groups["ftype_id"].isin(basic)]
    counts = pairs.groupby("point_id", sort=False).size()
    return counts.index[counts == len(basic)].tolist()
