"""Monitoring (rolling re-plan): fix what was realised, re-optimise the years still to come, compare with the plan.

``--programme`` is a programme's result folder (its resolved scenario, projects and years);
``--realised`` a folder in the same format holding what actually happened up to ``from_year − 1``:
``allocation_by_year.csv`` (region_id, domain_id, year, plan), ``facilities_by_year.csv`` (site_id,
year, open), optionally ``projects.csv`` (project_id, start_year) and ``streams_by_year.csv``
(stream_id, year, amount) with the streams as they turned out.  The re-plan keeps the programme's
whole horizon: the realised years are fixed (their breaches of hold-harmless or of the yearly cap
are reported as deviations), the later years re-optimised.  Its objective covers the whole horizon,
so with realised = planned it reproduces the programme's objective; otherwise the difference is the
deviation's effect on the objective, W and Q.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.export import write_csv
from allocator.files import read_text
from allocator.instance import load_instance
from allocator.multiyear.horizon import Fixed
from allocator.multiyear.run import ProgrammeResult, run_programme
from allocator.scenario import Scenario

REALISED = {"allocation_by_year.csv": ["region_id", "domain_id", "year", "plan"],
            "facilities_by_year.csv": ["site_id", "year", "open"]}
OPTIONAL = {"projects.csv": ["project_id", "start_year"], "streams_by_year.csv": ["stream_id", "year", "amount"]}


class MonitorResult(ProgrammeResult):
    """A re-plan with the realised past fixed, and its comparison with the programme."""

    planned: dict | None = None
    planned_tables: dict | None = None

    def summary(self) -> dict:
        out = super().summary()
        p = self.planned or {}
        if self.solution is not None and p:
            out["programme_objective"] = p.get("objective")
            out["effect_on_objective"] = self.solution.objective - p["objective"] if p.get("objective") is not None else None
            out["effect_on_welfare"] = self.solution.welfare - p["welfare"] if p.get("welfare") is not None else None
            out["effect_on_shortfall"] = self.solution.shortfall - p["shortfall"] if p.get("shortfall") is not None else None
        return out

    def plan_vs_realised(self) -> pd.DataFrame:
        """Per region and year: programme money (programmes + municipal sites + outlays) as planned, and as realised
        (the years before ``from_year``) or re-planned (the rest)."""
        planned = self.planned_tables["region_totals_by_year"][["year", "region_id", "plan_municipal_meur"]]
        now = self.solution.region_totals_by_year[["year", "region_id", "name", "plan_municipal_meur", "baseline_municipal_meur"]]
        out = now.merge(planned, on=["year", "region_id"], how="left", suffixes=("", "_planned"))
        out = out.rename(columns={"plan_municipal_meur": "realised_or_replanned_meur",
                                  "plan_municipal_meur_planned": "planned_meur"})
        out["kind"] = out["year"].map(lambda y: "realised" if y < self.run.horizon.fixed.from_year else "re-planned")
        out["difference_meur"] = (out["realised_or_replanned_meur"] - out["planned_meur"]).round(6)
        cols = ["year", "kind", "region_id", "name", "baseline_municipal_meur", "planned_meur", "realised_or_replanned_meur",
                "difference_meur"]
        return out[cols]

    def extra_tables(self, folder: Path) -> None:
        write_csv(self.plan_vs_realised(), folder / "plan_vs_realised.csv")


def monitor(programme: Path, realised: Path, from_year: int, solver: dict | None = None) -> MonitorResult:
    """Re-plan the programme in ``programme`` with the past of ``realised`` fixed before ``from_year``."""
    summary = _json(programme / "summary.json")
    record = _json(programme / "run.json")
    first, last = int(summary["first_year"]), int(summary["last_year"])
    if not first < from_year <= last:
        raise InputError(InputIssue("--from-year", f"{from_year}: must lie after the programme's first year {first} and "
                                    f"not after its last year {last}"))
    instance = load_instance(record["instance"])
    raw = tomllib.loads(read_text(programme / "scenario.toml", "the programme's resolved scenario"))
    raw["agendas"] = []  # the projects come from the programme's projects.csv
    if solver:
        raw.setdefault("solver", {}).update(solver)
    try:
        scenario = Scenario(**raw)
    except Exception as err:
        raise InputError(InputIssue(str(programme / "scenario.toml"), f"not a valid scenario: {err}")) from None
    data = InstanceData.prepare(instance, scenario, label=str(programme / "scenario.toml"))
    planned = {name: _csv(programme / f"{name}.csv", cols) for name, cols in (
        ("projects", ["project_id", "name", "region", "domain_id", "cost_per_year", "duration", "earliest_start",
                      "welfare_per_year", "start_year"]),
        ("region_totals_by_year", ["year", "region_id", "plan_municipal_meur"]))}
    projects = planned["projects"].drop(columns=["start_year"])
    fixed = read_realised(realised, data, planned["projects"], first, from_year)
    fixed = replace(fixed, planned_sites=_csv(programme / "facilities_by_year.csv", ["site_id", "year", "open"]))
    result = run_programme(data, (first, last), projects=projects, fixed=fixed, result_class=MonitorResult)
    result.kind = "monitor"
    result.planned = summary
    result.planned_tables = planned
    return result


def read_realised(folder: Path, data: InstanceData, planned_projects: pd.DataFrame, first: int, from_year: int) -> Fixed:
    """The realised past as a :class:`Fixed`; every realised year must be complete (each region-domain, each site)."""
    issues = IssueCollector()
    frames = {name: _csv(folder / name, cols) for name, cols in REALISED.items()}
    for name, cols in OPTIONAL.items():
        frames[name] = _csv(folder / name, cols) if (folder / name).exists() else None
    past = list(range(first, from_year))
    spend, sites = frames["allocation_by_year.csv"], frames["facilities_by_year.csv"]
    spend = spend[spend["year"].isin(past)]
    sites = sites[sites["year"].isin(past)]
    need_pairs = len(data.baseline) * len(past)
    if len(spend.drop_duplicates(["region_id", "domain_id", "year"])) < need_pairs:
        issues.add(str(folder / "allocation_by_year.csv"), f"the realised years {past[0]}-{past[-1]} need spending for every "
                   f"region and domain ({need_pairs:,} rows); found {len(spend):,}")
    unknown = sorted(set(sites["site_id"]) - set(data.sites.index))[:5]
    if unknown:
        issues.add(str(folder / "facilities_by_year.csv"), f"unknown site ids, e.g. {unknown}", column="site_id")
    if len(sites.drop_duplicates(["site_id", "year"])) < len(data.sites) * len(past):
        issues.add(str(folder / "facilities_by_year.csv"), f"the realised years need every site's open/closed state "
                   f"({len(data.sites) * len(past):,} rows); found {len(sites):,}")
    issues.raise_if_any()
    starts_frame = frames["projects.csv"] if frames["projects.csv"] is not None else planned_projects
    starts = {pid: (int(y) if y == y and int(y) < from_year else None)
              for pid, y in zip(starts_frame["project_id"], pd.to_numeric(starts_frame["start_year"], errors="coerce"))}
    streams = frames["streams_by_year.csv"]
    return Fixed(from_year=from_year, spending=spend, sites=sites, project_starts=starts, streams=streams)


def _json(path: Path) -> dict:
    try:
        return json.loads(read_text(path, "result file"))
    except json.JSONDecodeError as err:
        raise InputError(InputIssue(str(path), f"not valid JSON (edited by hand?): {err}")) from None


def _csv(path: Path, columns: list[str]) -> pd.DataFrame:
    text = read_text(path, "table")
    try:
        from io import StringIO

        frame = pd.read_csv(StringIO(text), dtype={"region_id": str, "domain_id": str, "site_id": str, "project_id": str,
                                                    "stream_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(InputIssue(str(path), f"not a readable CSV table: {err}")) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(InputIssue(str(path), f"missing column(s) {missing}; expected at least {columns}"))
    for c in columns:
        if c in ("year", "plan", "open", "amount", "cost_per_year", "duration", "earliest_start", "welfare_per_year",
                 "plan_municipal_meur"):
            bad = pd.to_numeric(frame[c], errors="coerce").isna() & frame[c].notna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0]) + 2
                raise InputError(InputIssue(str(path), f"'{frame[c][bad].iloc[0]}' is not a number", row=row, column=c))
    return frame
