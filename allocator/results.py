"""Extract: solver values into a typed :class:`Solution` of frames a planner can read.

Frames (money in M€/yr, per capita in €/inhabitant/yr, people in persons):

* ``allocation``: region × domain: baseline, plan, change, per-capita plan and change;
* ``flows``: stream × domain money; ``deearmarked`` marks money spent outside the stream's domain;
* ``extra``: extra money per domain;
* ``facilities``: every site with ``existing``, ``open`` and ``decision`` (keep / open / close / not opened);
* ``coverage``: (point, type) covered share for pairs with a site in reach;
* ``region_coverage``: region × type (every type): population, covered persons, covered share;
* ``shortfall_table``: region × type: population, required persons, covered persons, shortfall;
* ``liveability``: points that may keep their basic package and the share that does;
* ``assignment`` (capacity option only): share of a point's demand served at each site;
* ``region_totals``: per region, baseline and plan totals with facilities, programme and facility
  changes, sites opened and closed (:mod:`allocator.region_totals`).

Two counts of people below the minimum, which differ and are both reported:

* ``shortfall`` Q = Σ_{r,k} q_rk, in *person-services*: a person short of two facility types counts
  twice.  It splits into ``shortfall_unreachable`` (persons no candidate site can reach within the
  norm, whatever the budget: Σ_{r,k} max(0, σ_k pop_rk − reachable_rk)) and ``shortfall_by_choice``
  (the rest: left unserved at this price λ and this budget);
* ``people_short`` = Σ_i pop_i (1 − min_{k basic} u_ik), distinct persons short of at least one
  basic-package service (every type with a required share when no type is marked basic).

A time-limited run still yields its incumbent here, with its status and gap.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.data import InstanceData, values_at
from allocator.export import PAGE_SECTIONS, csv_text, write_csv, write_excel
from allocator.prechecks import unservable
from allocator.region_totals import region_totals, regions_worse_off
from allocator.scenario import Scenario
from allocator.solver.highs import HighsModel
from formulations.min_service import PERSONS_PER_UNIT
from allocator.status import SolveReport
from allocator.units import EUR_PER_MEUR


@dataclass(frozen=True)
class Solution:
    report: SolveReport | None  # None only between extract_plan and with_report
    scenario: Scenario
    welfare: float
    shortfall: float
    shortfall_worst: float
    objective: float
    allocation: pd.DataFrame
    flows: pd.DataFrame
    extra: pd.DataFrame
    facilities: pd.DataFrame
    coverage: pd.DataFrame
    shortfall_table: pd.DataFrame
    liveability: pd.DataFrame
    region_coverage: pd.DataFrame | None = None
    assignment: pd.DataFrame | None = None
    region_totals: pd.DataFrame | None = None
    people_short: float = float("nan")
    shortfall_unreachable: float = float("nan")
    extract_seconds: float = 0.0
    stages: tuple[dict, ...] = field(default_factory=tuple)
    indicators: dict = field(default_factory=dict)
    # (table, dialect) -> (the table, its CSV text), rendered before the folder is written (:meth:`render_csv`)
    csv_cache: dict = field(default_factory=dict, compare=False, repr=False)
    # the page's sections drawn from those CSV texts (allocator.reports.page.drawn_sections), written beside them
    page_sections: str | None = field(default=None, compare=False, repr=False)

    TABLES = ("region_totals", "allocation", "flows", "extra", "facilities", "coverage", "region_coverage", "shortfall_table",
              "liveability", "assignment")

    @property
    def shortfall_by_choice(self) -> float:
        """Person-services left below the minimum that some site could reach: a choice at this λ and budget."""
        return max(self.shortfall - self.shortfall_unreachable, 0.0)

    @property
    def regions_worse_off(self) -> int:
        return regions_worse_off(self.region_totals) if self.region_totals is not None else 0

    def headline(self) -> dict:
        f = self.facilities
        return {
            **self.report.as_dict(),
            "welfare": self.welfare, "shortfall": self.shortfall, "shortfall_unit": "person-services",
            "shortfall_unreachable": self.shortfall_unreachable, "shortfall_by_choice": self.shortfall_by_choice,
            "people_short": self.people_short, "shortfall_worst": self.shortfall_worst,
            "regions_worse_off": self.regions_worse_off,
            "objective_value": self.objective, "extract_seconds": self.extract_seconds,
            "extra_money": float(self.extra["extra"].sum()),
            "deearmarked_money": net_deearmarked(self.flows),
            "sites_opened": int((f["decision"] == "open").sum()), "sites_closed": int((f["decision"] == "close").sum()),
            "regions_below_minimum": int(self.shortfall_table.loc[self.shortfall_table["shortfall"] > 0.5, "region_id"].nunique()),
            **self.indicators,
            "stages": list(self.stages),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.TABLES if getattr(self, name) is not None}

    def render_csv(self, dialect: str = "plain") -> None:
        """Render every table's CSV now, for :meth:`write` (a what-if does it while HiGHS proves the plan)."""
        for name, frame in self.tables().items():
            self.csv_cache[(name, dialect)] = (frame, csv_text(frame, dialect))

    def _rendered(self, name: str, frame: pd.DataFrame, dialect: str) -> str | None:
        """The CSV text rendered for ``frame`` (this very table) in ``dialect``, if any."""
        cached = self.csv_cache.get((name, dialect))
        return cached[1] if cached is not None and cached[0] is frame else None

    def write(self, folder: Path, excel: bool = False, run_record: str | None = None, csv_dialect: str = "plain",
              summary: dict | None = None) -> None:
        """All tables as CSV (and one Excel workbook), the resolved scenario as TOML, ``summary`` (default: the
        headline) as JSON, and ``run.json`` (command and instance) when given."""
        folder.mkdir(parents=True, exist_ok=True)
        if run_record is not None:
            (folder / "run.json").write_text(run_record, encoding="utf-8")
        for name, frame in self.tables().items():
            write_csv(frame, folder / f"{name}.csv", csv_dialect, text=self._rendered(name, frame, csv_dialect))
        if excel:
            write_excel(self.tables(), folder / "result.xlsx")
        (folder / "scenario.toml").write_text(self.scenario.to_toml(), encoding="utf-8")
        (folder / "summary.json").write_text(json.dumps(summary if summary is not None else self.headline(), indent=2,
                                                        default=float), encoding="utf-8")
        if self.page_sections is not None:  # a page uses them only while they match the files written here
            (folder / PAGE_SECTIONS).write_text(self.page_sections, encoding="utf-8")


def extract(m, hm: HighsModel, data: InstanceData, report: SolveReport, stages: tuple[dict, ...] = ()) -> Solution:
    """Read every decision of the solved model into frames (requires a solution)."""
    return with_report(extract_plan(m, hm, data), report, stages)


def with_report(sol: Solution, report: SolveReport, stages: tuple[dict, ...] = ()) -> Solution:
    """``sol`` as the plan of the run that ``report`` describes (its status, gap, objective and stages)."""
    return replace(sol, report=report, objective=report.objective if report.objective is not None else float("nan"),
                   stages=stages)


def extract_plan(m, hm: HighsModel, data: InstanceData) -> Solution:
    """:func:`extract` without a report yet (``report`` None): a plan read before its run has ended."""
    t0 = time.perf_counter()
    b = m.budget
    keys = list(b.spend.keys())
    plan = hm.values_by_key(b.spend, keys)
    alloc = pd.DataFrame(keys, columns=["region_id", "domain_id"])
    alloc.insert(1, "name", alloc["region_id"].map(data.regions["name"]).to_numpy())
    alloc["baseline"] = data.baseline.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
    alloc["plan"] = plan
    alloc["change"] = alloc["plan"] - alloc["baseline"]
    pop = alloc["region_id"].map(data.regions["population"]).to_numpy(float)
    alloc["plan_per_capita_eur"] = alloc["plan"] * EUR_PER_MEUR / pop
    alloc["change_per_capita_eur"] = alloc["change"] * EUR_PER_MEUR / pop

    fkeys = list(b.flow.keys())
    flows = pd.DataFrame(fkeys, columns=["stream_id", "domain_id"])
    flows["amount"] = hm.values_by_key(b.flow, fkeys)
    flows["deearmarked"] = flows["domain_id"].to_numpy() != flows["stream_id"].map(data.streams["domain_id"]).to_numpy()
    extra = pd.DataFrame(list(b.extra.keys()), columns=["payer", "domain_id"])
    extra["extra"] = hm.values_of(b.extra.values())

    sites = data.sites
    y = np.round(hm.values_by_key(m.facilities.open, sites.index.tolist())).astype(int)
    fac = sites[["ftype_id", "region_id", "name", "existing"]].reset_index()
    fac.insert(3, "region_name", fac["region_id"].map(data.regions["name"]).to_numpy())
    fac["open"] = y
    fac["decision"] = np.select([fac["existing"] & (y == 1), fac["existing"] & (y == 0), ~fac["existing"] & (y == 1)],
                                ["keep", "close", "open"], "not opened")

    cov = data.coverable[["point_id", "ftype_id", "region_id", "population"]].copy()
    cov["covered"] = hm.values_by_key(m.coverage.covered, list(zip(cov["point_id"], cov["ftype_id"])))
    cov = expand_groups(cov[["point_id", "ftype_id", "covered"]], data)
    cov["population"] = data.persons(cov["region_id"], cov["ftype_id"], cov["population"])  # who needs the type

    ms = m.min_service
    sf = data.demand[["region_id", "ftype_id", "population", "required"]].copy()
    sf["shortfall"] = hm.values_by_key(ms.shortfall, list(zip(sf["region_id"], sf["ftype_id"]))) * sf["population"].to_numpy()
    persons = (cov["covered"] * cov["population"]).groupby([cov["region_id"], cov["ftype_id"]]).sum()
    sf["covered_persons"] = persons.reindex(pd.MultiIndex.from_arrays([sf["region_id"], sf["ftype_id"]]), fill_value=0.0).to_numpy()

    regcov = pd.MultiIndex.from_product([data.regions.index, data.ftypes.index], names=["region_id", "ftype_id"]).to_frame(index=False)
    residents = regcov["region_id"].map(data.points.groupby("region_id")["population"].sum()).fillna(0.0)
    regcov["population"] = data.persons(regcov["region_id"], regcov["ftype_id"], residents)  # who needs the type
    regcov["covered_persons"] = persons.reindex(pd.MultiIndex.from_frame(regcov[["region_id", "ftype_id"]]), fill_value=0.0).to_numpy()
    regcov["covered_share"] = (regcov["covered_persons"] / regcov["population"].where(regcov["population"] > 0)).fillna(0.0)
    regcov.insert(1, "name", regcov["region_id"].map(data.regions["name"]).to_numpy())

    live = m.liveability
    lv = pd.DataFrame({"point_id": list(live.point)})
    lv["keeps_basic"] = hm.values_by_key(live.keeps_basic, lv["point_id"].tolist())

    assignment = None
    if hasattr(m, "capacity"):
        arcs = list(m.capacity.arc)
        assignment = pd.DataFrame(arcs, columns=["point_id", "ftype_id", "group"])
        assignment["share"] = hm.values_by_key(m.capacity.share, arcs)
        assignment = split_capacity_groups(assignment, data, fac.set_index("site_id")["open"])
        assignment = expand_groups(assignment, data).drop(columns=["region_id", "population"])

    W, Q = hm.value(m.welfare.W), hm.value(ms.Q) * PERSONS_PER_UNIT
    worst = float((sf["shortfall"] / sf["population"]).max()) if len(sf) else 0.0
    unreachable = float(unservable(data)["missing"].clip(lower=0.0).sum())
    short = people_short(data, cov)
    return Solution(
        report=None, scenario=data.scenario, welfare=W, shortfall=Q, shortfall_worst=worst, objective=float("nan"),
        allocation=alloc, flows=flows, extra=extra, facilities=fac, coverage=cov.drop(columns=["region_id", "population"]),
        shortfall_table=sf.assign(name=sf["region_id"].map(data.regions["name"]))[
            ["region_id", "name", "ftype_id", "population", "required", "covered_persons", "shortfall"]],
        liveability=lv, region_coverage=regcov, assignment=assignment,
        region_totals=region_totals(data, alloc, fac, short.groupby(data.points["region_id"]).sum()),
        people_short=float(short.sum()), shortfall_unreachable=unreachable,
        extract_seconds=time.perf_counter() - t0,
    )


def people_short(data: InstanceData, coverage: pd.DataFrame) -> pd.Series:
    """pop_i (1 − min_{k basic} u_ik) per demand point: persons short of at least one basic-package service
    (summed, the distinct people short; by region, each region's).

    ``coverage`` has (point_id, ftype_id, covered) for the pairs with a site in reach; a missing pair is
    u = 0.  Basic types are the instance's basic package, or every type with a required share if none.
    """
    basic = list(data.basic_types) or data.ftypes.index[data.ftypes["required_share"] > 0].tolist()
    points = data.points
    if not basic or points.empty:
        return pd.Series(0.0, index=points.index)
    u = coverage[coverage["ftype_id"].isin(basic)].pivot_table(index="point_id", columns="ftype_id", values="covered",
                                                                 aggfunc="max")
    u = u.reindex(index=points.index, columns=basic).fillna(0.0).clip(0.0, 1.0)
    return pd.Series(points["population"].to_numpy(float) * (1.0 - u.min(axis=1).to_numpy()), index=points.index)


def split_capacity_groups(assignment: pd.DataFrame, data: InstanceData, open_: pd.Series) -> pd.DataFrame:
    """Per site: a group's share split over its open members in proportion to capacity (formulations.capacity)."""
    group = data.capacity_groups
    members = pd.DataFrame({"group": group.to_numpy(), "site_id": group.index})
    out = assignment.merge(members, on="group", how="left")
    out["site_id"] = out["site_id"].fillna(out["group"])
    weight = data.sites["capacity"].reindex(out["site_id"]).fillna(1.0).to_numpy() * open_.reindex(out["site_id"]).to_numpy(float)
    total = pd.Series(weight).groupby([out["point_id"].to_numpy(), out["ftype_id"].to_numpy(), out["group"].to_numpy()]).transform("sum").to_numpy()
    out["share"] = np.where(total > 0, out["share"].to_numpy() * weight / np.where(total > 0, total, 1.0), 0.0)
    return out[["point_id", "ftype_id", "site_id", "share"]]


def expand_groups(frame: pd.DataFrame, data: InstanceData) -> pd.DataFrame:
    """Rows of merged groups (point_id = the group's first point) repeated for every member point.

    Members of a group share the group's coverage and its split over sites (data.point_groups).
    The result has the instance's own points, with their region and population.
    """
    g = data.point_groups.rename(columns={"point_id": "member", "group_id": "point_id"})
    out = frame.merge(g, on=["point_id", "ftype_id"], how="inner").drop(columns="point_id").rename(columns={"member": "point_id"})
    out = out[["point_id", *[c for c in frame.columns if c != "point_id"]]]
    out["region_id"] = values_at(data.points["region_id"], out["point_id"])
    out["population"] = values_at(data.points["population"], out["point_id"]).astype(float)
    return out.reset_index(drop=True)


def net_deearmarked(flows: pd.DataFrame) -> float:
    """Money that really changed domain: Σ_d max(0, inflow_d − outflow_d) over de-earmarked flows.

    Gross cross-domain flows can run in circles (care money to education while education money goes to
    care) without changing what any domain spends; the net figure ignores such circles.
    """
    moved = flows[flows["deearmarked"]]
    if moved.empty:
        return 0.0
    own = moved["stream_id"].map(dict(zip(flows.loc[~flows["deearmarked"], "stream_id"], flows.loc[~flows["deearmarked"], "domain_id"])))
    inflow = moved.groupby("domain_id")["amount"].sum()
    outflow = moved["amount"].groupby(own.to_numpy()).sum()
    return float((inflow.sub(outflow, fill_value=0.0)).clip(lower=0.0).sum())
