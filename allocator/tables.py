"""The instance tables: their columns, and vectorised checks that name file, row and column.

Every table is declared once as a :class:`Table` of :class:`Column` specs.
:func:`parse_table` turns a frame of raw strings (from CSV or an Excel sheet)
into typed columns and reports, for the whole file at once, missing and unknown
columns, empty cells, unparsable values, values out of range and duplicate
ids, and words outside a column's allowed ``choices``.  This is the one
description of the tables: the checks are vectorised (microseconds per row), and
nothing else restates them (the manifest and scenarios, which are TOML, are
pydantic models in :mod:`allocator.schema` and :mod:`allocator.scenario`).

Row numbers are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from allocator.errors import IssueCollector

Kind = Literal["id", "text", "float", "int", "bool"]
Check = Literal["positive", "nonnegative", "share", "latitude", "longitude"]
MAX_MAGNITUDE = 1e12  # no number in an instance is larger: beyond it sums overflow the model's scaling

_TRUE = {"1", "true", "yes", "y", "ja", "1.0"}
_FALSE = {"0", "false", "no", "n", "nee", "0.0"}


@dataclass(frozen=True)
class Column:
    """One column: its type, whether cells may be empty, its range, uniqueness and reference."""

    name: str
    kind: Kind
    help: str
    required: bool = True
    nullable: bool = False
    check: Check | None = None
    unique: bool = False
    ref: tuple[str, str] | None = None  # (table name, id column) this column must point into
    choices: tuple[str, ...] | None = None  # the words a text cell may hold (an empty cell where nullable)


@dataclass(frozen=True)
class Table:
    """A table of the instance: file stem, columns and (composite) key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    optional: bool = False
    help: str = ""
    extra_columns_allowed: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(*args, **kw) -> Column:
    return Column(*args, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "regions",
            (
                _c("region_id", "id", "unique code, e.g. CBS GM0014", unique=True),
                _c("name", "text", "name a planner recognises"),
                _c("population", "int", "inhabitants (persons)", check="positive"),
                _c("bw_index", "float", "broad-welfare index, 1.0 = national average, lower = worse off", check="positive"),
                _c("province", "text", "province (used for Theil decomposition and maps)"),
                _c("corop", "text", "COROP region", required=False, nullable=True),
                _c("tags", "text", "semicolon-separated tags, e.g. 'npvr;npvr:twente'", required=False, nullable=True),
                _c("lat", "float", "representative point, WGS84 latitude", required=False, nullable=True, check="latitude"),
                _c("lon", "float", "representative point, WGS84 longitude", required=False, nullable=True, check="longitude"),
                _c("children_4_11", "int", "residents aged 4-11 (primary-school age), for types with demand 'children_4_11'",
                   required=False, nullable=True, check="nonnegative"),
            ),
            key=("region_id",),
        ),
        Table(
            "domains",
            (
                _c("domain_id", "id", "unique code", unique=True),
                _c("name", "text", "name"),
                _c("marginal_welfare", "float", "welfare per euro of the first extra euro at baseline", check="nonnegative"),
            ),
            key=("domain_id",),
        ),
        Table(
            "streams",
            (
                _c("stream_id", "id", "unique code", unique=True),
                _c("name", "text", "name of the grant or fund"),
                _c("domain_id", "id", "domain the money is earmarked for", ref=("domains", "domain_id")),
                _c("amount", "float", "M€ per year", check="nonnegative"),
                _c("deearmark_share", "float", "share θ in [0,1] that may be spent in other domains", check="share"),
                _c("payer", "id", "who holds the money (empty = municipality); it pays only this payer's uses",
                   required=False, nullable=True),
            ),
            key=("stream_id",),
        ),
        Table(
            "baseline",
            (
                _c("region_id", "id", "region", ref=("regions", "region_id")),
                _c("domain_id", "id", "domain", ref=("domains", "domain_id")),
                _c("amount", "float", "status-quo programme spending, M€ per year", check="nonnegative"),
            ),
            key=("region_id", "domain_id"),
        ),
        Table(
            "facility_types",
            (
                _c("ftype_id", "id", "unique code", unique=True),
                _c("name", "text", "name"),
                _c("domain_id", "id", "paying domain", ref=("domains", "domain_id")),
                _c("norm", "float", "access norm τ (minutes, km; ignored for 'region')", check="nonnegative"),
                _c("norm_unit", "text", "'min', 'km' or 'region' (a site in the same region)", choices=("min", "km", "region")),
                _c("required_share", "float", "share σ of the population that must be within the norm", check="share"),
                _c("welfare_value", "float", "welfare per covered person, € per year", check="nonnegative"),
                _c("basic_package", "bool", "part of the basic package (liveability)"),
                _c("payer", "id", "who pays the running cost (empty = municipality), e.g. zvw, ocw",
                   required=False, nullable=True),
                _c("demand", "text", "who needs it: 'all' residents (empty) or 'children_4_11' (a regions column)",
                   required=False, nullable=True, choices=("all", "children_4_11")),
            ),
            key=("ftype_id",),
        ),
        Table(
            "demand_points",
            (
                _c("point_id", "id", "unique code", unique=True),
                _c("region_id", "id", "region the people live in", ref=("regions", "region_id")),
                _c("name", "text", "name", required=False, nullable=True),
                _c("population", "int", "persons", check="positive"),
                _c("lat", "float", "WGS84 latitude", check="latitude"),
                _c("lon", "float", "WGS84 longitude", check="longitude"),
            ),
            key=("point_id",),
        ),
        Table(
            "sites",
            (
                _c("site_id", "id", "unique code", unique=True),
                _c("ftype_id", "id", "facility type", ref=("facility_types", "ftype_id")),
                _c("region_id", "id", "region the site lies in", ref=("regions", "region_id")),
                _c("name", "text", "name", required=False, nullable=True),
                _c("lat", "float", "WGS84 latitude", check="latitude"),
                _c("lon", "float", "WGS84 longitude", check="longitude"),
                _c("existing", "bool", "open in the status quo"),
                _c("operating_cost", "float", "M€ per year while open", check="nonnegative"),
                _c("opening_cost", "float", "annualised M€ per year if newly opened", check="nonnegative"),
                _c("capacity", "float", "persons the site can serve (empty = unlimited)", required=False, nullable=True, check="positive"),
            ),
            key=("site_id",),
        ),
        Table(
            "travel",
            (
                _c("point_id", "id", "demand point", ref=("demand_points", "point_id")),
                _c("site_id", "id", "site", ref=("sites", "site_id")),
                _c("minutes", "float", "travel time", check="nonnegative"),
                _c("km", "float", "road distance", check="nonnegative"),
            ),
            key=("point_id", "site_id"),
            optional=True,
            help="sparse travel times; when absent they are derived from coordinates",
        ),
        Table(
            "priorities",
            (
                _c("region_id", "id", "region", ref=("regions", "region_id")),
                _c("domain_id", "id", "domain", ref=("domains", "domain_id")),
                _c("weight", "float", "multiplier on the region's welfare curve for the domain (kansenagenda)", check="nonnegative"),
            ),
            key=("region_id", "domain_id"),
            optional=True,
            help="a region's own domain priorities; absent rows are 1",
        ),
    )
}

TABLE_ORDER = tuple(TABLES)  # references only point to earlier tables


def parse_table(raw: pd.DataFrame, table: Table, label: str, issues: IssueCollector) -> pd.DataFrame:
    """Type every column of ``raw`` (all strings) per ``table``; record issues; return typed frame."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    present = list(raw.columns)
    for col in table.columns:
        if col.required and col.name not in present:
            issues.add(label, f"missing column; expected columns {[c.name for c in table.columns if c.required]}", column=col.name)
    known = {c.name for c in table.columns}
    if not table.extra_columns_allowed:
        for name in present:
            if name not in known:
                issues.add(label, f"unknown column; allowed columns are {sorted(known)}", column=name)
    out = {}
    rows = np.arange(len(raw)) + 2
    for col in table.columns:
        if col.name not in present:
            continue
        text = raw[col.name].astype("string").fillna("").str.strip()
        empty = (text == "").to_numpy()
        if not col.nullable:
            for r in rows[empty][: 20]:
                issues.add(label, f"empty cell; expected {col.kind}: {col.help}", row=int(r), column=col.name)
        out[col.name] = _convert(text, empty, col, rows, label, issues)
    frame = pd.DataFrame(out, index=raw.index)
    for col in table.columns:
        if col.name in frame and col.unique:
            dup = frame[col.name].duplicated(keep="first") & frame[col.name].notna()
            for r, v in zip(rows[dup.to_numpy()][:20], frame.loc[dup, col.name][:20]):
                issues.add(label, f"duplicate id '{v}'; ids must be unique", row=int(r), column=col.name)
    if len(table.key) > 1 and all(k in frame for k in table.key):
        dup = frame.duplicated(list(table.key), keep="first")
        for r in rows[dup.to_numpy()][:20]:
            issues.add(label, f"duplicate key {tuple(frame.loc[frame.index[r - 2], list(table.key)])}; each {table.key} pair may appear once", row=int(r), column=table.key[0])
    return frame


def _convert(text: pd.Series, empty: np.ndarray, col: Column, rows: np.ndarray, label: str, issues: IssueCollector):
    if col.kind in ("id", "text"):
        if col.choices is not None:
            wrong = ~text.isin(col.choices).to_numpy() & ~empty
            for r, v in zip(rows[wrong][:20], text[wrong][:20]):
                issues.add(label, f"'{v}' is not one of {', '.join(repr(c) for c in col.choices)} ({col.help})",
                           row=int(r), column=col.name)
        return text.where(~empty, None).astype(object)
    if col.kind == "bool":
        low = text.str.lower()
        ok = low.isin(_TRUE | _FALSE).to_numpy() | empty
        for r, v in zip(rows[~ok][:20], text[~ok][:20]):
            issues.add(label, f"'{v}' is not a yes/no value; expected 1/0, true/false or yes/no", row=int(r), column=col.name)
        return low.isin(_TRUE).to_numpy()
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ~empty
    bad |= np.isinf(values)
    for r, v in zip(rows[bad][:20], text[bad][:20]):
        issues.add(label, f"'{v}' is not a number; expected {col.kind}: {col.help}", row=int(r), column=col.name)
    if col.kind == "int":
        finite = np.isfinite(values)  # an infinite cell is reported above, not as a fraction
        frac = finite & (np.abs(np.where(finite, values - np.round(np.where(finite, values, 0.0)), 0.0)) > 1e-9)
        for r, v in zip(rows[frac][:20], text[frac][:20]):
            issues.add(label, f"'{v}' is not a whole number; expected int: {col.help}", row=int(r), column=col.name)
    valid = ~np.isnan(values)
    huge = valid & (np.abs(values) > MAX_MAGNITUDE)
    for r, v in zip(rows[huge][:20], values[huge][:20]):
        issues.add(label, f"{v:g} is implausibly large (at most {MAX_MAGNITUDE:g}); check the unit ({col.help})",
                   row=int(r), column=col.name)
    valid &= ~huge
    if col.check is not None:
        if col.check == "positive":
            wrong, want = valid & (values <= 0), "a value > 0"
        elif col.check == "nonnegative":
            wrong, want = valid & (values < 0), "a value >= 0"
        elif col.check == "latitude":
            wrong, want = valid & (np.abs(values) > 90), "a latitude between -90 and 90"
        elif col.check == "longitude":
            wrong, want = valid & (np.abs(values) > 180), "a longitude between -180 and 180"
        else:
            wrong, want = valid & ((values < 0) | (values > 1)), "a share between 0 and 1"
        for r, v in zip(rows[wrong][:20], values[wrong][:20]):
            issues.add(label, f"{v:g} is out of range; expected {want} ({col.help})", row=int(r), column=col.name)
    return values


def check_references(frames: dict[str, pd.DataFrame], labels: dict[str, str], issues: IssueCollector) -> None:
    """Every ``ref`` column must point to an existing id of the referenced table."""
    for name, table in TABLES.items():
        frame = frames.get(name)
        if frame is None:
            continue
        for col in table.columns:
            if col.ref is None or col.name not in frame:
                continue
            target_table, target_col = col.ref
            target = frames.get(target_table)
            if target is None or target_col not in target:
                continue
            values = frame[col.name]
            unknown = ~values.isin(set(target[target_col].dropna())) & values.notna()
            rows = np.flatnonzero(unknown.to_numpy()) + 2
            for r, v in zip(rows[:20], values[unknown][:20]):
                issues.add(labels[name], f"unknown {target_col} '{v}'; it is not in {labels[target_table]}", row=int(r), column=col.name)
            if unknown.sum() > 20:
                issues.add(labels[name], f"{int(unknown.sum()) - 20} more unknown {target_col} values", column=col.name)


def check_bounds(frame: pd.DataFrame, label: str, bounds, issues: IssueCollector) -> None:
    """Coordinates must lie inside the instance's bounding box (catches swapped lat/lon)."""
    if bounds is None or "lat" not in frame or "lon" not in frame:
        return
    lat, lon = frame["lat"].to_numpy(float), frame["lon"].to_numpy(float)
    for name, values, lo, hi in (("lat", lat, bounds.lat_min, bounds.lat_max), ("lon", lon, bounds.lon_min, bounds.lon_max)):
        out = ~np.isnan(values) & ((values < lo) | (values > hi))
        for r, v in zip(np.flatnonzero(out)[:20] + 2, values[out][:20]):
            issues.add(label, f"{v:g} lies outside the instance's bounding box [{lo:g}, {hi:g}] (swapped lat/lon?)", row=int(r), column=name)


@dataclass
class TableSet:
    """Typed frames of one instance, with the label (file or sheet) each came from."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
