"""Strict pydantic models for the instance manifest (``instance.toml``).

Strict (no silent coercion), ``extra="forbid"`` (a typo is an error, not a
default) and frozen (a validated value is never changed behind a user's back).
The tables (CSV or Excel) are described once, in :mod:`allocator.tables`.
"""

from __future__ import annotations

from typing import Any

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


def pydantic_issues(err: ValidationError, label: str, issues: IssueCollector, prefix: str = "") -> None:
    """Map a pydantic error on a TOML document to issues naming the key path."""
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"])
        issues.add(label, f"{prefix}{path}: {e['msg']}" if path else f"{prefix}{e['msg']}")
