"""Travel times and the sparse reach sets N_k(i) = { j : k(j) = k, t_ij ≤ τ_k }.

Without a ``travel.csv``, travel is derived from coordinates:
``km = great-circle km × detour_factor`` and ``minutes = km / speed_kmh × 60``
(both in the manifest's ``[travel]``; documented per instance).  Pairs are found
with a KD-tree on unit-sphere (ECEF) coordinates: a chord radius is an exact
great-circle radius, so the query returns exactly the pairs within the norm and
no Python loop runs over point × site products.

Norm units: ``min`` and ``km`` compare t_ij or road km with τ_k; ``region``
means "a site of the type in the point's own region" (e.g. one library per
municipality), for which no travel is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.scipy_parts import cKDTree

EARTH_RADIUS_KM = 6371.0088
REACH_COLUMNS = ["point_id", "ftype_id", "site_id", "km", "minutes"]


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (ECEF / R) for WGS84 degrees."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km, vectorised."""
    la1, lo1, la2, lo2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def norm_radius_km(norm: float, unit: str, detour: float, speed_kmh: float) -> float:
    """Great-circle radius equivalent to a norm: km/detour, or minutes → km at speed, / detour."""
    if unit == "km":
        return norm / detour
    if unit == "min":
        return norm / 60.0 * speed_kmh / detour
    raise ValueError(f"no radius for norm unit {unit!r}")


def count_within(points: pd.DataFrame, sites: pd.DataFrame, radius_km: float) -> int:
    """How many (point, site) pairs lie within ``radius_km``, counted without listing them (little memory)."""
    if len(points) == 0 or len(sites) == 0:
        return 0
    p = unit_vectors(points["lat"].to_numpy(float), points["lon"].to_numpy(float))
    s = unit_vectors(sites["lat"].to_numpy(float), sites["lon"].to_numpy(float))
    chord = 2 * np.sin(min(radius_km / EARTH_RADIUS_KM, np.pi) / 2) + 1e-12
    return int(cKDTree(s).count_neighbors(cKDTree(p), chord))


def pairs_within(points: pd.DataFrame, sites: pd.DataFrame, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point positions, site positions, great-circle km) of all pairs within ``radius_km``."""
    if len(points) == 0 or len(sites) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    p = unit_vectors(points["lat"].to_numpy(float), points["lon"].to_numpy(float))
    s = unit_vectors(sites["lat"].to_numpy(float), sites["lon"].to_numpy(float))
    # chord length for an arc of radius_km, plus a hair so boundary pairs are not lost to rounding
    chord = 2 * np.sin(min(radius_km / EARTH_RADIUS_KM, np.pi) / 2) + 1e-12
    coo = cKDTree(s).sparse_distance_matrix(cKDTree(p), chord, output_type="coo_matrix")
    site_pos, point_pos = coo.row.astype(np.int64), coo.col.astype(np.int64)
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(coo.data / 2, 0, 1))
    # sparse_distance_matrix drops zero distances (a site on a point): add them back
    zero_s, zero_p = _coincident(s, p)
    site_pos = np.concatenate([site_pos, zero_s])
    point_pos = np.concatenate([point_pos, zero_p])
    km = np.concatenate([km, np.zeros(len(zero_s))])
    keep = km <= radius_km + 1e-9
    point_pos, site_pos, km = point_pos[keep], site_pos[keep], km[keep]
    # a coincident pair may also survive in the sparse matrix (rounding): keep one row per pair
    _, first = np.unique(point_pos * len(s) + site_pos, return_index=True)
    return point_pos[first], site_pos[first], km[first]


def _coincident(s: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs = cKDTree(s).query_ball_tree(cKDTree(p), 1e-13)
    si = np.repeat(np.arange(len(pairs)), [len(x) for x in pairs]).astype(np.int64)
    pi = np.fromiter((j for x in pairs for j in x), dtype=np.int64, count=len(si))
    return si, pi


def reach_table(points: pd.DataFrame, sites: pd.DataFrame, ftypes: pd.DataFrame, norms: pd.Series,
                travel: pd.DataFrame | None, detour: float, speed_kmh: float) -> pd.DataFrame:
    """All (point, type, site) triples with the site within the type's norm, with km and minutes.

    ``norms`` gives τ_k per ftype_id (the scenario may override the instance's).
    ``travel`` (optional) replaces coordinate-derived travel: only its arcs exist.
    """
    parts = []
    for ftype, row in ftypes.iterrows():
        of_type = sites[sites["ftype_id"] == ftype]
        if of_type.empty:
            continue
        unit, norm = row["norm_unit"], float(norms[ftype])
        if unit == "region":
            parts.append(_same_region(points, of_type, ftype, detour, speed_kmh))
        elif travel is not None:
            arcs = travel[travel["site_id"].isin(of_type.index)]
            limit = arcs["minutes"] if unit == "min" else arcs["km"]
            arcs = arcs[limit <= norm + 1e-9]
            parts.append(arcs.assign(ftype_id=ftype)[REACH_COLUMNS])
        else:
            radius = norm_radius_km(norm, unit, detour, speed_kmh)
            pi, si, gc = pairs_within(points, of_type, radius)
            km = gc * detour
            parts.append(pd.DataFrame({
                "point_id": points.index.to_numpy()[pi], "ftype_id": ftype, "site_id": of_type.index.to_numpy()[si],
                "km": km, "minutes": km / speed_kmh * 60.0,
            }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("km", "minutes") else object) for c in REACH_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["ftype_id", "point_id", "site_id"], kind="stable").reset_index(drop=True)


def _same_region(points: pd.DataFrame, sites: pd.DataFrame, ftype: str, detour: float, speed_kmh: float) -> pd.DataFrame:
    pts = points[["region_id"]].reset_index(names="point_id")
    sts = sites[["region_id"]].reset_index(names="site_id")
    pairs = pts.merge(sts, on="region_id")
    if {"lat", "lon"} <= set(points) and len(pairs):
        p, s = points.loc[pairs["point_id"]], sites.loc[pairs["site_id"]]
        km = detour * great_circle_km(p["lat"].to_numpy(), p["lon"].to_numpy(), s["lat"].to_numpy(), s["lon"].to_numpy())
    else:
        km = np.full(len(pairs), np.nan)
    return pairs.assign(ftype_id=ftype, km=km, minutes=km / speed_kmh * 60.0)[REACH_COLUMNS]
