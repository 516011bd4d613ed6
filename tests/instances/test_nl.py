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


def test_municipal_money_is_cbs_iv3_2024(nl):
    """The municipality's baseline (programmes + the sites it pays) is its Iv3 2024 spending in the six domains:
    per inhabitant it correlates ≥ 0.9 with its total Iv3 lasten, and nationally it is 40-110 % of them."""
    budget = pd.read_csv(nl.folder / "municipal_budget_2024.csv").set_index("region_id")
    assert budget["iv3_lasten_total_meur"].sum() == pytest.approx(74_551, abs=1)  # CBS: €74.6 bn, 0.10/0.11 excluded
    own = nl.sites["ftype_id"].map(nl.facility_types["payer"]) == "municipality"
    sites = nl.sites[own & nl.sites["existing"]].groupby("region_id")["operating_cost"].sum()
    municipal = nl.baseline.groupby(level="region_id").sum().add(sites, fill_value=0.0).reindex(budget.index)
    pop = budget["population"]
    assert (municipal / pop).corr(budget["iv3_lasten_total_meur"] / pop) >= 0.9
    assert 0.4 <= municipal.sum() / budget["iv3_lasten_total_meur"].sum() <= 1.1
    streams = nl.streams.groupby("payer")["amount"].sum()
    assert streams["municipality"] == pytest.approx(municipal.sum(), abs=1.0)  # they pay the baseline exactly


def test_other_payers_pay_exactly_their_own_sites(nl):
    payer = nl.sites["ftype_id"].map(nl.facility_types["payer"])
    existing = nl.sites["existing"]
    for p in ("zvw", "ocw"):
        cost = nl.sites.loc[existing & (payer == p), "operating_cost"].sum()
        assert nl.streams.loc[nl.streams["payer"] == p, "amount"].sum() == pytest.approx(cost, abs=1e-3)
    assert nl.facility_types["payer"].nunique() >= 2


def test_the_duo_primary_schools_are_the_existing_schools(nl):
    schools = nl.sites[(nl.sites["ftype_id"] == "primary_school") & nl.sites["existing"]]
    assert abs(len(schools) - 6_122) <= 0.03 * 6_122
    assert nl.facility_types.loc["primary_school", "demand"] == "children_4_11"
    assert 1.3e6 < nl.regions["children_4_11"].sum() < 1.6e6  # CBS: about 1.45 million aged 4-11


def test_every_taakveld_has_a_documented_domain(nl):
    tv = pd.read_csv(nl.folder / "taakvelden.csv")
    assert len(tv) == 71 and tv["code"].is_unique and tv["note"].notna().all()
    assert set(tv["domain"]) == {*nl.domains.index, "general", "bookkeeping"}


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
    assert res.regions_worse_off == 0 and (res.plan.region_totals["municipal_change_meur"] >= -1e-6).all()
    assert res.plan_check.passed and res.contrast_check.passed
    assert res.as_dict()["redistribution"]["proven"] and res.losers_if_redistributed > 0
