"""The programme's data: its years, each year's streams and θ, the agenda projects, and what is fixed.

Year t = 1..T stands for the calendar year ``first + t − 1``.  A year's streams are the instance's
grown by the scenario's real growth, A_s,t = A_s (1 + g_s)^(t−1), and de-earmarked by
θ_s,t = θ_s · path[t] (de-earmarking phase-in).  Each year's data is the one-year
:class:`~allocator.data.InstanceData` with three changes: those streams; sites without the opening cost
in their yearly cost (a programme pays it once, in the opening year: :mod:`formulations.dynamics`);
and no site-change cost κ in the year's W (the programme counts κ in the year of the change).  The
frames that do not change (reach sets, point groups, ...) are shared by all years.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue
from allocator.multiyear.agenda import PROJECT_COLUMNS, agenda_paths, project_regions, read_agendas

YEAR_KEYS = ("streams", "sites")  # the cached frames a year replaces; every other one is shared


@dataclass(frozen=True)
class Fixed:
    """What monitoring fixes: for the years before ``from_year``, realised spending, sites and project starts."""

    from_year: int
    spending: pd.DataFrame  # region_id, domain_id, year, plan
    sites: pd.DataFrame  # site_id, year, open
    project_starts: dict = field(default_factory=dict)  # project_id → start year (or None: not started by then)
    streams: pd.DataFrame | None = None  # stream_id, year, amount: realised stream amounts (optional)
    planned_sites: pd.DataFrame | None = None  # site_id, year, open: the programme's plan, the re-plan's start


@dataclass(frozen=True)
class Horizon:
    """One programme: the one-year data under the scenario, the calendar years and the agenda projects."""

    data: InstanceData
    years: tuple[int, ...]
    projects: pd.DataFrame
    fixed: Fixed | None = None

    @classmethod
    def prepare(cls, data: InstanceData, first: int, last: int, projects: pd.DataFrame | None = None,
                fixed: Fixed | None = None) -> "Horizon":
        """The programme for calendar years ``first..last``; projects from the instance's and the scenario's agendas
        unless given (monitoring passes the programme's own)."""
        if last < first:
            raise InputError(InputIssue("--years", f"{first}-{last}: the last year comes before the first"))
        if last - first + 1 > 50:
            raise InputError(InputIssue("--years", f"{first}-{last}: at most 50 years"))
        if projects is None:
            projects, priorities = read_projects(data)
            if priorities is not None:  # the agendas' domain priorities override the instance's, pair by pair
                merged = data.priorities.copy()
                merged.loc[priorities.index] = priorities.to_numpy(float)
                data = InstanceData(data.instance, data.scenario)
                data.__dict__["priorities"] = merged
        return cls(data, tuple(range(first, last + 1)), projects, fixed)

    @property
    def T(self) -> int:
        return len(self.years)

    @cached_property
    def discount(self) -> np.ndarray:
        """δ^(t−1) per year, δ = 1/(1 + r)."""
        return (1.0 / (1.0 + self.data.scenario.programme.discount_rate)) ** np.arange(self.T)

    @cached_property
    def growth(self) -> pd.Series:
        """g_s per stream: the first matching pattern of ``programme.stream_growth`` (exact ids before patterns)."""
        rules = self.data.scenario.programme.stream_growth
        out = pd.Series(0.0, index=self.data.streams.index)
        for sid in out.index:
            if sid in rules:
                out[sid] = rules[sid]
                continue
            for pattern, g in rules.items():
                if fnmatch.fnmatchcase(sid, pattern):
                    out[sid] = g
                    break
        return out

    def stream_amounts(self, t: int) -> pd.Series:
        """A_s,t for year index t (1-based): grown, or the realised amounts monitoring gives for a past year."""
        base = self.data.streams["amount"] * (1.0 + self.growth) ** (t - 1)
        f = self.fixed
        if f is not None and f.streams is not None:
            real = f.streams[f.streams["year"] == self.years[t - 1]].set_index("stream_id")["amount"]
            base = real.reindex(base.index).fillna(base)
        return base

    def theta_share(self, t: int) -> float:
        path = self.data.scenario.programme.deearmark_path
        return float(path[min(t - 1, len(path) - 1)])

    @cached_property
    def year_data(self) -> list[InstanceData]:
        base = self.data
        sites = base.sites.copy()  # computed once under the scenario (forced, dominated)
        sites["unit_cost"] = sites["operating_cost"]
        sites["opening_cost"] = 0.0
        scenario = base.scenario.with_changes(site_change_cost=0.0)
        for key in ("regions", "reach", "point_groups", "capacity_groups", "coverable", "model_reach", "demand",
                    "priorities", "region_norms", "region_shares", "demand_share"):
            getattr(base, key)  # compute the shared frames once, on the base
        shared = {k: v for k, v in base.__dict__.items() if k not in ("instance", "scenario", *YEAR_KEYS)}
        out = []
        for t in range(1, self.T + 1):
            d = InstanceData(base.instance, scenario)
            streams = base.streams.copy()
            streams["amount"] = self.stream_amounts(t).to_numpy()
            streams["theta"] = streams["theta"] * self.theta_share(t)
            d.__dict__.update(shared)  # cached_property reads the instance dict first
            d.__dict__.update(streams=streams, sites=sites)
            out.append(d)
        return out

    @cached_property
    def project_regions(self) -> pd.DataFrame:
        return project_regions(self.projects, self.data.regions)

    @cached_property
    def project_omega(self) -> pd.Series:
        """ω of a project: the population-weighted mean ω of its regions."""
        pr = self.project_regions
        w = pr["share"] * pr["region_id"].map(self.data.regions["omega"])
        return w.groupby(pr["project_id"]).sum().reindex(self.projects["project_id"]).fillna(1.0)

    def start_years(self, project: pd.Series) -> list[int]:
        """Year indices (1-based) a project may start in: from its earliest start to the horizon's end."""
        first = max(1, int(project["earliest_start"]) - self.years[0] + 1)
        return list(range(first, self.T + 1))

    def min_open(self, ftype: str) -> int:
        return int(self.data.scenario.programme.min_open_years.get(ftype, self.T))

    def lead(self, ftype: str) -> int:
        return int(self.data.scenario.programme.lead_time.get(ftype, 0))


def read_projects(data: InstanceData) -> tuple[pd.DataFrame, pd.Series | None]:
    """(projects, priorities) of the instance's agendas (relative to the instance folder) and the scenario's."""
    paths = []
    if data.instance.manifest.agendas:
        home = data.instance.folder
        if home is None:
            raise InputError(InputIssue("instance.toml", "agendas need an instance folder to be read from"))
        paths += agenda_paths(data.instance.manifest.agendas, home)
        outside = [p for p in paths if home.resolve() not in p.resolve().parents]
        if outside:
            raise InputError(InputIssue(str(outside[0]), f"kansenagenda workbooks of an instance must lie in its folder "
                                        f"{home}"))
    if data.scenario.agendas:
        paths += agenda_paths(data.scenario.agendas)
    if not paths:
        return pd.DataFrame(columns=[*PROJECT_COLUMNS, "agenda"]), None
    return read_agendas(paths, data.instance)
