"""The greedy start: hand cases for openings and closures, and the quality of the start HiGHS completes."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from allocator.data import InstanceData
from allocator.greedy import greedy_sites
from allocator.instance import load_instance
from allocator.procedures.modes import build, weighted
from allocator.scenario import Scenario
from tests.helpers import MIP_STARTS, log_highs_to
from tests.pareto_cases import knapsack_front_instance


def sites_opened(inst, **scenario) -> list[str]:
    y = greedy_sites(InstanceData.prepare(inst, Scenario(**scenario)))
    return sorted(y.index[y > 0.5])


# A covers 1,000 people for 2 M€, B 4,000 for 3 M€; money is priced at the cut slope 1.5 M€-eq per M€,
# so A pays when λ·1000·10⁻⁶ > 3 (λ > 3,000 €/person) and B when λ·4000·10⁻⁶ > 4.5 (λ > 1,125).
@pytest.mark.parametrize("price, expected", [(1000.0, []), (2000.0, ["B"]), (5000.0, ["A", "B"])])
def test_candidates_open_when_their_coverage_pays_for_the_cut(price, expected):
    assert sites_opened(knapsack_front_instance(), shortfall_price=price) == expected


def twin_sites_instance(existing: bool = True):
    """Both GP sites stand in village b (4,000 people): either one covers it alone."""
    inst = knapsack_front_instance()
    sites = inst.sites.copy()
    sites["existing"] = existing
    sites.loc["A", ["lat", "lon"]] = sites.loc["B", ["lat", "lon"]].to_numpy()
    return replace(inst, sites=sites)


def test_a_duplicate_existing_site_closes_the_dearer_one_first():
    # closing either loses nobody while the other stays: B saves 3 M€ against A's 2, so B closes; A then
    # covers 4,000 people alone and stays (λ = 2,000: 8 M€-eq of shortfall against 2 M€ saved)
    assert sites_opened(twin_sites_instance(), shortfall_price=2000.0) == ["A"]


@pytest.mark.parametrize("rule", ["region", "region-domain", "corridor"])
def test_under_hold_harmless_a_closure_is_spent_in_its_own_region(rule):
    # B's 3 M€ go to R's care spending at the first slope (1 M€-eq per M€ > 0 lost): B closes, A stays
    assert sites_opened(twin_sites_instance(), shortfall_price=2000.0, hold_harmless=rule) == ["A"]


def test_with_capacity_on_capacitated_sites_do_not_close():
    inst = twin_sites_instance()
    sites = inst.sites.copy()
    sites["capacity"] = 4000.0  # the greedy's loss ignores capacity, so with capacity on neither closes
    inst = replace(inst, sites=sites)
    assert sites_opened(inst, shortfall_price=2000.0, use_capacity=True) == ["A", "B"]
    assert sites_opened(inst, shortfall_price=2000.0) == ["A"]


def test_forced_sites_do_not_close():
    # B forced open: A is the one that closes
    assert sites_opened(twin_sites_instance(), shortfall_price=2000.0, force_open=["B"]) == ["B"]


def two_regions(b_r: float, b_q: float, stream: float):
    """The knapsack instance (sites in R) with a second region Q of equal weight; baselines and stream set."""
    inst = knapsack_front_instance()
    regions = pd.concat([inst.regions, inst.regions.rename(index={"R": "Q"})])
    base = pd.Series([b_r, b_q], index=pd.MultiIndex.from_tuples([("R", "care"), ("Q", "care")],
                                                                 names=inst.baseline.index.names), name="amount")
    streams = inst.streams.copy()
    streams["amount"] = stream
    return replace(inst, regions=regions, baseline=base, streams=streams)


# λ = 5,000: B (20 M€-eq for 3 M€) comes first, then A (5 for 2); a cut costs 1.5 M€-eq per M€
def test_without_hold_harmless_any_region_pays():
    assert sites_opened(two_regions(2.5, 10.0, 12.5), shortfall_price=5000.0) == ["A", "B"]
    # all programme money together (2.5 + 0.5) pays for B, and nothing is left for A
    assert sites_opened(two_regions(2.5, 0.0, 3.0), shortfall_price=5000.0) == ["B"]


def test_under_hold_harmless_a_site_is_paid_from_its_own_region():
    # R's 2.5 M€ can be cut to zero, Q's money stays in Q: B (3 M€) cannot be paid, A (2 M€) can
    assert sites_opened(two_regions(2.5, 10.0, 12.5), shortfall_price=5000.0, hold_harmless="region") == ["A"]
    # with 0.5 M€ unspent B is paid (2.5 from R, 0.5 unspent), and then nothing is left for A
    assert sites_opened(two_regions(2.5, 10.0, 13.0), shortfall_price=5000.0, hold_harmless="region") == ["B"]


def test_under_the_region_domain_rule_a_site_is_paid_from_its_own_region_and_domain():
    # the rule counts facility money: R's care programme money may pay for R's care sites (the total of
    # R's care spending, programme + sites, stays at its baseline), Q's money stays in Q
    assert sites_opened(two_regions(2.5, 10.0, 12.5), shortfall_price=5000.0, hold_harmless="region-domain") == ["A"]
    assert sites_opened(two_regions(100.0, 0.0, 100.0), shortfall_price=5000.0, hold_harmless="region-domain") == ["A", "B"]


@pytest.mark.parametrize("rules", [{}, {"hold_harmless": "region", "keep_last_site": True}],
                         ids=["no-rule", "hold-harmless"])
@pytest.mark.parametrize("seed", [0, 1])
def test_greedy_start_beats_the_status_quo_and_is_near_the_optimum(tmp_path, seed, rules):
    data = InstanceData.prepare(load_instance(f"gen:S:{seed}"), Scenario(**rules, solver={"mip_gap": 1e-6}))
    run = build(data)
    log_highs_to(run.highs, tmp_path / "highs.log")
    (_, best), = weighted(run)
    run.highs.start_from([run.model.facilities.open[j] for j in data.sites.index],
                         data.sites["existing"].astype(float).to_numpy())
    weighted(run)  # the same model from the status quo
    greedy, status_quo = (float(x) for x in MIP_STARTS.findall((tmp_path / "highs.log").read_text()))
    assert best.status.value == "optimal"
    assert status_quo < greedy <= best.objective + 1e-6
    assert best.objective - greedy <= 0.01 * abs(best.objective)
