"""Payers and demand groups on instances small enough to solve by hand (model.md: payer p(k)).

One region R (1,000 residents, ω = 1), one domain ``care`` (mw 1, f linear), two places of 500 people.
An emergency department (ER) at the first place reaches both; the health insurers (``zvw``) pay its
5 M€ from their own 5 M€ stream; the municipality's 10 M€ stream pays R's 10 M€ of programmes.
Coverage is worth v = 1,000 € per covered person: 1,000 people → 1 M€ of welfare.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from allocator.check import check
from allocator.errors import InputError
from tests.helpers import LINEAR, instance, run

APPROX = dict(abs=1e-6)


def hospital_town(zvw_amount: float = 5.0, school: bool = False) -> dict:
    regions = {"region_id": ["R"], "name": ["Rivierstad"], "population": [1000], "bw_index": [1.0], "province": ["P"]}
    ftypes = [{"ftype_id": "er", "name": "Emergency department", "domain_id": "care", "norm": 30, "norm_unit": "km",
               "required_share": 0, "welfare_value": 1000, "basic_package": False, "payer": "zvw", "demand": ""}]
    if school:
        regions["children_4_11"] = [100]
        ftypes.append({"ftype_id": "school", "name": "Primary school", "domain_id": "care", "norm": 1, "norm_unit": "km",
                       "required_share": 1, "welfare_value": 0, "basic_package": False, "payer": "", "demand": "children_4_11"})
    return {
        "regions": pd.DataFrame(regions),
        "domains": pd.DataFrame([{"domain_id": "care", "name": "Care", "marginal_welfare": 1.0}]),
        "streams": pd.DataFrame([
            {"stream_id": "gf", "name": "Municipal fund", "domain_id": "care", "amount": 10.0, "deearmark_share": 0, "payer": ""},
            {"stream_id": "zvw", "name": "Health insurers", "domain_id": "care", "amount": zvw_amount, "deearmark_share": 0,
             "payer": "zvw"}]),
        "baseline": pd.DataFrame([{"region_id": "R", "domain_id": "care", "amount": 10.0}]),
        "facility_types": pd.DataFrame(ftypes),
        "demand_points": pd.DataFrame([
            {"point_id": "P1", "region_id": "R", "name": "Centrum", "population": 500, "lat": 52.0, "lon": 5.0},
            {"point_id": "P2", "region_id": "R", "name": "Dorp", "population": 500, "lat": 52.1, "lon": 5.0}]),
        "sites": pd.DataFrame([{"site_id": "ER1", "ftype_id": "er", "region_id": "R", "name": "Ziekenhuis", "lat": 52.0,
                                "lon": 5.0, "existing": True, "operating_cost": 5.0, "opening_cost": 0.0, "capacity": None}]),
    }


def test_a_closure_saves_money_for_its_payer_only():
    """Closing ER saves 5 M€ of the insurers' money, which pays no programme: closing only loses the 1 M€ of
    coverage ⇒ ER stays open, W = 1, and the insurers' 5 M€ stay in their account."""
    r = run(hospital_town(), welfare=LINEAR)
    assert r.solution.welfare == pytest.approx(1.0, **APPROX)
    assert r.solution.facilities.set_index("site_id").loc["ER1", "decision"] == "keep"
    assert r.solution.allocation["plan"].sum() == pytest.approx(10.0, **APPROX)
    totals = r.solution.region_totals.set_index("region_id")
    assert totals.loc["R", "baseline_total_meur"] == pytest.approx(15.0)      # programmes + the ER
    assert totals.loc["R", "baseline_municipal_meur"] == pytest.approx(10.0)  # the insurers' ER left out


def test_pooling_a_payer_lets_its_savings_fund_programmes():
    """``pooled_payers = ["zvw"]``: the 5 M€ saved may now fund R's care programme (+5 at slope 1) at the cost of
    the ER's 1 M€ of coverage ⇒ ER closes, W = 5."""
    r = run(hospital_town(), welfare=LINEAR, pooled_payers=["zvw"])
    assert r.solution.welfare == pytest.approx(5.0, **APPROX)
    assert r.solution.facilities.set_index("site_id").loc["ER1", "decision"] == "close"


def test_the_checker_rejects_insurers_money_spent_on_programmes():
    """A forged plan that closes ER and adds its 5 M€ to the programme breaks the municipality's care account."""
    r = run(hospital_town(), welfare=LINEAR)
    sol = r.solution
    fac = sol.facilities.copy()
    fac["open"] = 0
    alloc = sol.allocation.copy()
    alloc["plan"] += 5.0
    res = check(r.data, replace(sol, facilities=fac, allocation=alloc))
    broken = [v for v in res.violations if v.constraint.startswith("2 domain balance per payer")]
    assert [v.index for v in broken] == ["municipality/care"]


def test_extra_money_can_reach_another_payer():
    """A 2nd ER candidate at P2 costs 3 M€ the insurers do not have; 3 M€ of extra money for the zvw account opens it
    only if it is worth more than the best programme use (slope 1 ⇒ 3): coverage value is 0 extra here (both
    places are covered already), so the extra money goes to the programme: W = 1 + 3.  (Forcing only ER2 open,
    the insurers would close ER1 to pay for it.)"""
    t = hospital_town()
    t["sites"] = pd.concat([t["sites"], pd.DataFrame([{"site_id": "ER2", "ftype_id": "er", "region_id": "R", "name": "Dorp",
                                                        "lat": 52.1, "lon": 5.0, "existing": False, "operating_cost": 2.0,
                                                        "opening_cost": 1.0, "capacity": None}])], ignore_index=True)
    r = run(t, welfare=LINEAR, extra_budget=3.0)
    assert r.solution.welfare == pytest.approx(4.0, **APPROX)
    extra = r.solution.extra.set_index(["payer", "domain_id"])["extra"]
    assert extra[("municipality", "care")] == pytest.approx(3.0, **APPROX)
    # both forced open: the insurers must find 3 M€ more, and only extra money has it ⇒ W = 1
    forced = run(t, welfare=LINEAR, extra_budget=3.0, force_open=["ER1", "ER2"])
    assert forced.solution.extra.set_index(["payer", "domain_id"])["extra"][("zvw", "care")] == pytest.approx(3.0, **APPROX)
    assert forced.solution.welfare == pytest.approx(1.0, **APPROX)


def test_status_quo_must_be_paid_by_each_payer():
    """The insurers' stream of 4 M€ cannot pay their 5 M€ ER, however much the municipality has."""
    with pytest.raises(InputError, match=r"zvw streams of domain 'care' \(4.000 M€\).*short by 1.000"):
        instance(hospital_town(zvw_amount=4.0))


def test_pooling_an_unknown_payer_is_an_error():
    with pytest.raises(InputError, match="pooled_payers: unknown payer 'ocw'"):
        run(hospital_town(), pooled_payers=["ocw"])


def test_school_demand_counts_children():
    """Schools count the 100 children aged 4-11, not the 1,000 residents: no school exists or can open, so the
    shortfall is 100 persons, and the region's school coverage table says 100 people need one."""
    r = run(hospital_town(school=True), welfare=LINEAR)
    assert r.solution.shortfall == pytest.approx(100.0, abs=1e-4)
    cov = r.solution.region_coverage.set_index("ftype_id")
    assert cov.loc["school", "population"] == pytest.approx(100.0)
    assert cov.loc["er", "population"] == pytest.approx(1000.0)


def test_an_age_group_without_its_column_is_an_input_error():
    t = hospital_town(school=True)
    t["regions"] = t["regions"].drop(columns=["children_4_11"])
    with pytest.raises(InputError, match="demand 'children_4_11' needs a 'children_4_11' column"):
        instance(t)


def test_extra_money_for_eligible_regions_is_additional_in_every_account():
    """A (tagged 'prog', bw 1, ω 2/3) and B (bw 0.5, ω 4/3), 1,000 people each; municipal streams 20 pay both
    baselines of 10; the insurers' 5 pay an emergency department in B worth nothing here (v = 0).  4 M€ of extra
    money for 'prog' regions reaches A only ⇒ W = 4 · 2/3.  Closing B's hospital frees insurers' money, which
    must not count as room for B's municipal programmes (it did when the additionality row summed all payers:
    W = 4 · 4/3 with the hospital closed)."""
    t = hospital_town()
    t["regions"] = pd.DataFrame({"region_id": ["A", "B"], "name": ["Alpha", "Beta"], "population": [1000, 1000],
                                 "bw_index": [1.0, 0.5], "province": ["P", "P"], "tags": ["prog", ""]})
    t["streams"].loc[0, "amount"] = 20.0
    t["baseline"] = pd.DataFrame([{"region_id": r, "domain_id": "care", "amount": 10.0} for r in ("A", "B")])
    t["demand_points"] = pd.DataFrame([
        {"point_id": "PA", "region_id": "A", "name": "A", "population": 1000, "lat": 52.0, "lon": 5.0},
        {"point_id": "PB", "region_id": "B", "name": "B", "population": 1000, "lat": 52.1, "lon": 5.0}])
    t["facility_types"].loc[0, "welfare_value"] = 0
    t["sites"].loc[0, ["region_id", "lat"]] = ["B", 52.1]
    r = run(t, welfare=LINEAR, extra_budget=4.0, extra_eligible_tags=["prog"])
    assert r.solution.welfare == pytest.approx(8 / 3, **APPROX)
    change = r.solution.allocation.set_index("region_id")["change"]
    assert change["A"] == pytest.approx(4.0, **APPROX) and change["B"] == pytest.approx(0.0, **APPROX)


def test_a_regiotoets_flags_insurers_money_spent_on_programmes():
    """evaluate's direct check of a plan: closing the ER and spending its 5 M€ on R's programme breaks the
    municipality's care account (10 M€ of streams, 15 spent), whatever the insurers' account has left."""
    from allocator.data import InstanceData
    from allocator.procedures.evaluate import Plan, plan_violations, status_quo
    from allocator.scenario import Scenario

    data = InstanceData.prepare(instance(hospital_town()), Scenario(welfare=LINEAR))
    assert plan_violations(data, status_quo(data)) == []
    plan = Plan(data.baseline + 5.0, pd.Series({"ER1": 0}), "moved")
    broken = {(v.constraint.split(" (")[0], v.index) for v in plan_violations(data, plan)}
    assert ("2 domain balance per payer", "municipality/care") in broken
    assert ("2 total budget per payer", "municipality") in broken
