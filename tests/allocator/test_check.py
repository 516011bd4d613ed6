"""The checker passes real solutions and fails, naming constraint and index, on broken ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from allocator.check import CheckFailed, _count_within_km, check
from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
from allocator.scenario import Scenario
from allocator.travel import great_circle_km


@pytest.fixture(scope="module")
def solved():
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario(hold_harmless="region", keep_last_site=True,
                                                                    liveability_value=50.0, extra_budget=20.0))
    run = solve(build(data))
    assert run.check.passed, run.check.violations[:5]
    return data, run.solution


def names(result):
    return {v.constraint for v in result.violations}


def test_real_solution_passes(solved):
    data, sol = solved
    res = check(data, sol)
    assert res.passed and res.welfare == pytest.approx(sol.welfare, rel=1e-9)


def test_overspending_breaks_domain_balance_and_names_the_domain(solved):
    data, sol = solved
    alloc = sol.allocation.copy()
    row = alloc.index[(alloc["domain_id"] == "housing")][0]
    alloc.loc[row, "plan"] += 50.0
    res = check(data, replace(sol, allocation=alloc))
    label = "2 domain balance per payer (what it pays ≤ its streams + extra)"
    assert label in names(res)
    assert any(v.constraint == label and v.index == "municipality/housing" for v in res.violations)
    with pytest.raises(CheckFailed, match="domain balance"):
        res.raise_if_failed()


def test_coverage_without_an_open_site_is_caught(solved):
    data, sol = solved
    fac = sol.facilities.copy()
    cov = sol.coverage.copy()
    # close every open GP site but keep reporting coverage
    fac.loc[fac["ftype_id"] == "gp_practice", "open"] = 0
    res = check(data, replace(sol, facilities=fac, coverage=cov))
    hits = [v for v in res.violations if v.constraint.startswith("4 coverage")]
    assert hits and all(v.index.endswith("/gp_practice") for v in hits)


def test_hidden_shortfall_is_caught(solved):
    data, sol = solved
    sf = sol.shortfall_table.copy()
    assert sf["shortfall"].max() > 1
    sf["shortfall"] = 0.0
    res = check(data, replace(sol, shortfall_table=sf, shortfall=0.0))
    assert "5 minimum service Σ pop u + q ≥ σ pop" in names(res)


def test_de_earmarking_beyond_theta_is_caught(solved):
    data, sol = solved
    flows = sol.flows.copy()
    i = flows.index[(flows["stream_id"] == "grant_care") & (flows["domain_id"] == "housing")][0]
    flows.loc[i, "amount"] += 1.0
    res = check(data, replace(sol, flows=flows))
    assert any(v.constraint.startswith("1 de-earmarking") and v.index == "grant_care" for v in res.violations)


def test_hold_harmless_violation_names_region(solved):
    data, sol = solved
    alloc = sol.allocation.copy()
    alloc.loc[alloc["region_id"] == "R0003", "plan"] *= 0.5
    res = check(data, replace(sol, allocation=alloc))
    assert any(v.constraint.startswith("3 hold-harmless") and v.index == "R0003" for v in res.violations)


def test_misreported_welfare_and_fractional_site(solved):
    data, sol = solved
    fac = sol.facilities.astype({"open": float})
    fac.loc[0, "open"] = 0.5
    res = check(data, replace(sol, welfare=sol.welfare + 1.0, facilities=fac))
    assert "W recomputed equals reported W" in names(res)
    assert any(v.constraint == "domain: y ∈ {0,1}" and v.index == fac.loc[0, "site_id"] for v in res.violations)


def test_liveability_without_coverage_is_caught(solved):
    data, sol = solved
    cov = sol.coverage.copy()
    live = sol.liveability
    p = live.loc[live["keeps_basic"] > 0.5, "point_id"].iloc[0]
    cov.loc[(cov["point_id"] == p) & (cov["ftype_id"] == "gp_practice"), "covered"] = 0.0
    res = check(data, replace(sol, coverage=cov))
    assert any(v.constraint.startswith("6 liveability") and v.index == p for v in res.violations)


def test_open_sites_within_the_norm_counted_as_by_brute_force():
    """The k-d tree only proposes candidates: the counts equal the haversine test over every pair,
    also for sites placed exactly on a point's limit."""
    rng = np.random.default_rng(7)
    points = np.column_stack((rng.uniform(50.7, 53.5, 400), rng.uniform(3.4, 7.2, 400)))
    sites = np.column_stack((rng.uniform(50.7, 53.5, 900), rng.uniform(3.4, 7.2, 900)))
    detour = 1.3
    limit = rng.uniform(0.5, 40.0, len(points))
    limit[:50] = detour * great_circle_km(points[:50, 0], points[:50, 1], sites[:50, 0], sites[:50, 1])  # on the edge
    sites[60] = points[60]  # a site on a point
    km = detour * great_circle_km(points[:, None, 0], points[:, None, 1], sites[None, :, 0], sites[None, :, 1])
    brute = (km <= limit[:, None] * (1 + 1e-9) + 1e-9).sum(axis=1)
    assert np.array_equal(_count_within_km(points, sites, limit, detour), brute)
    assert brute[:50].min() >= 1 and brute[60] >= 1


def test_violations_are_named_by_their_labels_made_only_where_they_occur():
    from allocator.check import Checker

    c = Checker(1e-6)
    points, ftypes = pd.Series(["p1", "p2", "p3"], index=[7, 8, 9]), pd.Series(["gp", "school", "gp"])
    c.leq("pairs", (points, ftypes), [0.0, 2.0, 0.5], [1.0, 1.0, 1.0])  # labels by position, not by the index
    c.leq("one label", "R0001", [3.0, 0.0], 1.0)
    c.leq("an index", pd.Index(["a", "b"]), [0.0, 5.0], 1.0)
    c.leq("a list", ["x", "y"], [5.0, 5.0], [1.0, 6.0])
    assert [(v.constraint, v.index) for v in c.out] == [("pairs", "p2/school"), ("one label", "R0001"),
                                                         ("an index", "b"), ("a list", "x")]
    assert c.out[0].amount == pytest.approx(1.0)
