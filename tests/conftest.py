"""Shared fixtures: a tiny valid instance written as CSV files, to be broken one cell at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import tomli_w

TINY_MANIFEST = {
    "name": "tiny", "title": "tiny test instance", "year": 2024,
    "units": {"money": "M€/yr", "population": "persons", "travel": "minutes"},
    "travel": {"detour_factor": 1.0, "speed_kmh": 60.0},
    "bounds": {"lat_min": 50.0, "lat_max": 54.0, "lon_min": 3.0, "lon_max": 8.0},
}


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Two regions, two domains, one facility type; streams pay exactly for the status quo."""
    return {
        "regions": pd.DataFrame({
            "region_id": ["A", "B"], "name": ["Alpha", "Beta"], "population": [1000, 3000],
            "bw_index": [0.8, 1.2], "province": ["P1", "P1"], "corop": ["C1", "C2"], "tags": ["prog", ""],
            "lat": [52.0, 52.1], "lon": [5.0, 5.2],
        }),
        "domains": pd.DataFrame({"domain_id": ["care", "edu"], "name": ["Care", "Education"], "marginal_welfare": [1.0, 1.0]}),
        "streams": pd.DataFrame({
            "stream_id": ["s_care", "s_edu"], "name": ["care grant", "edu grant"], "domain_id": ["care", "edu"],
            "amount": [10.5, 8.0], "deearmark_share": [0.0, 0.5],
        }),
        "baseline": pd.DataFrame({
            "region_id": ["A", "A", "B", "B"], "domain_id": ["care", "edu", "care", "edu"], "amount": [2.0, 2.0, 8.0, 6.0],
        }),
        "facility_types": pd.DataFrame({
            "ftype_id": ["gp"], "name": ["GP"], "domain_id": ["care"], "norm": [10.0], "norm_unit": ["min"],
            "required_share": [1.0], "welfare_value": [100.0], "basic_package": [True],
        }),
        "demand_points": pd.DataFrame({
            "point_id": ["a1", "b1", "b2"], "region_id": ["A", "B", "B"], "name": ["", "", ""],
            "population": [1000, 2000, 1000], "lat": [52.0, 52.1, 52.2], "lon": [5.0, 5.2, 5.2],
        }),
        "sites": pd.DataFrame({
            "site_id": ["gpA", "gpB"], "ftype_id": ["gp", "gp"], "region_id": ["A", "B"], "name": ["", ""],
            "lat": [52.0, 52.1], "lon": [5.0, 5.2], "existing": [True, False], "operating_cost": [0.5, 0.5],
            "opening_cost": [0.2, 0.2], "capacity": ["", ""],
        }),
    }


def write_instance(folder: Path, tables: dict[str, pd.DataFrame], manifest: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(tomli_w.dumps(manifest or TINY_MANIFEST), encoding="utf-8")
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    return write_instance(tmp_path / "tiny", tiny_tables())
