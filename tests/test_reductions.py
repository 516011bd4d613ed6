"""Reductions before the build are exact: the same optimum with and without each, and they do reduce.

* merge points: points of one region with the same reach set per type share one coverage variable
  (all types at once when the liveability value is positive).
"""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.modes import build, solve
from allocator.scenario import Scenario
from tests.conftest import tiny_tables
from tests.helpers import instance


def _solve(inst, **scenario):
    data = InstanceData.prepare(inst, Scenario(solver={"mip_gap": 1e-9, "threads": 1}, **scenario))
    run = solve(build(data), indicators=False)
    assert run.report.status.value == "optimal"
    run.check.raise_if_failed()
    return data, run


def _twin_tables() -> dict:
    """Tiny, plus b3: a second place in region B at b1's spot (same reach) and a3 in A at b1's spot."""
    t = tiny_tables()
    extra = pd.DataFrame([{"point_id": "b3", "region_id": "B", "name": "", "population": 500, "lat": 52.1, "lon": 5.2},
                          {"point_id": "a3", "region_id": "A", "name": "", "population": 300, "lat": 52.1, "lon": 5.2}])
    t["demand_points"] = pd.concat([t["demand_points"], extra], ignore_index=True)
    t["regions"].loc[0, "population"] += 300
    t["regions"].loc[1, "population"] += 500
    return t


def test_points_with_the_same_reach_in_one_region_share_a_group():
    data = InstanceData.prepare(instance(_twin_tables()), Scenario())
    g = data.point_groups.set_index(["point_id", "ftype_id"])["group_id"]
    assert g[("b3", "gp")] == g[("b1", "gp")] == "b1", "same region, same reach: merged"
    assert g[("a3", "gp")] == "a3", "same reach, other region: kept apart (shortfall is per region)"
    cov = data.coverable.set_index(["point_id", "ftype_id"])
    assert cov.loc[("b1", "gp"), "population"] == 2500 and cov.loc[("b1", "gp"), "members"] == 2
    off = InstanceData.prepare(instance(_twin_tables()), Scenario(merge_points=False))
    assert (off.point_groups["group_id"] == off.point_groups["point_id"]).all()


@pytest.mark.parametrize("scenario", [
    {},
    {"use_capacity": True},
    {"liveability_value": 500.0, "use_capacity": True},
    {"hold_harmless": "region", "shortfall_price": 8000.0},
])
@pytest.mark.parametrize("name", ["gen:S:0", "gen:S:1"])
def test_merging_points_keeps_the_optimum(name, scenario):
    inst = load_instance(name)
    merged_data, merged = _solve(inst, **scenario)
    plain_data, plain = _solve(inst, merge_points=False, **scenario)
    assert len(merged_data.coverable) < len(plain_data.coverable), "the reduction must reduce something here"
    assert merged.report.columns < plain.report.columns
    assert merged.solution.objective == pytest.approx(plain.solution.objective, rel=1e-7, abs=1e-6)
    # the merged solution, expanded to every point, is re-checked on the instance's own points
    assert set(merged.solution.coverage["point_id"]) == set(plain.solution.coverage["point_id"])


def test_merged_twins_get_their_groups_coverage_and_capacity_split():
    t = _twin_tables()
    t["sites"]["capacity"] = [5000, 5000]
    data, run = _solve(instance(t), use_capacity=True)
    cov = run.solution.coverage.set_index(["point_id", "ftype_id"])["covered"]
    assert cov[("b3", "gp")] == pytest.approx(cov[("b1", "gp")])
    a = run.solution.assignment.set_index(["point_id", "site_id"])["share"]
    assert a[("b3", "gpB")] == pytest.approx(a[("b1", "gpB")])
