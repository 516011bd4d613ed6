"""The three users' questions and the indicators, on hand-solvable cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.data import InstanceData
from allocator.procedures.evaluate import evaluate, read_plan, status_quo
from allocator.procedures.extra_budget import least_extra_budget
from allocator.indicators import gini, theil
from allocator.instance import load_instance
from allocator.procedures.modes import build, solve
from allocator.results import net_deearmarked
from allocator.scenario import Scenario
from regio_cli.main import cli
from tests.conftest import tiny_tables
from tests.helpers import instance, run
from tests.formulations.test_model_blocks import CUT, W_A, W_B1, two_regions, LINEAR


# --- extra budget (the VNG question) on the tiny instance ---------------------------------------------
def no_care_programme_in_b():
    """The tiny instance with B's care programme moved to B's education (care 0, edu 14); streams still pay
    the status quo exactly (care 2 + 0 + gpA 0.5 = 2.5, edu 2 + 14 = 16, half of it de-earmarkable)."""
    t = tiny_tables()
    t["baseline"]["amount"] = [2.0, 2.0, 0.0, 14.0]
    t["streams"]["amount"] = [2.5, 16.0]
    return t


def test_least_extra_budget_by_hand():
    """region-domain: B has no care programme to move into its own care site, and its education may not
    fall below baseline; every stream is spent on the status quo, so opening gpB (0.5 + 0.2 = 0.7 M€) needs
    E* = 0.7.  b2 is out of reach of every site: Q cannot fall below 1000, so B/gp is reported as blocked
    and the target is Q = 1000.  At E* the plan is W = W_A + W_B1 (no cut)."""
    data = InstanceData.prepare(instance(no_care_programme_in_b()), Scenario(hold_harmless="region-domain"))
    res = least_extra_budget(data, epsilon=0.0)
    assert res.extra_budget == pytest.approx(0.7, abs=1e-5)
    assert res.shortfall_floor == pytest.approx(1000.0) and res.target_shortfall == pytest.approx(1000.0)
    assert res.plan.shortfall == pytest.approx(1000.0, abs=5.0)
    assert res.blocked[["region_id", "ftype_id"]].values.tolist() == [["B", "gp"]]
    # the plan may spend the €100 of slack on E* (money_slack): at most 1e-4 M€ × ω_A = 1.3e-4 more W
    assert res.plan.welfare == pytest.approx(W_A + W_B1, abs=2e-4) and res.plan_check.passed
    # redistribution: E = 0 and no hold-harmless ⇒ cut B's education by 0.7 (de-earmarked to care) for B's
    # own site: B's total, facilities included, is unchanged, so nobody loses
    assert res.contrast.welfare == pytest.approx(W_A + W_B1 - CUT, abs=1e-4) and res.contrast_check.passed
    assert res.losers_if_redistributed == 0
    assert res.as_dict()["regions_worse_off"] == 0


def test_region_rule_lets_b_pay_its_care_site_from_education():
    """hold_harmless = region counts B's total only: B may cut 0.7 of education for its care site (E* = 0),
    which region-domain forbids (previous test: E* = 0.7)."""
    data = InstanceData.prepare(instance(no_care_programme_in_b()), Scenario(hold_harmless="region"))
    assert least_extra_budget(data).extra_budget == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("rule", ["region", "region-domain"])
def test_a_region_pays_its_own_site_from_the_paying_domain(rule):
    """Both rules count facility money: B may move 0.7 of its care programme into its own care site, so no
    extra money is needed (E* = 0) and no region ends below its baseline total."""
    data = InstanceData.prepare(instance(tiny_tables()), Scenario(hold_harmless=rule))
    res = least_extra_budget(data)
    assert res.extra_budget == pytest.approx(0.0, abs=1e-6)
    assert res.as_dict()["regions_worse_off"] == 0 and res.plan_check.passed


def test_extra_budget_with_a_loser_under_redistribution():
    """gpB is moved to region A (same place).  Under region-domain A pays it from its own care programme
    (E* = 0); redistribution instead cuts B's care (lower ω) to pay a site counted in A: B loses 0.7 M€,
    the one loser."""
    t = tiny_tables()
    t["sites"].loc[1, "region_id"] = "A"
    data = InstanceData.prepare(instance(t), Scenario(hold_harmless="region-domain"))
    res = least_extra_budget(data)
    assert res.extra_budget == pytest.approx(0.0, abs=1e-5) and res.losers_if_redistributed == 1
    eff = res.region_effects.set_index("region_id")
    assert eff.loc["B", "redistribution_change_meur"] == pytest.approx(-0.7, abs=1e-5)
    assert res.as_dict()["regions_worse_off"] == 0


# --- evaluate (regiotoets) ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s_case(tmp_path_factory):
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario(hold_harmless="region", keep_last_site=True))
    r = solve(build(data))
    folder = tmp_path_factory.mktemp("plan")
    r.solution.write(folder)
    return data, r, folder


def test_evaluate_reproduces_the_solved_plan(s_case):
    data, r, folder = s_case
    ev = evaluate(data, read_plan(folder, data))
    assert ev.feasible and ev.check.passed
    assert ev.solution.welfare == pytest.approx(r.solution.welfare, abs=1e-6)
    assert ev.solution.shortfall == pytest.approx(r.solution.shortfall, abs=1e-6)
    assert ev.as_dict()["welfare_gap"] == pytest.approx(0.0, abs=1e-5)


def test_status_quo_is_feasible_and_never_beats_the_optimum(s_case):
    """model.md invariants 1 and 2: the status quo is feasible; the optimum's objective is at least its."""
    data, r, _ = s_case
    ev = evaluate(data, status_quo(data))
    assert ev.feasible and ev.check.passed
    lam = data.scenario.shortfall_price * 1e-6
    assert r.solution.objective >= ev.solution.welfare - lam * ev.solution.shortfall - 1e-6


def test_broken_plan_is_reported_constraint_by_constraint(s_case, tmp_path):
    data, r, folder = s_case
    alloc = pd.read_csv(folder / "allocation.csv")
    alloc.loc[alloc["region_id"] == "R0001", "plan"] = 0.0          # R0001 far below its baseline
    alloc.loc[alloc["domain_id"] == "housing", "plan"] *= 3          # housing far beyond its money
    alloc.to_csv(tmp_path / "allocation.csv", index=False)
    fac = pd.read_csv(folder / "facilities.csv")
    fac.loc[fac["ftype_id"] == "library", "open"] = 0                # every library closed
    fac.to_csv(tmp_path / "facilities.csv", index=False)
    ev = evaluate(data, read_plan(tmp_path, data))
    names = {(v.constraint.split(" (")[0], v.index) for v in ev.violations}
    assert ("3 hold-harmless", "R0001") in names
    assert ("2 domain balance per payer", "municipality/housing") in names
    assert any(c == "8 keep the last site of a type in a region" for c, _ in names)
    assert not ev.feasible and ev.solution is None


def test_bad_plan_file_names_row_and_column(s_case, tmp_path):
    data, _, folder = s_case
    alloc = pd.read_csv(folder / "allocation.csv")
    alloc.loc[3, "domain_id"] = "culture"
    alloc.to_csv(tmp_path / "allocation.csv", index=False)
    (tmp_path / "facilities.csv").write_text((folder / "facilities.csv").read_text())
    res = CliRunner().invoke(cli, ["evaluate", "gen:S:0", "--plan", str(tmp_path)])
    assert res.exit_code == 1 and "allocation.csv, row 5, column 'domain_id'" in res.output


# --- indicators -----------------------------------------------------------------------------------------
def test_gini_by_hand():
    """Two equal groups with 1 and 3: G = Σ Σ w w |Δ| / 2μ = 2·0.25·2 / (2·2) = 0.25.  Weights 3:1 on
    (1, 3): μ = 1.5, G = 2·0.75·0.25·2 / 3 = 0.25."""
    assert gini([1, 3]) == pytest.approx(0.25)
    assert gini([1, 3], [3, 1]) == pytest.approx(0.25)
    assert gini([2, 2, 2]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # one of four holds all: (n−1)/n


def test_theil_by_hand_and_decomposition():
    """y = (1, 3), equal weights: μ = 2, T = ½(½ ln ½) + ½(3/2 ln 3/2) = 0.13081.
    Groups {1,1,3,3} split as (1,3)|(1,3): between = 0, within = T; split (1,1)|(3,3): between = T."""
    t = 0.5 * 0.5 * np.log(0.5) + 0.5 * 1.5 * np.log(1.5)
    assert theil([1, 3])["total"] == pytest.approx(t)
    mixed = theil([1, 3, 1, 3], groups=["a", "a", "b", "b"])
    assert mixed["between"] == pytest.approx(0.0, abs=1e-12) and mixed["within"] == pytest.approx(t)
    split = theil([1, 1, 3, 3], groups=["a", "a", "b", "b"])
    assert split["between"] == pytest.approx(t) and split["within"] == pytest.approx(0.0, abs=1e-12)


def test_marginal_welfare_equals_finite_difference():
    """Dual of Σ E ≤ E_max (binaries fixed) against re-solving with E_max + 0.5 (same facilities).

    By hand: B's first segment (10 % of 10 = 1 M€, slope 1, ω_B = 4/3) is full at E_max = 1; the next euro
    earns 0.5·4/3 in B's second segment or 1·2/3 in A's first: 2/3 either way."""
    t = two_regions()
    base = run(t, welfare={"breakpoints": [0.1, 0.3], "slopes": [1.0, 0.5], "loss_aversion": 1.5},
               extra_budget=1.0, hold_harmless="region")
    more = run(t, welfare={"breakpoints": [0.1, 0.3], "slopes": [1.0, 0.5], "loss_aversion": 1.5},
               extra_budget=1.5, hold_harmless="region")
    fd = (more.solution.objective - base.solution.objective) / 0.5
    assert base.solution.indicators["marginal_welfare_per_meur"] == pytest.approx(fd, abs=1e-6)
    assert fd == pytest.approx(2 / 3)


def test_price_of_fairness_is_zero_when_the_minimum_costs_nothing():
    """λ on or off changes nothing in the two-region money case (no facilities) ⇒ W = W_max, PoF = 0."""
    r = run(two_regions(), welfare=LINEAR)
    assert r.solution.indicators["price_of_fairness"] == pytest.approx(0.0, abs=1e-9)


def test_price_of_fairness_on_the_tiny_instance():
    """W_max ignores the minimum: λ = 0 optimum W = 0.5333 (gpA closed, see the block tests).  With λ = 2000
    W = W_A + W_B1 − CUT, so PoF = (0.5333 − W)/0.5333."""
    r = run(shortfall_price=2000.0)
    w_max = 0.2 * 4 / 3 + 0.3 * 8 / 9
    assert r.solution.indicators["welfare_max"] == pytest.approx(w_max, abs=1e-6)
    assert r.solution.indicators["price_of_fairness"] == pytest.approx((w_max - (W_A + W_B1 - CUT)) / w_max, abs=1e-6)


def test_net_deearmarking_ignores_circles():
    flows = pd.DataFrame({"stream_id": ["a", "a", "b", "b"], "domain_id": ["x", "y", "y", "x"],
                          "amount": [5.0, 3.0, 4.0, 3.0], "deearmarked": [False, True, False, True]})
    assert net_deearmarked(flows) == pytest.approx(0.0)  # 3 from a to y and 3 from b to x cancel
    flows.loc[3, "amount"] = 1.0
    assert net_deearmarked(flows) == pytest.approx(2.0)  # y receives 3, sends 1


# --- CLI --------------------------------------------------------------------------------------------------
def test_cli_extra_budget_json():
    res = CliRunner().invoke(cli, ["extra-budget", "gen:S:0", "--json"])
    assert res.exit_code == 0, res.output
    j = json.loads(res.output)
    assert {"extra_budget", "status", "losers_if_redistributed", "blocked"} <= set(j)
    assert j["extra_budget"] >= 0 and isinstance(j["blocked"], list)


def test_cli_compare_writes_table_and_workbook(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('name = "base"\n')
    b.write_text('name = "more"\nextra_budget = 50.0\n')
    res = CliRunner().invoke(cli, ["compare", "gen:S:0", "-s", str(a), "-s", str(b), "--out", str(tmp_path / "o"), "--excel"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "o" / "comparison.csv")
    assert table["scenario"].tolist() == ["base", "more"] and (table["check"] == "passed").all()
    assert table.loc[1, "welfare"] > table.loc[0, "welfare"] and table.loc[1, "extra_money"] == pytest.approx(50.0)
    regions = pd.read_csv(tmp_path / "o" / "regions.csv")
    assert "more: change_vs_base_per_inhabitant_eur" in regions
    book = pd.read_excel(tmp_path / "o" / "tables.xlsx", sheet_name="comparison")
    assert "Broad welfare W (M€-eq/yr)" in book.columns


def test_cli_evaluate_status_quo_json():
    res = CliRunner().invoke(cli, ["evaluate", "gen:S:0", "--plan", "status-quo", "--json"])
    assert res.exit_code == 0, res.output
    j = json.loads(res.output)
    assert j["feasible"] and j["check"] == "passed" and j["welfare_gap"] >= -1e-6


def test_marginal_welfare_with_sites_fixed_matches_finite_difference():
    """With binaries (the tiny instance), the LP re-solve must still report its dual (regression: an LP was
    once judged as a MIP without bound and its dual dropped).  Same sites at E_max 0.1 and 0.2."""
    a, b = run(extra_budget=0.1), run(extra_budget=0.2)
    assert a.solution.facilities["open"].tolist() == b.solution.facilities["open"].tolist()
    fd = (b.solution.objective - a.solution.objective) / 0.1
    assert a.solution.indicators["marginal_welfare_per_meur"] == pytest.approx(fd, abs=1e-6)
