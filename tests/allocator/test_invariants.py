"""The model's invariants (model.md) as properties on small generated instances (hypothesis).

Each example draws a generated instance ``gen:S:seed`` (40 regions, about 300 sites) and a few policy
settings; every solve is proven to a tight gap, so comparisons between optima hold up to that gap.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.data import InstanceData
from allocator.procedures.evaluate import evaluate, status_quo
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve, shortfall_first
from allocator.scenario import Scenario

GAP = 1e-7
SOLVER = {"mip_gap": GAP, "threads": 1, "time_limit": 60}
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
seeds = st.integers(min_value=0, max_value=40)
prices = st.sampled_from([0.0, 1000.0, 5000.0])
rules = st.sampled_from(["none", "region", "region-domain"])


def optimum(inst, **scenario):
    """The weighted optimum's (objective, solution) of ``inst`` under ``scenario``."""
    run = solve(build(InstanceData.prepare(inst, Scenario(**scenario, solver=SOLVER))), indicators=False)
    assert run.report.status.value == "optimal" and run.check.passed
    return run.report.objective, run.solution


def tol(value: float) -> float:
    return 10 * GAP * max(1.0, abs(value)) + 1e-6


@SETTINGS
@given(seed=seeds, price=prices, rule=rules)
def test_the_optimum_never_does_worse_than_the_status_quo(seed, price, rule):
    inst = load_instance(f"gen:S:{seed}")
    data = InstanceData.prepare(inst, Scenario(shortfall_price=price, hold_harmless=rule, solver=SOLVER))
    sq = evaluate(data, status_quo(data), compare_optimum=False)
    assert sq.feasible, "the status quo must be feasible (model.md invariant 1)"
    best, _ = optimum(inst, shortfall_price=price, hold_harmless=rule)
    assert best >= sq.report.objective - tol(best)


@SETTINGS
@given(seed=seeds, price=prices, extra=st.floats(min_value=1.0, max_value=200.0), theta=st.floats(0.05, 1.0))
def test_more_extra_money_or_more_deearmarking_never_lowers_the_optimum(seed, price, extra, theta):
    inst = load_instance(f"gen:S:{seed}")
    base, _ = optimum(inst, shortfall_price=price, hold_harmless="region")
    more_money, _ = optimum(inst, shortfall_price=price, hold_harmless="region", extra_budget=extra)
    streams = {s: theta for s in inst.streams.index}
    more_theta, _ = optimum(inst, shortfall_price=price, hold_harmless="region", deearmark=streams)
    assert more_money >= base - tol(base) and more_theta >= base - tol(base)


@SETTINGS
@given(seed=seeds, rule=rules)
def test_a_tighter_hold_harmless_rule_never_raises_the_optimum(seed, rule):
    inst = load_instance(f"gen:S:{seed}")
    values = [optimum(inst, shortfall_price=2000.0, hold_harmless=r)[0] for r in ("none", "region", "region-domain")]
    assert values[0] >= values[1] - tol(values[0]) and values[1] >= values[2] - tol(values[1])


@SETTINGS
@given(seed=seeds, factor=st.floats(min_value=0.3, max_value=0.9), share=st.floats(min_value=0.5, max_value=1.0))
def test_a_stricter_norm_never_lowers_the_least_shortfall(seed, factor, share):
    inst = load_instance(f"gen:S:{seed}")
    ftypes = inst.facility_types
    k = ftypes.index[0]

    def least_q(**scenario) -> float:
        run = build(InstanceData.prepare(inst, Scenario(**scenario, solver=SOLVER)))
        (_, rep), *_ = shortfall_first(run)
        assert rep.status.value == "optimal"
        return rep.objective

    loose = least_q(required_share={k: share})
    strict_norm = least_q(required_share={k: share}, norms={k: float(ftypes.loc[k, "norm"]) * factor})
    strict_share = least_q(required_share={k: min(1.0, share + 0.1)})
    assert strict_norm >= loose - tol(loose) and strict_share >= loose - tol(loose)


@SETTINGS
@given(seed=seeds, rule=st.sampled_from(["region", "region-domain"]), price=prices)
def test_under_region_rules_no_region_ends_below_its_baseline(seed, rule, price):
    _, sol = optimum(load_instance(f"gen:S:{seed}"), shortfall_price=price, hold_harmless=rule, keep_last_site=True)
    assert sol.regions_worse_off == 0 and (sol.region_totals["change_meur"] >= -1e-6).all()


def _reordered(inst, rng: np.random.Generator):
    """The same instance with every table's rows shuffled and the regions renamed."""
    rename = {r: f"X{n:03d}" for n, r in enumerate(rng.permutation(inst.regions.index))}

    def shuffle(frame):
        return frame.iloc[rng.permutation(len(frame))]

    regions = shuffle(inst.regions).rename(index=rename)
    baseline = shuffle(inst.baseline.to_frame()).rename(index=rename, level="region_id").iloc[:, 0]
    points = shuffle(inst.demand_points).assign(region_id=lambda f: f["region_id"].map(rename))
    sites = shuffle(inst.sites).assign(region_id=lambda f: f["region_id"].map(rename))
    return replace(inst, regions=regions, baseline=baseline, demand_points=points, sites=sites), rename


@SETTINGS
@given(seed=seeds, price=prices, shuffle_seed=st.integers(0, 10**6))
def test_renaming_and_reordering_change_no_number(seed, price, shuffle_seed):
    inst = load_instance(f"gen:S:{seed}")
    other, rename = _reordered(inst, np.random.default_rng(shuffle_seed))
    a, sol_a = optimum(inst, shortfall_price=price, hold_harmless="region")
    b, sol_b = optimum(other, shortfall_price=price, hold_harmless="region")
    assert b == pytest.approx(a, rel=10 * GAP, abs=1e-6)
    assert sol_b.shortfall == pytest.approx(sol_a.shortfall, rel=1e-5, abs=1e-3)


def _scaled(inst, factor: float):
    """Every amount of money times ``factor``: streams, baseline, site costs, welfare values."""
    sites = inst.sites.assign(operating_cost=inst.sites["operating_cost"] * factor,
                              opening_cost=inst.sites["opening_cost"] * factor)
    ftypes = inst.facility_types.assign(welfare_value=inst.facility_types["welfare_value"] * factor)
    return replace(inst, streams=inst.streams.assign(amount=inst.streams["amount"] * factor),
                   baseline=inst.baseline * factor, sites=sites, facility_types=ftypes)


@SETTINGS
@given(seed=seeds, price=st.sampled_from([1000.0, 5000.0]), rule=rules)
def test_scaling_all_money_by_1000_scales_the_money_and_changes_no_decision(seed, price, rule):
    inst = load_instance(f"gen:S:{seed}")
    a, sol_a = optimum(inst, shortfall_price=price, hold_harmless=rule)
    b, sol_b = optimum(_scaled(inst, 1000.0), shortfall_price=price * 1000.0, hold_harmless=rule)
    assert b == pytest.approx(1000.0 * a, rel=10 * GAP, abs=1e-3)
    assert sol_b.shortfall == pytest.approx(sol_a.shortfall, rel=1e-5, abs=1e-3)
    assert sol_b.facilities["open"].sum() == sol_a.facilities["open"].sum()
