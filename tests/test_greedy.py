"""The greedy start: hand cases for openings and closures, and the quality of the start HiGHS completes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from allocator.data import InstanceData
from allocator.greedy import greedy_sites
from allocator.instance import load_instance
from allocator.modes import build, weighted
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


def test_closures_respect_hold_harmless_and_forced_sites():
    assert sites_opened(twin_sites_instance(), shortfall_price=2000.0, hold_harmless="region") == ["A", "B"]
    # B forced open: A is the one that closes
    assert sites_opened(twin_sites_instance(), shortfall_price=2000.0, force_open=["B"]) == ["B"]


def test_an_unpaying_last_site_closes_only_without_the_last_site_rule():
    inst = knapsack_front_instance()
    sites = inst.sites.copy()
    sites["existing"] = [True, False]
    inst = replace(inst, sites=sites)
    # A: 1,000 people, 2 M€ operating; at λ = 1,000 its coverage is worth 1 M€-eq < 2 M€ saved
    assert sites_opened(inst, shortfall_price=1000.0) == []
    assert sites_opened(inst, shortfall_price=1000.0, keep_last_site=True) == ["A"]
    assert sites_opened(inst, shortfall_price=1000.0, max_closures=0) == ["A"]


@pytest.mark.parametrize("seed", [0, 1])
def test_greedy_start_beats_the_status_quo_and_is_near_the_optimum(tmp_path, seed):
    data = InstanceData.prepare(load_instance(f"gen:S:{seed}"), Scenario(solver={"mip_gap": 1e-6}))
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
