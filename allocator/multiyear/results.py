"""A solved programme as tables a programme manager reads, and the summary ``regio programme --json`` prints.

Tables (money in M€ per year of the programme, constant euros; people in persons):

* ``allocation_by_year``: region_id, name, domain_id, year, baseline, plan;
* ``facilities_by_year``: site_id, ftype_id, region_id, name, year, open;
* ``projects``: every agenda project with its ``start_year`` (empty: not started);
* ``region_totals_by_year``: the one-year region totals per year (``regio solve``'s columns) and ``outlays_meur``,
  the year's municipal opening costs and agenda projects in the region (included in ``plan_municipal_meur``);
* ``money_by_year``: per year the streams, programmes, running costs of sites, opening costs, projects and
  extra money.

Headline: ``welfare`` is the discounted W = Σ_t δ^(t−1) W_t (M€-equivalent, the objective's welfare);
``shortfall`` Σ_t Q_t in person-service-years; ``people_short`` Σ_t of the people short of a basic-package
service, in person-years; ``years`` has each year's undiscounted values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allocator.export import write_csv
from allocator.instance import PROGRAMME_PAYER
from allocator.multiyear.model import ProgrammeRun
from allocator.results import Solution, extract
from allocator.status import SolveReport
from allocator.units import EUR_TO_MEUR

UNITS = {"welfare": "M€-equivalent, discounted sum over the years (δ = 1/(1 + discount_rate))",
         "shortfall": "person-services below the minimum, summed over the years (person-service-years)",
         "people_short": "people short of at least one basic-package service, summed over the years (person-years)",
         "years.welfare": "M€-equivalent in that year, undiscounted, before the disruption cost of site changes "
                          "(W counts κ once per change: site_change_cost_meur)", "years.shortfall": "person-services",
         "years.people_short": "persons", "years.extra_money": "M€", "years.spending": "M€: programmes, sites of every "
         "payer, opening costs and agenda projects", "money": "constant euros of the instance's year"}


@dataclass
class ProgrammeSolution:
    report: SolveReport
    welfare: float
    shortfall: float
    objective: float
    years: list[Solution]
    welfare_by_year: list[float]
    allocation_by_year: pd.DataFrame
    facilities_by_year: pd.DataFrame
    projects: pd.DataFrame
    region_totals_by_year: pd.DataFrame
    money_by_year: pd.DataFrame
    calendar: tuple[int, ...] = ()
    changes: dict = field(default_factory=dict)  # site_changes (count) and site_change_cost_meur (κ × count)
    extra: dict = field(default_factory=dict)

    TABLES = ("allocation_by_year", "facilities_by_year", "projects", "region_totals_by_year", "money_by_year")

    @property
    def people_short(self) -> float:
        return float(sum(s.people_short for s in self.years))

    def year_rows(self) -> list[dict]:
        money = self.money_by_year.set_index("year")
        return [{"year": yr, "welfare": w, "shortfall": s.shortfall, "people_short": s.people_short,
                 "extra_money": float(money.at[yr, "extra_meur"]), "spending": float(money.at[yr, "spending_meur"]),
                 "sites_open": int(s.facilities["open"].sum()),
                 "projects_running": int(money.at[yr, "projects_running"])}
                for yr, w, s in zip(self.calendar, self.welfare_by_year, self.years)]

    def headline(self) -> dict:
        return {**self.report.as_dict(), "objective": self.objective, "welfare": self.welfare,
                "shortfall": self.shortfall, "people_short": self.people_short, **self.changes,
                "years": self.year_rows(), "units": UNITS, **self.extra}

    def write(self, folder: Path, scenario_toml: str, summary: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.TABLES:
            write_csv(getattr(self, name), folder / f"{name}.csv")
        (folder / "scenario.toml").write_text(scenario_toml, encoding="utf-8")
        (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=float), encoding="utf-8")


def extract_programme(run: ProgrammeRun) -> ProgrammeSolution:
    """Every year's one-year solution plus the programme's own tables (requires a solution)."""
    h, m, hm, report = run.horizon, run.model, run.highs, run.report
    years = [extract(m.year[t], hm, d, report) for t, d in enumerate(h.year_data, start=1)]
    cal = h.years
    alloc = pd.concat([s.allocation[["region_id", "name", "domain_id", "baseline", "plan"]].assign(year=yr)
                       for yr, s in zip(cal, years)], ignore_index=True)
    alloc = alloc[["region_id", "name", "domain_id", "year", "baseline", "plan"]]
    fac = pd.concat([s.facilities[["site_id", "ftype_id", "region_id", "name", "open"]].assign(year=yr)
                     for yr, s in zip(cal, years)], ignore_index=True)
    fac = fac[["site_id", "ftype_id", "region_id", "name", "year", "open"]]
    starts = {pid: cal[t - 1] for (pid, t), z in m.project_start.items() if hm.value(z) > 0.5}
    projects = h.projects.drop(columns=["agenda"], errors="ignore").copy()
    projects["start_year"] = projects["project_id"].map(starts).astype("Int64")
    outlays = programme_outlays(h, fac, projects)
    totals = []
    for yr, s in zip(cal, years):
        rt = s.region_totals.copy()
        own = outlays[(outlays["year"] == yr) & (outlays["pool"] == PROGRAMME_PAYER)].groupby("region_id")["amount"].sum()
        rt["outlays_meur"] = rt["region_id"].map(own).fillna(0.0).round(6)
        rt["plan_municipal_meur"] = (rt["plan_municipal_meur"] + rt["outlays_meur"]).round(6)
        rt["municipal_change_meur"] = (rt["plan_municipal_meur"] - rt["baseline_municipal_meur"]).round(6) + 0.0
        rt.insert(0, "year", yr)
        totals.append(rt)
    money = money_by_year(h, years, outlays, projects)
    welfare_by_year = [hm.value(m.welfare_year[t]) for t in range(1, h.T + 1)]
    opened = opening_years(h, fac)
    y = fac.pivot_table(index="site_id", columns="year", values="open", aggfunc="first").reindex(
        index=h.data.sites.index, columns=list(cal)).fillna(0)
    count = int((h.data.sites["existing"] & (y[cal[-1]] < 0.5)).sum() + 2 * len(opened)
                - (~h.data.sites["existing"] & (y[cal[-1]] > 0.5)).sum())
    changes = {"site_changes": count,
               "site_change_cost_meur": count * h.data.scenario.site_change_cost * EUR_TO_MEUR}
    return ProgrammeSolution(report=report, welfare=hm.value(m.W), shortfall=float(sum(s.shortfall for s in years)),
                             objective=report.objective if report.objective is not None else float("nan"),
                             years=years, welfare_by_year=welfare_by_year, allocation_by_year=alloc,
                             facilities_by_year=fac, projects=projects, region_totals_by_year=pd.concat(totals, ignore_index=True),
                             money_by_year=money, calendar=cal, changes=changes)


def opening_years(h, facilities_by_year: pd.DataFrame) -> pd.Series:
    """site_id → the year a candidate's opening was decided: its first open year minus its type's lead time."""
    sites = h.data.sites
    fac = facilities_by_year[facilities_by_year["open"] > 0.5]
    fac = fac[fac["site_id"].map(~sites["existing"]).astype(bool)]
    first = fac.groupby("site_id")["year"].min()
    return first - first.index.map(sites["ftype_id"]).map(h.lead).astype(int)


def programme_outlays(h, facilities_by_year: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """(year, region_id, pool, domain_id, amount, kind): opening costs in the decision year, projects while running.

    Recomputed from the tables (the checker uses it too): which sites open when, which projects start when.
    """
    sites = h.data.sites
    inst = h.data.instance
    payer = sites["ftype_id"].map(inst.facility_types["payer"])
    pool = payer.where(~payer.isin([PROGRAMME_PAYER, *h.data.scenario.pooled_payers]), PROGRAMME_PAYER)
    opened = opening_years(h, facilities_by_year)
    o = inst.sites["opening_cost"].reindex(opened.index).to_numpy(float) * h.data.scenario.programme.opening_cost_factor
    rows = pd.DataFrame({"year": opened.to_numpy(), "region_id": sites.loc[opened.index, "region_id"].to_numpy(),
                         "pool": pool.reindex(opened.index).to_numpy(), "domain_id": sites.loc[opened.index, "domain_id"].to_numpy(),
                         "amount": o, "kind": "opening"})
    parts = [rows]
    pr = h.project_regions
    started = projects.dropna(subset=["start_year"])
    for _, p in started.iterrows():
        run_years = [y for y in range(int(p["start_year"]), int(p["start_year"]) + int(p["duration"])) if y in h.years]
        mine = pr[pr["project_id"] == p["project_id"]]
        for y in run_years:
            parts.append(pd.DataFrame({"year": y, "region_id": mine["region_id"].to_numpy(), "pool": PROGRAMME_PAYER,
                                       "domain_id": p["domain_id"], "amount": float(p["cost_per_year"]) * mine["share"].to_numpy(),
                                       "kind": "project"}))
    out = pd.concat(parts, ignore_index=True)
    return out[out["amount"] != 0].reset_index(drop=True) if len(out) else out


def money_by_year(h, years: list[Solution], outlays: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for yr, s, d in zip(h.years, years, h.year_data):
        y = s.facilities.set_index("site_id")["open"].reindex(d.sites.index).to_numpy(float)
        o = outlays[outlays["year"] == yr]
        running = projects.dropna(subset=["start_year"])
        n_run = int(((running["start_year"].astype(int) <= yr) & (yr < running["start_year"].astype(int) + running["duration"])).sum())
        row = {"year": yr, "streams_meur": float(d.streams["amount"].sum()),
               "programmes_meur": float(s.allocation["plan"].sum()),
               "sites_meur": float((d.sites["operating_cost"].to_numpy(float) * y).sum()),
               "openings_meur": float(o.loc[o["kind"] == "opening", "amount"].sum()),
               "projects_meur": float(o.loc[o["kind"] == "project", "amount"].sum()),
               "extra_meur": float(s.extra["extra"].sum()), "projects_running": n_run}
        row["spending_meur"] = row["programmes_meur"] + row["sites_meur"] + row["openings_meur"] + row["projects_meur"]
        rows.append(row)
    return pd.DataFrame(rows).round(6)

