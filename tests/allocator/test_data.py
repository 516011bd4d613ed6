"""Reductions before the build are exact: the same optimum with and without each, and they do reduce.

* merge points: points of one region with the same reach set per type share one coverage variable
  (all types at once when the liveability value is positive).
* drop dominated candidates.
* pool co-located capacity: capacitated sites of one type with the same reach serve as one group.
"""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
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


def _dominance_tables() -> dict:
    """Tiny, with three more candidates in B: gpB2 at gpB's spot for 0.6 (same reach, dearer: dominated by gpB),
    gpB3 there for 0.4 (cheaper: dominates gpB), and gpA2 in A at gpA's spot, forced open by the scenario."""
    t = tiny_tables()
    more = pd.DataFrame([
        {"site_id": "gpB2", "ftype_id": "gp", "region_id": "B", "name": "", "lat": 52.1, "lon": 5.2, "existing": False,
         "operating_cost": 0.4, "opening_cost": 0.2, "capacity": ""},
        {"site_id": "gpB3", "ftype_id": "gp", "region_id": "B", "name": "", "lat": 52.1, "lon": 5.2, "existing": False,
         "operating_cost": 0.3, "opening_cost": 0.1, "capacity": ""},
        {"site_id": "gpA2", "ftype_id": "gp", "region_id": "A", "name": "", "lat": 52.0, "lon": 5.0, "existing": False,
         "operating_cost": 0.9, "opening_cost": 0.2, "capacity": ""}])
    t["sites"] = pd.concat([t["sites"], more], ignore_index=True)
    return t


def test_dominated_candidates_are_closed_and_others_kept():
    data = InstanceData.prepare(instance(_dominance_tables()), Scenario(force_open=["gpA2"]))
    dominated = set(data.sites.index[data.sites["dominated"]])
    # gpB (0.7) and gpB2 (0.6) are dominated by gpB3 (0.4); gpA2 is forced open; gpA exists
    assert dominated == {"gpB", "gpB2"}
    assert (data.sites.loc[list(dominated), "forced"] == 0).all()
    off = InstanceData.prepare(instance(_dominance_tables()), Scenario(drop_dominated_sites=False))
    assert not off.sites["dominated"].any()
    capped = _dominance_tables()
    capped["sites"]["capacity"] = 3000
    with_capacity = InstanceData.prepare(instance(capped), Scenario(use_capacity=True))
    assert not with_capacity.sites["dominated"].any(), "a second site adds capacity: not dominated"


@pytest.mark.parametrize("scenario", [{"shortfall_price": 4000.0}, {"hold_harmless": "region", "shortfall_price": 8000.0},
                                      {"use_capacity": True}])
@pytest.mark.parametrize("name", ["gen:S:0", "gen:S:1", "gen:S:2",
                                  pytest.param("gen:M:0", marks=pytest.mark.slow)])  # M: 1-2 min per solve at gap 1e-9
def test_dropping_dominated_candidates_keeps_the_optimum(name, scenario):
    inst = load_instance(name)
    reduced_data, reduced = _solve(inst, **scenario)
    full_data, full = _solve(inst, drop_dominated_sites=False, **scenario)
    if not scenario.get("use_capacity"):
        assert reduced_data.sites["dominated"].sum() > 0, "the reduction must drop something here"
    assert reduced.solution.objective == pytest.approx(full.solution.objective, rel=1e-7, abs=1e-6)


def test_dominance_on_the_tiny_case_keeps_the_optimum():
    _, reduced = _solve(instance(_dominance_tables()), shortfall_price=5000.0)
    _, full = _solve(instance(_dominance_tables()), shortfall_price=5000.0, drop_dominated_sites=False)
    assert reduced.solution.objective == pytest.approx(full.solution.objective, abs=1e-9)
    opened = set(reduced.solution.facilities.query("open == 1")["site_id"])
    assert "gpB3" in opened and not opened & {"gpB", "gpB2"}


def test_co_located_capacity_is_pooled_and_split_back_per_site():
    """Two schools at one spot (same reach; capacity 600 and 400) and 900 people there: the model has one
    capacity group serving ≤ 600 y1 + 400 y2, both must stay open (900 > 600), and the written assignment
    splits the 900 in proportion to capacity: 540 and 360, each within its own capacity."""
    t = tiny_tables()
    t["demand_points"] = pd.DataFrame([{"point_id": "p", "region_id": "A", "name": "", "population": 900, "lat": 52.0, "lon": 5.0},
                                       {"point_id": "q", "region_id": "B", "name": "", "population": 4000, "lat": 52.1, "lon": 5.2}])
    t["regions"]["population"] = [900, 4000]
    t["sites"] = pd.DataFrame([
        {"site_id": s, "ftype_id": "gp", "region_id": r, "name": "", "lat": lat, "lon": lon, "existing": True,
         "operating_cost": 0.5, "opening_cost": 0.0, "capacity": c}
        for s, r, lat, lon, c in (("s1", "A", 52.0, 5.0, 600), ("s2", "A", 52.0, 5.0, 400), ("s3", "B", 52.1, 5.2, 5000))])
    t["streams"]["amount"] = [11.5, 8.0]
    data, run = _solve(instance(t), use_capacity=True, shortfall_price=1e6)
    assert data.capacity_groups.to_dict() == {"s1": "s1", "s2": "s1", "s3": "s3"}
    assert len(run.model.facilities.group) == 1
    load = run.solution.assignment.set_index("site_id")["share"] * 900
    assert load["s1"] == pytest.approx(540) and load["s2"] == pytest.approx(360)
    assert run.solution.shortfall == pytest.approx(0.0, abs=1e-6)


def test_values_at_takes_each_keys_value_and_names_the_table_when_a_key_is_missing():
    import pandas as pd
    from allocator.data import values_at

    table = pd.Series([10.0, 20.0, 30.0], index=pd.Index(["a", "b", "c"]), name="population")
    assert list(values_at(table, pd.Series(["c", "a", "c"]))) == [30.0, 10.0, 30.0]
    with pytest.raises(KeyError, match="1 key.*population"):
        values_at(table, ["a", "z"])
