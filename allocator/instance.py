"""A validated instance, and the readers that make one (CSV folder, Excel workbook, generator).

Many readers, one constructor: every source ends in :func:`from_frames`, which
types and checks the tables (:mod:`allocator.tables`, :mod:`allocator.schema`),
checks references between them and the status-quo budget identity, and returns
a frozen :class:`Instance`.  Nothing is cached or written; a bad instance
raises one :class:`~allocator.errors.InputError` listing every problem found.

Instance names: a folder path, an ``.xlsx`` path, a shipped instance name
(``nl``), or ``gen:SIZE:SEED`` for a generated one.
"""

from __future__ import annotations

import io

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from allocator.files import read_text
import regio_instances
from regio_instances.generators import generate_from_name
from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.schema import Manifest, pydantic_issues
from allocator.tables import TABLE_ORDER, TABLES, check_bounds, check_references, parse_table

SHIPPED = Path(regio_instances.__file__).resolve().parent  # the shipped instances, where the package is installed
DEFAULT_INSTANCE = "nl"
BUDGET_TOLERANCE = 1e-6  # M€; rounding room when checking that streams cover the status quo


@dataclass(frozen=True)
class Instance:
    """One validated instance: manifest plus typed tables indexed by their ids.

    Frames: ``regions`` (index region_id), ``domains`` (domain_id), ``streams``
    (stream_id), ``baseline`` (MultiIndex region_id × domain_id, every pair
    present, missing rows filled with 0), ``facility_types`` (ftype_id),
    ``demand_points`` (point_id), ``sites`` (site_id); optional ``travel``
    (point_id, site_id, minutes, km) and ``priorities`` (region_id × domain_id).
    """

    manifest: Manifest
    regions: pd.DataFrame
    domains: pd.DataFrame
    streams: pd.DataFrame
    baseline: pd.Series
    facility_types: pd.DataFrame
    demand_points: pd.DataFrame
    sites: pd.DataFrame
    travel: pd.DataFrame | None = None
    priorities: pd.Series | None = None
    source: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def folder(self) -> Path | None:
        """The folder the instance's own files (boundaries) lie in: the instance folder, or the folder of an
        Excel workbook; None for generated instances."""
        if not self.source or self.source.startswith("gen:"):
            return None
        path = Path(self.source)
        return path if path.is_dir() else path.parent

    def summary(self) -> dict:
        """Counts and totals a planner checks first."""
        sites = self.sites
        return {
            "name": self.name,
            "source": self.source,
            "regions": len(self.regions),
            "domains": len(self.domains),
            "streams": len(self.streams),
            "facility_types": len(self.facility_types),
            "demand_points": len(self.demand_points),
            "sites": len(sites),
            "existing_sites": int(sites["existing"].sum()),
            "candidate_sites": int((~sites["existing"]).sum()),
            "population": int(self.regions["population"].sum()),
            "demand_population": int(self.demand_points["population"].sum()),
            "budget_meur": float(self.streams["amount"].sum()),
            "budget_by_payer_meur": {str(k): float(v) for k, v in self.streams.groupby("payer")["amount"].sum().items()},
            "baseline_meur": float(self.baseline.sum()),
            "travel_given": self.travel is not None,
        }


def load_instance(name: str | Path | None = None) -> Instance:
    """Load an instance by shipped name, folder, workbook or ``gen:SIZE:SEED``."""
    name = str(name) if name is not None else DEFAULT_INSTANCE
    if name.startswith("gen:"):
        manifest, frames, source = generate_from_name(name)
        return from_frames(manifest, frames, source=source)
    path = Path(name)
    if not path.exists() and (SHIPPED / name / "instance.toml").exists():
        path = SHIPPED / name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(path)
    if path.is_dir():
        return read_folder(path)
    raise InputError(InputIssue(str(path), "no such instance: expected a folder with instance.toml, an .xlsx workbook, "
                                           f"a shipped name ({', '.join(shipped_names())}) or gen:SIZE:SEED"))


def shipped_names() -> list[str]:
    return sorted(p.parent.name for p in SHIPPED.glob("*/instance.toml"))


def read_manifest(path: Path) -> dict:
    if not path.exists():
        raise InputError(InputIssue(str(path), "missing file: the instance manifest (instance.toml) is required"))
    try:
        return tomllib.loads(read_text(path, "instance manifest"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(InputIssue(str(path), f"not valid TOML: {err}")) from None


def read_folder(folder: Path) -> Instance:
    """Read ``instance.toml`` and one CSV per table from ``folder``."""
    manifest = read_manifest(folder / "instance.toml")
    frames, labels, issues = {}, {}, IssueCollector()
    for name in TABLE_ORDER:
        path = folder / TABLES[name].file
        labels[name] = str(path)
        if not path.exists():
            if not TABLES[name].optional:
                issues.add(str(path), f"missing file: the {name} table is required")
            continue
        try:
            text = read_text(path, f"{name} table")
        except InputError as err:
            issues.issues.extend(err.issues)
            continue
        header = text.split("\n", 1)[0]
        if ";" in header and "," not in header:
            issues.add(str(path), DUTCH_CSV, row=1)
            continue
        try:
            frames[name] = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            issues.add(str(path), "cannot read as CSV (UTF-8, comma-separated, header row): "
                       + (str(err).splitlines()[0] if str(err) else "empty file"))
    issues.raise_if_any()
    return from_frames(manifest, frames, labels, source=str(folder), manifest_label=str(folder / "instance.toml"))


DUTCH_CSV = ("the file uses semicolons (';'), the CSV of Excel with Dutch regional settings (decimal commas); regio "
             "reads comma-separated CSV with decimal points: in Excel save as 'CSV UTF-8 (comma delimited)' with "
             "English number settings, or give regio the workbook itself (.xlsx)")


def read_workbook(path: Path) -> Instance:
    """Read the tables from one Excel workbook (a sheet per table) and the manifest beside it.

    The manifest is ``<workbook stem>.toml`` next to the workbook, else ``instance.toml`` in its folder.
    """
    if not path.exists():
        raise InputError(InputIssue(str(path), "missing file"))
    manifest_path = path.with_suffix(".toml")
    if not manifest_path.exists():
        manifest_path = path.parent / "instance.toml"
    manifest = read_manifest(manifest_path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as err:  # openpyxl raises many types for a damaged file
        raise InputError(InputIssue(str(path), f"cannot read as an Excel workbook: {err}")) from None
    frames, labels, issues = {}, {}, IssueCollector()
    _uncalculated_formulas(path, [n for n in TABLE_ORDER if n in sheets], issues)
    for name in TABLE_ORDER:
        labels[name] = f"{path} [sheet {name}]"
        if name in sheets:
            frames[name] = sheets[name]
        elif not TABLES[name].optional:
            issues.add(f"{path} [sheet {name}]", f"missing sheet: the {name} table is required; sheets found: {sorted(sheets)}")
    unknown = sorted(set(sheets) - set(TABLES))
    for name in unknown:
        issues.add(f"{path} [sheet {name}]", f"unknown sheet; expected sheets {list(TABLE_ORDER)}")
    issues.raise_if_any()
    return from_frames(manifest, frames, labels, source=str(path), manifest_label=str(manifest_path))


def _uncalculated_formulas(path: Path, names: list[str], issues: IssueCollector) -> None:
    """A formula cell without a stored result (the workbook was written by a program that does not calculate,
    e.g. a script) reads as empty; say what it is instead, naming sheet, row and column."""
    from openpyxl import load_workbook

    formulas = load_workbook(path, read_only=True, data_only=False)
    values = load_workbook(path, read_only=True, data_only=True)
    for name in names:
        header = None
        for n, (cells, cached) in enumerate(zip(formulas[name].iter_rows(values_only=True),
                                                values[name].iter_rows(values_only=True)), start=1):
            if header is None:
                header = [str(c).strip() if c is not None else f"column {i + 1}" for i, c in enumerate(cells)]
                continue
            for i, (cell, value) in enumerate(zip(cells, cached)):
                if isinstance(cell, str) and cell.startswith("=") and value is None:
                    issues.add(f"{path} [sheet {name}]", f"the formula {cell[:40]} has no calculated value (the workbook "
                               "was saved by a program that does not calculate formulas); open and save it in Excel or "
                               "LibreOffice, or type the value", row=n, column=header[i] if i < len(header) else None)
    formulas.close()
    values.close()


PROGRAMME_PAYER = "municipality"  # the payer whose money funds the regions' programmes x_rd
REQUIRED_ROWS = ("regions", "domains", "streams")  # facilities and places may both be absent (budget only)


def from_frames(manifest: dict, raw: dict[str, pd.DataFrame], labels: dict[str, str] | None = None,
                source: str = "", manifest_label: str = "instance.toml") -> Instance:
    """The canonical constructor: raw tables (strings or typed values) to a validated :class:`Instance`."""
    labels = {n: (labels or {}).get(n, TABLES[n].file) for n in TABLE_ORDER}
    issues = IssueCollector()
    try:
        man = Manifest(**manifest)
    except ValidationError as err:
        pydantic_issues(err, manifest_label, issues)
        man = None
    typed: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        if name not in raw:
            if not TABLES[name].optional:
                issues.add(labels[name], f"missing table {name}")
            continue
        frame = raw[name].astype(str) if not all(raw[name].dtypes == object) else raw[name]
        typed[name] = parse_table(frame, TABLES[name], labels[name], issues)
    for name in REQUIRED_ROWS:  # a header alone would "solve" a model about nobody or with no money
        if name in typed and typed[name].empty:
            issues.add(labels[name], f"the {name} table has a header but no rows; at least one row is required")
    if not typed.get("sites", pd.DataFrame()).empty and typed.get("demand_points", pd.DataFrame({"x": [1]})).empty:
        issues.add(labels["demand_points"], "the demand_points table has a header but no rows, while there are sites: "
                   "every site would serve nobody and close; give the places people live (a budget-only instance "
                   "has neither sites nor demand points)")
    issues.raise_if_any()
    check_references(typed, labels, issues)
    if man is not None:
        for name in ("regions", "demand_points", "sites"):
            check_bounds(typed[name], labels[name], man.bounds, issues)
    _check_demand_groups(typed, labels, issues)
    issues.raise_if_any()
    instance = _assemble(man, typed, source)
    _check_status_quo_budget(instance, labels, issues)
    issues.raise_if_any()
    return instance


def _assemble(man: Manifest, t: dict[str, pd.DataFrame], source: str) -> Instance:
    regions = t["regions"].set_index("region_id")
    regions["population"] = regions["population"].astype(np.int64)
    domains = t["domains"].set_index("domain_id")
    full = pd.MultiIndex.from_product([regions.index, domains.index], names=["region_id", "domain_id"])
    baseline = t["baseline"].set_index(["region_id", "domain_id"])["amount"].reindex(full, fill_value=0.0)
    points = t["demand_points"].set_index("point_id")
    points["population"] = points["population"].astype(np.int64)
    priorities = None
    if "priorities" in t:
        priorities = t["priorities"].set_index(["region_id", "domain_id"])["weight"]
    warnings = _warnings(regions, points)
    return Instance(
        manifest=man,
        regions=regions,
        domains=domains,
        streams=_with_payer(t["streams"].set_index("stream_id")),
        baseline=baseline,
        facility_types=_with_payer(t["facility_types"].set_index("ftype_id")),
        demand_points=points,
        sites=t["sites"].set_index("site_id"),
        travel=t.get("travel"),
        priorities=priorities,
        source=source,
        warnings=tuple(warnings),
    )


def _with_payer(frame: pd.DataFrame) -> pd.DataFrame:
    """An empty or absent ``payer`` is the municipality (the model before payers were named)."""
    frame = frame.copy()
    payer = frame["payer"] if "payer" in frame else pd.Series(None, index=frame.index, dtype=object)
    frame["payer"] = payer.where(payer.notna(), PROGRAMME_PAYER).astype(str)
    if "demand" in frame:
        frame["demand"] = frame["demand"].where(frame["demand"].notna(), "all").astype(str)
    return frame


def _check_demand_groups(t: dict[str, pd.DataFrame], labels: dict[str, str], issues: IssueCollector) -> None:
    """A type whose demand is an age group needs that group's count, at most the population, in every region."""
    ftypes, regions = t["facility_types"], t["regions"]
    if "demand" not in ftypes:
        return
    for n, group in enumerate(ftypes["demand"].tolist()):
        if pd.isna(group) or group == "all":
            continue
        if group not in regions:
            issues.add(labels["facility_types"], f"demand '{group}' needs a '{group}' column in {labels['regions']}",
                       row=n + 2, column="demand")
            continue
        counts = regions[group].to_numpy(float)
        for r in (np.flatnonzero(np.isnan(counts)) + 2)[:20]:
            issues.add(labels["regions"], f"empty cell; facility type '{ftypes['ftype_id'].iloc[n]}' counts demand "
                       f"as {group}", row=int(r), column=group)
        for r in (np.flatnonzero(counts > regions["population"].to_numpy(float)) + 2)[:20]:
            issues.add(labels["regions"], f"{group} exceeds the population", row=int(r), column=group)


def _warnings(regions: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    out = []
    by_region = points.groupby("region_id")["population"].sum().reindex(regions.index, fill_value=0)
    empty = by_region.index[by_region == 0]
    if len(empty):
        out.append(f"{len(empty)} region(s) have no demand point: {', '.join(map(str, empty[:10]))}")
    diff = (by_region - regions["population"]).abs()
    off = diff.index[(diff > 0.005 * regions["population"]) & (by_region > 0)]
    if len(off):
        out.append(f"{len(off)} region(s) whose demand points do not add up to the region population (±0.5%): "
                   f"{', '.join(map(str, off[:10]))}")
    return out


def _check_status_quo_budget(inst: Instance, labels: dict[str, str], issues: IssueCollector) -> None:
    """model.md invariant 1: each payer's streams of each domain pay for its status quo there: the
    municipality's for the baseline programmes and the sites it pays, another payer's for its own sites."""
    program = inst.baseline.groupby(level="domain_id").sum()
    program.index = pd.MultiIndex.from_product([[PROGRAMME_PAYER], program.index], names=["payer", "domain_id"])
    ft = inst.facility_types
    key = [inst.sites["ftype_id"].map(ft["payer"]).rename("payer"), inst.sites["ftype_id"].map(ft["domain_id"]).rename("domain_id")]
    sites_cost = inst.sites["operating_cost"].where(inst.sites["existing"], 0.0).groupby(key).sum()
    need = program.add(sites_cost, fill_value=0.0)
    have = inst.streams.groupby(["payer", "domain_id"])["amount"].sum().reindex(need.index, fill_value=0.0)
    short = need - have
    for (payer, domain), gap in short[short > BUDGET_TOLERANCE].items():
        prog = program.get((payer, domain), 0.0)
        issues.add(labels["streams"], f"the {payer} streams of domain '{domain}' ({have[(payer, domain)]:.3f} M€) do not "
                   f"pay for its status quo (baseline programmes {prog:.3f} M€ + existing {payer}-paid sites "
                   f"{sites_cost.get((payer, domain), 0):.3f} M€); short by {gap:.3f} M€", column="amount")
