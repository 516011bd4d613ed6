"""Reach sets N_k(i) against a brute-force double loop on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocator.travel import great_circle_km, reach_table


def random_case(seed: int, n_points=40, n_sites=30):
    rng = np.random.default_rng(seed)
    points = pd.DataFrame({
        "region_id": rng.choice(["A", "B", "C"], n_points), "population": rng.integers(10, 1000, n_points),
        "lat": 52 + rng.uniform(-0.5, 0.5, n_points), "lon": 5 + rng.uniform(-0.7, 0.7, n_points),
    }, index=pd.Index([f"p{i}" for i in range(n_points)], name="point_id"))
    sites = pd.DataFrame({
        "ftype_id": rng.choice(["t_min", "t_km", "t_reg"], n_sites), "region_id": rng.choice(["A", "B", "C"], n_sites),
        "lat": 52 + rng.uniform(-0.5, 0.5, n_sites), "lon": 5 + rng.uniform(-0.7, 0.7, n_sites),
    }, index=pd.Index([f"s{j}" for j in range(n_sites)], name="site_id"))
    sites.iloc[0, sites.columns.get_loc("ftype_id")] = "t_km"
    sites.iloc[0, sites.columns.get_loc("lat")] = points["lat"].iloc[0]  # a site exactly on a point
    sites.iloc[0, sites.columns.get_loc("lon")] = points["lon"].iloc[0]
    ftypes = pd.DataFrame({"norm": [20.0, 15.0, 0.0], "norm_unit": ["min", "km", "region"]},
                          index=pd.Index(["t_min", "t_km", "t_reg"], name="ftype_id"))
    return points, sites, ftypes


def brute_force(points, sites, ftypes, detour, speed):
    out = set()
    for i, p in points.iterrows():
        for j, s in sites.iterrows():
            f = ftypes.loc[s["ftype_id"]]
            km = detour * great_circle_km(p["lat"], p["lon"], s["lat"], s["lon"])
            ok = {"min": km / speed * 60 <= f["norm"], "km": km <= f["norm"],
                  "region": p["region_id"] == s["region_id"]}[f["norm_unit"]]
            if ok:
                out.add((i, s["ftype_id"], j))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reach_equals_brute_force(seed):
    points, sites, ftypes = random_case(seed)
    table = reach_table(points, sites, ftypes, ftypes["norm"], None, 1.3, 50.0)
    got = set(zip(table["point_id"], table["ftype_id"], table["site_id"]))
    assert got == brute_force(points, sites, ftypes, 1.3, 50.0)
    assert len(got) == len(table)  # no duplicate rows
    assert ("p0", "t_km", "s0") in got  # zero distance is within reach


def test_given_travel_table_replaces_coordinates():
    points, sites, ftypes = random_case(3)
    travel = pd.DataFrame({"point_id": ["p0", "p1", "p2"], "site_id": ["s1", "s2", "s3"],
                           "minutes": [5.0, 25.0, 10.0], "km": [3.0, 30.0, 16.0]})
    table = reach_table(points, sites, ftypes, ftypes["norm"], travel, 1.3, 50.0)
    kinds = sites["ftype_id"]
    expected = set()
    for p, s, m, km in travel.itertuples(index=False):
        k = kinds[s]
        if (ftypes.loc[k, "norm_unit"] == "min" and m <= 20) or (ftypes.loc[k, "norm_unit"] == "km" and km <= 15):
            expected.add((p, k, s))
    got = {(p, k, s) for p, k, s in zip(table["point_id"], table["ftype_id"], table["site_id"]) if k != "t_reg"}
    assert got == expected
