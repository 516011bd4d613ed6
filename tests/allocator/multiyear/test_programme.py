"""The programme horizon (model.md "Programme horizon") on cases small enough to solve by hand.

Library town: one region R (1,000 residents in two places, ω = 1), one domain ``culture`` (mw 1),
programmes b = 10 M€.  Welfare curves are linear (f = x − b, a cut costing 1 per M€) unless a case
says otherwise, and the discount rate is 0, so W is the plain sum of the years.
"""

from __future__ import annotations

import pandas as pd
import pytest

import allocator
from allocator.data import InstanceData
from allocator.multiyear.run import run_programme
from allocator.scenario import Scenario
from tests.helpers import LINEAR, instance, money_only

APPROX = dict(abs=1e-5)
NO_DISCOUNT = {"discount_rate": 0.0}


def library_town(stream: float = 12.0, value: float = 2000.0, existing: bool = False, opening: float = 2.0,
                 running: float = 0.5) -> dict:
    """One library site L reaching both places (1,000 people × ``value`` € = value/1000 M€ a year)."""
    return {
        "regions": pd.DataFrame({"region_id": ["R"], "name": ["Rivierstad"], "population": [1000], "bw_index": [1.0],
                                 "province": ["P"], "tags": ["prog"]}),
        "domains": pd.DataFrame([{"domain_id": "culture", "name": "Culture", "marginal_welfare": 1.0}]),
        "streams": pd.DataFrame([{"stream_id": "gf", "name": "Fund", "domain_id": "culture", "amount": stream,
                                  "deearmark_share": 0.0}]),
        "baseline": pd.DataFrame([{"region_id": "R", "domain_id": "culture", "amount": 10.0}]),
        "facility_types": pd.DataFrame([{"ftype_id": "lib", "name": "Library", "domain_id": "culture", "norm": 5,
                                         "norm_unit": "km", "required_share": 0, "welfare_value": value,
                                         "basic_package": False}]),
        "demand_points": pd.DataFrame([
            {"point_id": "P1", "region_id": "R", "name": "Centrum", "population": 500, "lat": 52.0, "lon": 5.0},
            {"point_id": "P2", "region_id": "R", "name": "Dorp", "population": 500, "lat": 52.01, "lon": 5.0}]),
        "sites": pd.DataFrame([{"site_id": "L", "ftype_id": "lib", "region_id": "R", "name": "Bibliotheek", "lat": 52.0,
                                "lon": 5.0, "existing": existing, "operating_cost": running, "opening_cost": opening,
                                "capacity": None}]),
    }


def plan(tables, years, projects=None, welfare=LINEAR, **scenario):
    programme = {**NO_DISCOUNT, **scenario.pop("programme", {})}
    data = InstanceData.prepare(instance(tables), Scenario(welfare=welfare, programme=programme, **scenario))
    r = run_programme(data, years, projects=projects)
    assert r.status == "optimal"
    r.check_result.raise_if_failed()
    return r


def open_years(r, site="L"):
    f = r.facilities_by_year
    return f.loc[(f["site_id"] == site) & (f["open"] == 1), "year"].tolist()


def test_one_year_is_the_one_year_model():
    """T = 1 gives the one-year model's answer (same W, Q and sites) on a generated instance and the tiny one."""
    for inst in ("gen:S:0",):
        one = allocator.solve(inst, site_change_cost=5000, hold_harmless="region")
        prog = allocator.programme(inst, years="2026", site_change_cost=5000, hold_harmless="region")
        assert prog.check == "passed"
        assert prog.welfare == pytest.approx(one.welfare, rel=2e-4)
        assert prog.shortfall == pytest.approx(one.shortfall, rel=2e-4, abs=1.0)


def test_opening_cost_falls_in_the_opening_year():
    """Spare money 2 M€/yr (12 − 10), each worth 1.  Opening L costs o = 2 once and 0.5 a year, and covers 1,000
    people at 2,000 € = 2 M€/yr.  None: 2 + 2 = 4.  Open in 2026: (2 − 2.5 + 2) + (2 − 0.5 + 2) = 1.5 + 3.5 = 5.
    Open in 2027: 2 + 1.5 = 3.5.  ⇒ open in 2026, W = 5; charged every year (the one-year model's annualised o)
    it would never pay: 2 × (2 − 2.5 + 2) = 3 < 4."""
    r = plan(library_town(), "2026-2027")
    assert r.welfare == pytest.approx(5.0, **APPROX)
    assert open_years(r) == [2026, 2027]
    money = r.money_by_year.set_index("year")
    assert money.loc[2026, "openings_meur"] == pytest.approx(2.0)
    assert money.loc[2027, "openings_meur"] == pytest.approx(0.0)


def test_lead_time_delays_service_not_cost():
    """Lead time 1: decided (and paid) in t, L serves from t + 1.  Two years: decide 2026 → 0 + 3.5 = 3.5 < 4 ⇒ no
    opening.  Three years: decide 2026 → (2 − 2) + 3.5 + 3.5 = 7 > 6 (none), decide 2027 → 2 + 0 + 3.5 = 5.5
    ⇒ decided 2026, serving 2027-2028, W = 7."""
    two = plan(library_town(), "2026-2027", programme={"lead_time": {"lib": 1}})
    assert open_years(two) == [] and two.welfare == pytest.approx(4.0, **APPROX)
    three = plan(library_town(), "2026-2028", programme={"lead_time": {"lib": 1}})
    assert three.welfare == pytest.approx(7.0, **APPROX)
    assert open_years(three) == [2027, 2028]
    assert three.money_by_year.set_index("year").loc[2026, "openings_meur"] == pytest.approx(2.0)


def _closure_case():
    """Existing L (1 M€/yr, covers 1,000 people at 1,200 € = 1.2).  f: gains up to 0.1 b = 1 M€ at slope 1, nothing
    beyond, a cut costs 1.5 per M€.  Stream 11 (spare 1).  Project P (cost 3 in its one running year, earliest
    2027, 10 M€-eq/yr once done).  Per year alone: 2026 keep L (0 + 1.2 > 1 + 0); 2027 with P running close L
    (cut 2: −3 > cut 3 + 1.2 = −3.3); 2028 keep (1.2 > 1)."""
    tables = library_town(stream=11.0, value=1200.0, existing=True, opening=0.0, running=1.0)
    projects = pd.DataFrame([{"project_id": "P", "name": "Cultuurhuis", "region": "R", "domain_id": "culture",
                              "cost_per_year": 3.0, "duration": 1, "earliest_start": 2027, "welfare_per_year": 10.0}])
    welfare = {"breakpoints": [0.1], "slopes": [1.0], "loss_aversion": 1.5}
    return tables, projects, welfare


def test_a_closed_site_stays_closed_and_projects_start_once():
    """Closures are final: keep all years 1.2 − 3.3 + 1.2 = −0.9; close from 2027: 1.2 − 3 + 1 = −0.8 (reopening in
    2028 would give −0.6 but is not allowed).  P starts in 2027 (in 2028 it would finish after the horizon) and
    adds 10 in 2028 ⇒ W = 9.2, L open in 2026 only."""
    tables, projects, welfare = _closure_case()
    r = plan(tables, "2026-2028", projects=projects, welfare=welfare)
    assert r.welfare == pytest.approx(9.2, **APPROX)
    assert open_years(r) == [2026]
    assert r.projects.set_index("project_id").loc["P", "start_year"] == 2027
    assert r.money_by_year.set_index("year")["projects_meur"].tolist() == pytest.approx([0.0, 3.0, 0.0])


def test_minimum_open_years_keep_a_new_site_open():
    """The closure case with L a candidate (no opening cost) and r = 100 % (δ = 0.5, which breaks the tie between
    opening in 2026 and in 2028).  L_k = 1: open 2026 only: 1.2 − 0.5·3 + 0.25·1 = −0.05 (2028 only: −0.2; all
    years: −0.15), plus P's 10 in 2028 at 0.25 ⇒ W = 2.45.  L_k = 3 (to the end): 2026 means all three years
    (−0.15), 2028 only −0.2, never 1 − 1.5 + 0.25 = −0.25 ⇒ open 2026-2028, W = 2.35."""
    tables, projects, welfare = _closure_case()
    tables["sites"].loc[0, "existing"] = False
    free = plan(tables, "2026-2028", projects=projects, welfare=welfare,
                programme={"min_open_years": {"lib": 1}, "discount_rate": 1.0})
    assert open_years(free) == [2026] and free.welfare == pytest.approx(2.45, **APPROX)
    held = plan(tables, "2026-2028", projects=projects, welfare=welfare,
                programme={"min_open_years": {"lib": 3}, "discount_rate": 1.0})
    assert open_years(held) == [2026, 2027, 2028] and held.welfare == pytest.approx(2.35, **APPROX)


def _money_town():
    return money_only([("R", 1000, 1.0, "")], [("d1", 0.5), ("d2", 1.0)],
                      [("s1", "d1", 10.0, 0.5), ("s2", "d2", 10.0, 0.0)], [("R", "d1", 10.0), ("R", "d2", 10.0)])


def test_deearmarking_phase_in_and_stream_growth():
    """θ path [0, 1]: 2026 nothing moves (W 0); 2027 up to 0.5 × 10 moves from d1 (cut costs 0.5/M€) to d2 (gains
    1/M€): +2.5.  With s2 growing 10 %: 1 M€ more for d2 in 2027: W = 3.5."""
    r = plan(_money_town(), "2026-2027", programme={"deearmark_path": [0.0, 1.0]})
    assert r.welfare == pytest.approx(2.5, **APPROX)
    g = plan(_money_town(), "2026-2027", programme={"deearmark_path": [0.0, 1.0], "stream_growth": {"s2": 0.1}})
    assert g.welfare == pytest.approx(3.5, **APPROX)
    assert g.money_by_year["streams_meur"].tolist() == pytest.approx([20.0, 21.0])


def test_phase_in_limits_yearly_change_and_the_envelope_caps_extra_money():
    """Stream 12 for b = 10, f linear: x = 12 in both years, W = 4.  Phase-in φ = 0.1: |x_t − x_t−1| ≤ 1 ⇒ 11 then
    12, W = 3.  Extra money 5 a year with an envelope of 6: W = 4 + 6 = 10 (10 + 4 without the envelope)."""
    tables = library_town(stream=12.0)
    tables["sites"] = tables["sites"].iloc[0:0]
    assert plan(tables, "2026-2027").welfare == pytest.approx(4.0, **APPROX)
    phased = plan(tables, "2026-2027", programme={"phase_in": 0.1})
    assert phased.welfare == pytest.approx(3.0, **APPROX)
    assert phased.allocation_by_year["plan"].tolist() == pytest.approx([11.0, 12.0])
    capped = plan(tables, "2026-2027", extra_budget=5.0, programme={"extra_envelope": 6.0})
    assert capped.welfare == pytest.approx(10.0, **APPROX)
    assert sum(y["extra_money"] for y in capped.summary()["years"]) == pytest.approx(6.0)


def test_discounting_weights_later_years_less():
    """Opening case with r = 25 %: δ = 0.8; open 2026: 1.5 + 0.8 × 3.5 = 4.3 > none 2 + 1.6 = 3.6."""
    r = plan(library_town(), "2026-2027", programme={"discount_rate": 0.25})
    assert r.welfare == pytest.approx(4.3, **APPROX)
    assert [y["welfare"] for y in r.summary()["years"]] == pytest.approx([1.5, 3.5])


def test_hold_harmless_holds_in_every_year():
    """Two regions A, B (b 10 each, one stream of 20), A's ω higher (bw 0.5, α 1): with hold-harmless none
    money moves to A; with 'region' nothing moves in any year."""
    tables = money_only([("A", 1000, 0.5, ""), ("B", 1000, 1.0, "")], [("d", 1.0)], [("s", "d", 20.0, 0.0)],
                        [("A", "d", 10.0), ("B", "d", 10.0)])
    free = plan(tables, "2026-2028")
    assert (free.region_totals_by_year["municipal_change_meur"] < -1e-6).any()
    held = plan(tables, "2026-2028", hold_harmless="region")
    assert (held.region_totals_by_year["municipal_change_meur"] > -1e-6).all()


def test_monitoring_with_the_plan_as_realised_reproduces_the_programme(tmp_path):
    """Realised = planned: the re-plan from 2027 has the programme's objective over the whole horizon."""
    tables, projects, welfare = _closure_case()
    r = plan(tables, "2026-2028", projects=projects, welfare=welfare)
    folder = r.to_folder(tmp_path / "P")
    m = _monitor(folder, folder, 2027, tables)
    assert m.check == "passed" and m.deviations == []
    assert m.solution.objective == pytest.approx(r.solution.objective, rel=1e-6)
    assert m.summary()["effect_on_objective"] == pytest.approx(0.0, abs=1e-6)


def test_monitoring_reports_a_realised_year_that_broke_hold_harmless(tmp_path):
    """A realised 2026 with R's programmes 2 M€ below baseline under hold-harmless 'region' is a deviation; the
    re-plan keeps 2027 hold-harmless and the deviation costs 2 + 2 = 4 M€-eq (planned 12, realised 8)."""
    tables = library_town(stream=12.0)
    tables["sites"] = tables["sites"].iloc[0:0]
    r = plan(tables, "2026-2027", hold_harmless="region")
    folder = r.to_folder(tmp_path / "P")
    real = tmp_path / "R"
    real.mkdir()
    alloc = pd.read_csv(folder / "allocation_by_year.csv")
    alloc.loc[alloc["year"] == 2026, "plan"] = 8.0
    alloc.to_csv(real / "allocation_by_year.csv", index=False)
    pd.read_csv(folder / "facilities_by_year.csv").to_csv(real / "facilities_by_year.csv", index=False)
    m = _monitor(folder, real, 2027, tables)
    assert m.check == "passed"
    assert any("2026" in d and "hold-harmless" in d for d in m.deviations)
    assert m.summary()["effect_on_objective"] == pytest.approx(-4.0, abs=1e-6)
    row = m.plan_vs_realised().set_index("year").loc[2026]
    assert row["kind"] == "realised" and row["difference_meur"] == pytest.approx(-4.0, abs=1e-6)


def _monitor(programme, realised, year, tables):
    """monitor() reloads the instance named in run.json; an in-code instance is written to a folder first."""
    import json

    from tests.conftest import write_instance

    inst_dir = write_instance(programme.parent / "instance", tables)
    record = json.loads((programme / "run.json").read_text())
    record["instance"] = str(inst_dir)
    (programme / "run.json").write_text(json.dumps(record))
    return allocator.monitor(programme, realised, year)


def test_the_commands_write_the_specified_json_and_folder(tmp_path):
    """regio programme --json: the specified keys, one entry per year; the folder's files; regio monitor reproduces
    the objective; regio template kansenagenda writes the workbook."""
    import json

    from click.testing import CliRunner

    from regio_cli.main import cli

    runner = CliRunner()
    out = tmp_path / "P"
    res = runner.invoke(cli, ["programme", "gen:S:0", "--years", "2026-2027", "--set", "site_change_cost=5000",
                              "--out", str(out), "--json", "--report"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output)
    for key in ("status", "mip_gap", "objective", "welfare", "shortfall", "people_short", "check", "build_seconds",
                "solve_seconds", "rows", "columns", "binaries", "years"):
        assert key in s
    assert [y["year"] for y in s["years"]] == [2026, 2027] and s["check"] == "passed"
    assert set(s["years"][0]) >= {"year", "welfare", "shortfall", "people_short", "extra_money", "spending"}
    for name, columns in (("allocation_by_year", ["region_id", "name", "domain_id", "year", "baseline", "plan"]),
                          ("facilities_by_year", ["site_id", "ftype_id", "region_id", "name", "year", "open"]),
                          ("projects", ["project_id", "name", "region", "domain_id", "start_year"])):
        assert set(columns) <= set(pd.read_csv(out / f"{name}.csv", nrows=1).columns)
    for name in ("region_totals_by_year.csv", "scenario.toml", "summary.json", "report.html"):
        assert (out / name).exists()
    mon = runner.invoke(cli, ["monitor", "--programme", str(out), "--realised", str(out), "--from-year", "2027", "--json"])
    assert mon.exit_code == 0, mon.output
    m = json.loads(mon.output)
    assert m["objective"] == pytest.approx(s["objective"], rel=5e-3)
    assert m["check"] == "passed"
    book = tmp_path / "agenda.xlsx"
    assert runner.invoke(cli, ["template", "kansenagenda", "gen:S:0", "--out", str(book)]).exit_code == 0
    assert book.exists()
    bad = runner.invoke(cli, ["programme", "gen:S:0", "--years", "2030-2026"])
    assert bad.exit_code == 1 and "the last year comes before the first" in bad.output


def test_monitoring_takes_updated_stream_amounts(tmp_path):
    """Realised = planned, but streams_by_year.csv says the fund brings 14 in 2027 instead of 12: the re-plan
    spends the 2 M€ more in 2027 (f linear: +2 M€-eq)."""
    tables = library_town(stream=12.0)
    tables["sites"] = tables["sites"].iloc[0:0]
    r = plan(tables, "2026-2027")
    folder = r.to_folder(tmp_path / "P")
    pd.DataFrame({"stream_id": ["gf"], "year": [2027], "amount": [14.0]}).to_csv(folder / "streams_by_year.csv",
                                                                                 index=False)
    m = _monitor(folder, folder, 2027, tables)
    assert m.check == "passed"
    assert m.summary()["effect_on_objective"] == pytest.approx(2.0, abs=1e-6)
    assert m.money_by_year.set_index("year").loc[2027, "streams_meur"] == pytest.approx(14.0)


def test_the_report_shows_the_indicator_series_beside_the_plan(tmp_path):
    """An instance with yearly broad-welfare indicators: the programme's report has the municipality picker."""
    from click.testing import CliRunner

    from regio_cli.main import cli
    from tests.conftest import TINY_MANIFEST, tiny_tables, write_instance

    folder = write_instance(tmp_path / "inst", tiny_tables(), {**TINY_MANIFEST, "indicator_series": "bw.csv"})
    rows = [(r, ind, y, v + y - 2013) for r in ("A", "B") for ind, v in (("income", 30.0), ("health", 70.0))
            for y in range(2013, 2024)]
    pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"]).to_csv(folder / "bw.csv", index=False)
    res = CliRunner().invoke(cli, ["programme", str(folder), "--years", "2026-2028", "--out", str(tmp_path / "P"),
                                   "--report"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "P" / "report.html").read_text(encoding="utf-8")
    assert "Broad welfare beside the plan" in page and '"gemeente"' in page and "Alpha" in page
