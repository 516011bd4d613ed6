"""Strict pydantic models for the instance manifest and the small tables.

Strict (no silent coercion), ``extra="forbid"`` (a typo is an error, not a
default) and frozen (a validated value is never changed behind a user's back).
Large tables are checked vectorised in :mod:`allocator.tables`; the small ones
(domains, streams, facility types) get an extra row-by-row pass here for rules
a column spec cannot say, such as the allowed norm units.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from allocator.errors import IssueCollector


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Source(Strict):
    """Where a number comes from: publisher, year and licence."""

    name: str
    publisher: str
    year: str
    licence: str
    note: str = ""


class TravelSettings(Strict):
    """Travel derived from coordinates: km = great-circle km × detour; minutes = km / speed × 60."""

    detour_factor: float = Field(1.3, gt=0, description="road km per great-circle km")
    speed_kmh: float = Field(60.0, gt=0, description="average door-to-door speed by car")


class Bounds(Strict):
    """Bounding box every coordinate must lie in (catches swapped or garbled coordinates)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    @model_validator(mode="after")
    def _ordered(self) -> "Bounds":
        if self.lat_min >= self.lat_max or self.lon_min >= self.lon_max:
            raise ValueError("bounds need lat_min < lat_max and lon_min < lon_max")
        return self


class Manifest(Strict):
    """``instance.toml``: what the instance is, its units, sources and default parameters."""

    name: str
    title: str
    year: int
    units: dict[str, str]
    sources: list[Source] = []
    travel: TravelSettings = TravelSettings()
    bounds: Bounds | None = None
    boundaries: str | None = Field(None, description="GeoJSON file of the regions' boundaries (for report maps)")
    boundaries_key: str = Field("region_id", description="feature property holding the region_id")
    defaults: dict[str, Any] = Field(default_factory=dict, description="scenario defaults for this instance")
    indicator_series: str | None = Field(None, description="CSV of yearly broad-welfare indicators per region "
                                         "(region_id, indicator, year, value) in the instance folder, shown beside a "
                                         "programme's plan")
    agendas: list[str] = Field(default=[], description="kansenagenda workbooks of this instance (projects, priorities), "
                               "relative to the instance folder; a programme reads them")


class DomainRow(Strict):
    domain_id: str
    name: str
    marginal_welfare: float = Field(ge=0)


class StreamRow(Strict):
    stream_id: str
    name: str
    domain_id: str
    amount: float = Field(ge=0)
    deearmark_share: float = Field(ge=0, le=1)
    payer: str | None = None


class FacilityTypeRow(Strict):
    ftype_id: str
    name: str
    domain_id: str
    norm: float = Field(ge=0)
    norm_unit: Literal["min", "km", "region"]
    required_share: float = Field(ge=0, le=1)
    welfare_value: float = Field(ge=0)
    basic_package: bool
    payer: str | None = None
    demand: Literal["all", "children_4_11"] | None = None


ROW_MODELS: dict[str, type[Strict]] = {
    "domains": DomainRow,
    "streams": StreamRow,
    "facility_types": FacilityTypeRow,
}


def validate_rows(records: list[dict], model: type[Strict], label: str, issues: IssueCollector) -> None:
    """Validate each record (already typed) with ``model``; issues name the spreadsheet row."""
    for n, record in enumerate(records):
        try:
            model(**{k: _plain(v) for k, v in record.items()})
        except ValidationError as err:
            for e in err.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                issues.add(label, f"{e['msg']} (found {record.get(column)!r})", row=n + 2, column=column)


def _plain(v):
    """numpy scalars to Python scalars, so strict pydantic accepts typed table values."""
    return v.item() if hasattr(v, "item") else v


def pydantic_issues(err: ValidationError, label: str, issues: IssueCollector, prefix: str = "") -> None:
    """Map a pydantic error on a TOML document to issues naming the key path."""
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"])
        issues.add(label, f"{prefix}{path}: {e['msg']}" if path else f"{prefix}{e['msg']}")
