"""Every block on an instance small enough to solve by hand; derivations in the docstrings.

Money in M€; welfare in M€-equivalent; v and β in € per person, λ in € per person-service (× 10⁻⁶ in W).
"""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.data import InstanceData
from allocator.prechecks import unservable
from allocator.scenario import Scenario
from allocator.status import Status
from tests.conftest import tiny_tables
from tests.helpers import LINEAR, instance, money_only, run

APPROX = dict(abs=1e-6)


def two_domains(theta: float):
    """One region (ω = 1); d1 (mw 1) and d2 (mw 2); streams of 10 each, baseline 10 each."""
    return money_only([("R", 1000, 1.0, "")], [("d1", 1.0), ("d2", 2.0)],
                      [("s1", "d1", 10.0, theta), ("s2", "d2", 10.0, 0.0)], [("R", "d1", 10.0), ("R", "d2", 10.0)])


def test_deearmarking_moves_money_to_the_better_domain():
    """f linear with loss aversion 1: moving δ from d1 to d2 gains 2δ − δ = δ; δ ≤ θ·A = 0.5·10 = 5 ⇒ W = 5."""
    r = run(two_domains(0.5), welfare=LINEAR)
    assert r.report.status == Status.OPTIMAL
    assert r.solution.welfare == pytest.approx(5.0, **APPROX)
    flows = r.solution.flows.set_index(["stream_id", "domain_id"])["amount"]
    assert flows[("s1", "d2")] == pytest.approx(5.0, **APPROX)
    assert r.solution.headline()["deearmarked_money"] == pytest.approx(5.0, **APPROX)


def test_earmarked_streams_stay_put():
    """θ = 0: no stream may leave its domain ⇒ the status quo, W = 0."""
    assert run(two_domains(0.0), welfare=LINEAR).solution.welfare == pytest.approx(0.0, **APPROX)


def test_scenario_deearmark_share_overrides_the_table():
    """θ = 0.2 from the scenario for every stream: δ ≤ 2 ⇒ W = 2."""
    assert run(two_domains(0.5), welfare=LINEAR, deearmark_share=0.2).solution.welfare == pytest.approx(2.0, **APPROX)


def test_loss_aversion_makes_cuts_expensive():
    """Loss aversion 2.5 > mw2/mw1 = 2: a cut of δ in d1 costs 2.5δ, gains 2δ ⇒ no move, W = 0."""
    curve = {**LINEAR, "loss_aversion": 2.5}
    assert run(two_domains(0.5), welfare=curve).solution.welfare == pytest.approx(0.0, **APPROX)


def test_concave_segments_fill_in_order():
    """Segments [0,0.1b] slope 1, [0.1b, 0.3b] slope 0.5 with b = 10 (θ = 1, loss aversion 1, mw2 = 2).

    Moving δ from d1 to d2 gains 2·(min(δ,1) + 0.5·min(max(δ−1,0),2)) − δ: marginal 2−1 = 1 on the
    first unit, 2·0.5 − 1 = 0 after ⇒ W = 1 (any δ in [1, 3] is optimal).
    """
    curve = {"breakpoints": [0.1, 0.3], "slopes": [1.0, 0.5], "loss_aversion": 1.0}
    assert run(two_domains(1.0), welfare=curve).solution.welfare == pytest.approx(1.0, **APPROX)


def two_regions(extra_tag: str = "prog"):
    """A (bw 1, tagged) and B (bw 0.5), equal populations; α = 1 ⇒ ω_A = 1/1.5 = 2/3, ω_B = 2/1.5 = 4/3."""
    return money_only([("A", 1000, 1.0, extra_tag), ("B", 1000, 0.5, "")], [("d", 1.0)], [("s", "d", 20.0, 0.0)],
                      [("A", "d", 10.0), ("B", "d", 10.0)])


def test_extra_money_goes_where_weight_is_highest():
    """E_max = 4 goes to B (ω 4/3): W = 4·4/3."""
    r = run(two_regions(), welfare=LINEAR, extra_budget=4.0, hold_harmless="region")
    assert r.solution.welfare == pytest.approx(16 / 3, **APPROX)
    assert r.solution.extra["extra"].sum() == pytest.approx(4.0, **APPROX)


def test_extra_money_only_for_eligible_regions():
    """Only A carries 'prog': the streams must still pay A's baseline 10, so B ≤ 20 − 10 and the extra 4 can
    only reach A ⇒ W = 4·2/3.  (Without additionality the extra 4 would free A's own money for B: W = 16/3.)"""
    r = run(two_regions(), welfare=LINEAR, extra_budget=4.0, hold_harmless="region", extra_eligible_tags=["prog"])
    assert r.solution.welfare == pytest.approx(8 / 3, **APPROX)
    alloc = r.solution.allocation.set_index("region_id")["change"]
    assert alloc["A"] == pytest.approx(4.0, **APPROX) and alloc["B"] == pytest.approx(0.0, **APPROX)


@pytest.mark.parametrize("mode,expected", [("none", 10 / 3), ("region", 0.0), ("region-domain", 0.0)])
def test_hold_harmless_modes(mode, expected):
    """Loss aversion 1.5: moving δ from A to B gains (4/3)δ − 1.5·(2/3)δ = δ/3, up to δ = 10 ⇒ W = 10/3.

    Either hold-harmless mode forbids taking from A ⇒ W = 0.
    """
    r = run(two_regions(), welfare={**LINEAR, "loss_aversion": 1.5}, hold_harmless=mode)
    assert r.solution.welfare == pytest.approx(expected, **APPROX)


@pytest.mark.parametrize("setting,expected", [
    ({"hold_harmless": "corridor", "corridor_down": 0.2, "corridor_up": 1.0}, 2 / 3),
    ({"hold_harmless": "corridor", "corridor_down": 0.5, "corridor_up": 0.1}, 1 / 3),
    ({"hold_harmless": "per-capita-cap", "per_capita_cap": 3000.0}, 1.0),
])
def test_corridor_and_per_capita_cap(setting, expected):
    """Moving δ from A to B gains δ/3 (above).  Corridor 0.8..2.0 of 10: A may lose 2 ⇒ W = 2/3.
    Corridor 0.5..1.1: A may lose 5 but B may gain only 1 ⇒ W = 1/3.  Per-capita cap €3000 × 1000
    inhabitants = 3 M€ each way ⇒ δ = 3, W = 1."""
    r = run(two_regions(), welfare={**LINEAR, "loss_aversion": 1.5}, **setting)
    assert r.solution.welfare == pytest.approx(expected, **APPROX)


def test_equity_alpha_zero_is_utilitarian():
    """α = 0: ω = 1 everywhere, a move gains δ − 1.5δ < 0 ⇒ W = 0 even without hold-harmless."""
    r = run(two_regions(), welfare={**LINEAR, "loss_aversion": 1.5}, equity_alpha=0.0)
    assert r.solution.welfare == pytest.approx(0.0, **APPROX)


# --- facilities, coverage, minimum service, liveability on the tiny instance -------------------------
# Tiny: region A (pop 1000, bw 0.8) with point a1 and existing site gpA on it; region B (pop 3000, bw 1.2)
# with b1 (2000) on candidate gpB and b2 (1000) 0.1° north of b1 = 11.1 km. GP norm 10 min at 60 km/h,
# detour 1 ⇒ 10 km: a1 reaches gpA, b1 reaches gpB, b2 reaches nothing. ω_A = 1.25/0.9375 = 4/3,
# ω_B = (1/1.2)/0.9375 = 8/9. v = 100 €/person. Care: stream 10.5 = baseline 2 + 8 + gpA 0.5 (θ = 0).
# Opening gpB costs 0.5 + 0.2 = 0.7, cut from B's care (ω_B = 8/9 < ω_A, loss aversion 1.5).
W_A = 4 / 3 * 100 * 1000 * 1e-6          # a1 covered: 0.13333
W_B1 = 8 / 9 * 100 * 2000 * 1e-6         # b1 covered: 0.17778
CUT = 1.5 * 8 / 9 * 0.7                  # 0.7 M€ cut in B: 0.93333


def test_min_service_opens_a_site_when_shortfall_is_priced():
    """λ = 2000 €/person: opening gpB gains W_B1 − CUT + 2000·2000·1e-6 = 3.24 > 0 ⇒ open.

    W = W_A + W_B1 − CUT = −0.62222; Q = 1000 (b2 is out of reach of everything).
    """
    r = run(shortfall_price=2000.0)
    s = r.solution
    assert s.welfare == pytest.approx(W_A + W_B1 - CUT, **APPROX)
    assert s.shortfall == pytest.approx(1000.0, **APPROX)
    assert s.facilities.set_index("site_id")["decision"].to_dict() == {"gpA": "keep", "gpB": "open"}
    assert s.objective == pytest.approx(W_A + W_B1 - CUT - 2000 * 1000 * 1e-6, **APPROX)


def test_no_price_no_opening_and_the_only_site_closes():
    """λ = 0: opening gpB gains W_B1 − CUT < 0 ⇒ stays closed.  Closing gpA loses W_A = 0.1333 but frees 0.5
    for care, worth (default curve) 0.2 at slope 1 in A (first 10 % of b = 2) × 4/3 + 0.3 at slope 1 in B
    (first 10 % of 8 = 0.8) × 8/9 = 0.5333 > W_A, beating A's second segment (0.6 × 4/3 = 0.8 < 8/9)
    ⇒ close: W = 0.5333, Q = 4000.  With λ = 2000 closing would cost 2 M€ of shortfall: gpA stays."""
    s = run(shortfall_price=0.0).solution
    assert s.welfare == pytest.approx(0.2 * 4 / 3 + 0.3 * 8 / 9, **APPROX)
    assert s.shortfall == pytest.approx(4000.0, **APPROX)
    assert s.facilities.set_index("site_id")["decision"].to_dict() == {"gpA": "close", "gpB": "not opened"}


def test_lexicographic_minimises_shortfall_first():
    """λ = 0 but lexicographic: Q* = 1000 needs gpB open; then W = W_A + W_B1 − CUT."""
    r = run(shortfall_price=0.0, mode="lexicographic")
    assert r.solution.shortfall == pytest.approx(1000.0, abs=5.0)  # stage 2 allows Q* + max(1e-4·Q*, 5 persons)
    assert r.solution.welfare == pytest.approx(W_A + W_B1 - CUT, **APPROX)
    assert [s["stage"] for s in r.solution.stages] == ["min shortfall", "max welfare"]
    first = r.solution.stages[0]  # run as max −Q + ε·W, reported as the minimisation it is: Q*, bound below it
    assert first["objective"] > 0 and first["bound"] <= first["objective"] + 1e-9


def test_worst_region_measure():
    """Q_max = max_rk q/pop_r: B misses b2 ⇒ 1000/3000 = 1/3."""
    s = run(shortfall_measure="worst").solution
    assert s.shortfall_worst == pytest.approx(1 / 3, **APPROX)


def test_norm_change_reaches_the_far_point():
    """Norm 12 min = 12 km > 11.1 km: b2 reaches gpB ⇒ Q = 0 and W gains ω_B·100·1000·1e-6."""
    s = run(norms={"gp": 12.0}).solution
    assert s.shortfall == pytest.approx(0.0, **APPROX)
    assert s.welfare == pytest.approx(W_A + W_B1 + 8 / 9 * 0.1 - CUT, **APPROX)


def test_hard_mode_infeasible_and_explained():
    """Hard minimum with b2 unreachable: infeasible; the pre-check names B/gp, 1000 persons missing."""
    r = run(min_service="hard")
    assert r.report.status == Status.INFEASIBLE and r.solution is None
    blocked = unservable(r.data)
    assert blocked[["region_id", "ftype_id"]].values.tolist() == [["B", "gp"]]
    assert blocked["missing"].iloc[0] == pytest.approx(1000.0)


def test_required_share_below_reachable_share_is_feasible_in_hard_mode():
    """σ = 0.6: B needs 1800 of 3000; b1 (2000) suffices once gpB is open ⇒ feasible, Q = 0."""
    s = run(min_service="hard", required_share={"gp": 0.6}).solution
    assert s.shortfall == pytest.approx(0.0, **APPROX)
    assert s.facilities.set_index("site_id").loc["gpB", "open"] == 1


def test_liveability_adds_beta_for_points_with_the_whole_package():
    """β = 100 €/person, gp the only basic type: a1 and b1 keep it ⇒ W rises by ω_A·0.1 + ω_B·0.2."""
    base = run().solution.welfare
    s = run(liveability_value=100.0).solution
    assert s.welfare - base == pytest.approx(4 / 3 * 0.1 + 8 / 9 * 0.2, **APPROX)
    assert set(s.liveability["point_id"]) == {"a1", "b1"}


def duplicate_sites(capacity: str = "", value: float = 1e5, share: float = 1.0):
    """One region, one point (pop 200), two existing sites on it costing 1 each; programme mw 1, linear f.

    v = 0.1 M€ per person (1e5 €) unless given; streams = baseline 10 + 2 for the sites.
    """
    t = money_only([("R", 200, 1.0, "")], [("d", 1.0)], [("s", "d", 12.0, 0.0)], [("R", "d", 10.0)])
    t["facility_types"] = pd.DataFrame([{"ftype_id": "k", "name": "k", "domain_id": "d", "norm": 5.0, "norm_unit": "km",
                                         "required_share": share, "welfare_value": value, "basic_package": False}])
    t["demand_points"] = pd.DataFrame([{"point_id": "p1", "region_id": "R", "name": "", "population": 100, "lat": 52.0, "lon": 5.0},
                                       {"point_id": "p2", "region_id": "R", "name": "", "population": 100, "lat": 52.0, "lon": 5.01}])
    t["sites"] = pd.DataFrame([{"site_id": j, "ftype_id": "k", "region_id": "R", "name": "", "lat": 52.0, "lon": 5.0,
                                "existing": True, "operating_cost": 1.0, "opening_cost": 0.5, "capacity": capacity}
                               for j in ("S1", "S2")])
    return t


def test_redundant_site_closes_and_money_flows_to_programme():
    """Both points stay covered by one site; closing the other saves 1 ⇒ W = 200·0.1 + 1 = 21."""
    s = run(duplicate_sites(), welfare=LINEAR).solution
    assert s.welfare == pytest.approx(21.0, **APPROX)
    assert sorted(s.facilities["decision"]) == ["close", "keep"]


@pytest.mark.parametrize("setting", [{"force_open": ["S1", "S2"]}, {"max_closures": 0}])
def test_forced_sites_and_max_closures(setting):
    """Both sites must stay open ⇒ nothing saved, W = 20."""
    assert run(duplicate_sites(), welfare=LINEAR, **setting).solution.welfare == pytest.approx(20.0, **APPROX)


def test_keep_last_site():
    """v = 0 and σ = 0: closing both saves 2 ⇒ W = 2; with keep_last_site one must stay ⇒ W = 1."""
    t = duplicate_sites(value=0.0, share=0.0)
    assert run(t, welfare=LINEAR).solution.welfare == pytest.approx(2.0, **APPROX)
    assert run(t, welfare=LINEAR, keep_last_site=True).solution.welfare == pytest.approx(1.0, **APPROX)


def test_capacity_keeps_both_sites_open():
    """Capacity 150 per site < 200 people: one site covers at most 150 ⇒ closing loses 50·0.1 = 5 > 1 saved.

    With use_capacity both stay open, W = 20; without it the capacity is ignored, W = 21.
    """
    t = duplicate_sites(capacity="150")
    assert run(t, welfare=LINEAR).solution.welfare == pytest.approx(21.0, **APPROX)
    s = run(t, welfare=LINEAR, use_capacity=True).solution
    assert s.welfare == pytest.approx(20.0, **APPROX)
    load = s.assignment.assign(pop=100.0).eval("share * pop").groupby(s.assignment["site_id"]).sum()
    assert (load <= 150 + 1e-6).all()


def test_time_limited_run_keeps_its_incumbent_and_gap():
    """A 1 ms limit on M: HiGHS stops at once; whatever it has is reported with status and gap, never dropped."""
    from allocator.instance import load_instance

    from dataclasses import replace

    from allocator.procedures.modes import build, solve

    data = InstanceData.prepare(load_instance("gen:M:0"), Scenario())
    run = build(data)  # a 1 ms limit would stop the build itself (BuildTimeLimit): the solve alone gets it
    run.data = replace(data, scenario=data.scenario.with_changes(solver={"time_limit": 0.001}))
    r = solve(run)
    assert r.report.status in (Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION, Status.OPTIMAL)
    if r.report.status == Status.TIME_LIMIT_FEASIBLE:
        assert r.solution is not None and r.report.mip_gap is not None and r.check.passed
    if r.report.status == Status.TIME_LIMIT_NO_SOLUTION:
        assert r.solution is None


def test_block_structure_counts():
    """Solver-free: row and variable counts of each block on the tiny instance."""
    from allocator.build import build_model

    data = InstanceData.prepare(instance(tiny_tables()), Scenario(hold_harmless="region", keep_last_site=True))
    m, timings = build_model(data)
    assert [n for n in timings] == ["facilities", "coverage", "capacity", "budget", "hold_harmless", "min_service",
                                    "liveability", "welfare", "objective"]
    assert len(m.facilities.open) == 2 and len(m.coverage.reach) == 2      # (a1, gp), (b1, gp)
    assert len(m.budget.flow) == 4 and len(m.budget.domain_balance) == 2   # 2 streams × 2 domains
    assert len(m.hold_harmless.region_total) == 2 and len(m.facilities.keep_last) == 1  # only A had a site
    assert len(m.min_service.minimum) == 2 and len(m.welfare.gain) == 4 * 3


def test_capacity_scale_adds_headroom():
    """capacity_scale = 2: each site can take 300 ≥ 200 people, so one closes again ⇒ W = 21."""
    t = duplicate_sites(capacity="150")
    s = run(t, welfare=LINEAR, use_capacity=True, capacity_scale=2.0).solution
    assert s.welfare == pytest.approx(21.0, **APPROX)


def test_closure_rows_of_a_hand_sized_point():
    """A point of d = 4 reaches group G1 (sites a: 3, b: 2 places) and the lone site c (1 place).

    G1 serves min(1, 5/4) = 1 of it; with a closed min(1, 2/4) = 0.5, with b closed 0.75: share rows
    0.5 + 0.5·y_a and 0.75 + 0.25·y_b (c, alone, has none).  All open, its groups serve Σ f = 1 + 1/4;
    with a closed 0.5 + 0.25 = 0.75: u ≤ 0.75 + 0.25·y_a; with b or c closed still 1: no row."""
    import numpy as np

    from formulations.capacity import closure_rows

    members = pd.DataFrame({"group": ["G1", "G1", "c"], "position": [0, 1, 2], "cap": [3.0, 2.0, 1.0]})
    share, cover = closure_rows(np.array([0, 0]), np.array(["G1", "c"], dtype=object), np.array([4.0, 4.0]), members)
    assert share.to_dict("list") == {"arc": [0, 0], "position": [0, 1], "level": [0.5, 0.75], "slope": [0.5, 0.25]}
    assert cover.to_dict("list") == {"customer": [0], "position": [0], "level": [0.75], "slope": [0.25]}


def test_closure_rows_bound_every_plan_and_leave_the_optimum():
    """Two co-located sites of 150 places and the 200 people of two points that reach both (one customer): the pair
    serves all of them, one site 75 %, so share ≤ 0.75 + 0.25·y_j and u ≤ 0.75 + 0.25·y_j for each site (4 rows).
    The LP relaxation with them bounds the optimum, at most as high as the plain LP's; the optimum holds every row."""
    import numpy as np

    t = duplicate_sites(capacity="150")
    r = run(t, welfare=LINEAR, use_capacity=True)
    hm = r.highs
    n, _, level, _, _, index, value = hm.relaxation_rows
    assert n == 4 and np.allclose(level, 0.75) and np.allclose(value, np.tile([1.0, -0.25], 4))
    activity = np.add.reduceat(value * r.plan_values[index], np.arange(0, 2 * n, 2))
    assert (activity <= level + 1e-9).all()
    with hm.as_lp():
        plain = hm.run_lp()
        with hm.tightened():
            tight = hm.run_lp()
    assert hm.n_rows == r.report.rows  # the rows are gone after the block
    assert r.report.objective - 1e-9 <= tight <= plain + 1e-9


def test_coverage_cuts_keep_the_optimum_and_leave_no_row():
    """The two co-located sites' point has its sites for the coverage cuts; the LP relaxation with them still bounds
    the optimum, every row it kept holds at the optimum, and the model has its own rows only after the block."""
    import numpy as np

    t = duplicate_sites(capacity="150")
    r = run(t, welfare=LINEAR, use_capacity=True)
    hm = r.highs
    assert hm.coverage_cuts is not None and len(hm.coverage_cuts.opened) == 2
    with hm.as_lp(), hm.relaxation_run(None) as bound:
        pass
    assert bound >= r.report.objective - 1e-9 and hm.n_rows == r.report.rows
    n, _, upper, nnz, starts, index, value = hm.relaxation_rows
    activity = np.add.reduceat(value * r.plan_values[index], starts)
    assert (activity <= upper + 1e-9).all()
    # a row found after the basis was kept joins it as a basic row: the warm LP gives the same bound
    from allocator.solver.highs import _row_concat, _row_slice

    u = int(hm.coverage_cuts.served[0])
    hm.relaxation_rows = _row_concat(hm.relaxation_rows, (1, np.array([-np.inf]), np.array([1.0]), 1,
                                                          np.array([0], dtype=np.int32), np.array([u], dtype=np.int32),
                                                          np.array([1.0])))
    assert _row_slice(hm.relaxation_rows, n, n + 1)[5].tolist() == [u]
    assert hm.basis_rows == n
    with hm.as_lp(), hm.relaxation_run(None, warm=True) as again:
        assert hm.n_rows == r.report.rows + n + 1
    assert again == pytest.approx(bound) and hm.basis_rows == n + 1 and hm.n_rows == r.report.rows


def test_coverage_cuts_stop_at_the_pool_limit(monkeypatch):
    """With the pool full no more cuts are sought: the LP relaxation keeps the rows it had."""
    from allocator.solver import highs

    t = duplicate_sites(capacity="150")
    hm = run(t, welfare=LINEAR, use_capacity=True).highs
    held = hm.relaxation_rows[0]
    monkeypatch.setattr(highs, "POOLED_CUTS", 0)
    monkeypatch.setattr(highs.CoverageCuts, "violated", lambda self, x: pytest.fail("sought a cut, the pool full"))
    with hm.as_lp(), hm.relaxation_run(None):
        pass
    assert hm.relaxation_rows[0] == held and hm.pooled_cuts == 0
