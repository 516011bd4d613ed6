"""The shipped Dutch instance: real counts and totals, and a re-runnable preparation."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.scenario import resolve_scenario


@pytest.fixture(scope="module")
def nl():
    return load_instance()


def test_every_municipality_and_the_real_population(nl):
    assert nl.name == "nl"
    assert len(nl.regions) == 342 and nl.regions.index.str.match(r"^GM\d{4}$").all()
    assert nl.regions["population"].sum() == 17_942_942  # CBS, 1 Jan 2024
    by_region = nl.demand_points.groupby("region_id")["population"].sum()
    pd.testing.assert_series_equal(by_region.sort_index(), nl.regions["population"].sort_index(),
                                   check_names=False, check_index_type=False)


def test_hospitals_and_programme_regions(nl):
    em = nl.sites[(nl.sites["ftype_id"] == "emergency") & nl.sites["existing"]]
    assert len(em) == 98
    tags = nl.regions["tags"].str.split(";")
    assert tags.map(lambda t: "npvr" in t).sum() > 40
    assert len({t for ts in tags for t in ts if t.startswith("npvr:")}) == 11


def test_budget_totals_are_the_real_2024_totals(nl):
    assert nl.streams["amount"].sum() == pytest.approx(43_800 + 21_300)


def test_bw_index_is_population_weighted_one(nl):
    r = nl.regions
    assert (r["bw_index"] * r["population"]).sum() / r["population"].sum() == pytest.approx(1.0, abs=1e-3)


def test_islands_are_flagged_unreachable(nl):
    d = InstanceData.prepare(nl, resolve_scenario(nl))
    warnings = " ".join(d.unreachable_warnings())
    assert "Vlieland (GM0096)" in warnings  # no emergency department within 45 minutes, named for people


def test_the_vng_answer_keeps_its_promise_and_its_contrast_is_proven(nl):
    """No municipality below its baseline once facility money is counted, every stage proven optimal."""
    import allocator

    res = allocator.extra_budget(nl, "instances/nl/scenarios/vng_no_region_worse_off.toml")
    assert res.status.value == "optimal" and all(rep.status.value == "optimal" for _, rep in res.stages)
    assert res.regions_worse_off == 0 and (res.plan.region_totals["change_meur"] >= -1e-6).all()
    assert res.plan_check.passed and res.contrast_check.passed
    assert res.as_dict()["redistribution"]["proven"] and res.losers_if_redistributed > 0
