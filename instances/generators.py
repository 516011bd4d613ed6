"""Seeded synthetic instances for tests and benchmarks: ``gen:SIZE:SEED``.

Sizes (regions / demand points; sites ≈ 1.5 per demand point across four types):

====  =======  ======  ==============
size  regions  points  sites (approx.)
====  =======  ======  ==============
S          40     200     ~300
M         342   1 400   ~2 100
L         400   2 000   ~3 000
XL      1 000  10 000  ~15 000
====  =======  ======  ==============

Geometry: region centres uniform in a box of the size of the Netherlands
(≈ 200 × 260 km around 52.2 N, 5.3 E); each region's demand points scatter
around its centre (σ ≈ 6 km), the first one being its main town.  Every number
is drawn from one ``numpy.random.default_rng(seed)`` in a fixed order, so a
size and seed always give the same instance.  Streams pay exactly for the
status quo (baseline + existing sites), as in model.md invariant 1.  All
parameters are illustrative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.errors import InputError, InputIssue

SIZES: dict[str, tuple[int, int]] = {"S": (40, 200), "M": (342, 1400), "L": (400, 2000), "XL": (1000, 10000)}
DOMAINS = ["care", "education", "housing", "accessibility", "safety", "regional_economy"]

# ftype: domain, norm, unit, required share, € per covered person, basic package, sites per point, operating, opening cost
FTYPES = {
    "gp_practice": ("care", 5.0, "km", 0.95, 150.0, True, 0.5, 0.4, 0.15),
    "primary_school": ("education", 6.0, "km", 1.0, 100.0, True, 0.5, 1.2, 0.4),
    "library": ("education", 0.0, "region", 1.0, 30.0, False, None, 0.5, 0.15),
    "emergency": ("care", 45.0, "min", 1.0, 200.0, False, 1 / 60, 12.0, 6.0),
}
LAT0, LON0 = 52.2, 5.3
KM_PER_DEG_LAT = 111.2


def generate_from_name(name: str) -> tuple[dict, dict[str, pd.DataFrame], str]:
    """Parse ``gen:SIZE:SEED`` (e.g. ``gen:L:0``) and generate that instance's tables."""
    parts = name.split(":")
    if len(parts) != 3 or parts[1].upper() not in SIZES or not parts[2].isdigit():
        raise InputError(InputIssue(name, f"a generated instance is named gen:SIZE:SEED with SIZE in {list(SIZES)} "
                                          "and SEED a whole number >= 0, e.g. gen:S:0"))
    return generate(parts[1].upper(), int(parts[2]))


def generate(size: str, seed: int = 0) -> tuple[dict, dict[str, pd.DataFrame], str]:
    """One synthetic instance of ``size`` (S, M, L, XL), deterministic for ``seed``, as (manifest, tables,
    source); :func:`allocator.instance.load_instance` validates it like any other (``gen:SIZE:SEED``)."""
    n_regions, n_points = SIZES[size]
    rng = np.random.default_rng([seed, n_points])
    km_per_deg_lon = KM_PER_DEG_LAT * np.cos(np.radians(LAT0))

    # regions: centres, welfare index, tags
    cx, cy = rng.uniform(-100, 100, n_regions), rng.uniform(-130, 130, n_regions)
    region_ids = np.array([f"R{r:04d}" for r in range(n_regions)])
    bw = np.exp(rng.normal(0, 0.08, n_regions))
    province = np.array([f"P{int((y + 130) // 65) * 3 + int((x + 100) // 67):02d}" for x, y in zip(cx, cy)])
    programme = rng.random(n_regions) < 0.2

    # demand points: every region gets one main town, the rest are spread by population weight
    extra = rng.multinomial(n_points - n_regions, np.full(n_regions, 1 / n_regions))
    point_region = np.concatenate([np.arange(n_regions), np.repeat(np.arange(n_regions), extra)])
    is_town = np.arange(n_points) < n_regions
    spread = np.where(is_town, 1.5, 6.0)
    px = cx[point_region] + rng.normal(0, 1, n_points) * spread
    py = cy[point_region] + rng.normal(0, 1, n_points) * spread
    pop = np.where(is_town, rng.lognormal(9.6, 0.8, n_points), rng.lognormal(7.6, 0.9, n_points))
    pop = np.maximum(np.round(pop), 50).astype(np.int64)
    point_ids = np.array([f"D{i:05d}" for i in range(n_points)])
    region_pop = np.bincount(point_region, weights=pop, minlength=n_regions).astype(np.int64)

    def lat(y):
        return np.round(LAT0 + y / KM_PER_DEG_LAT, 6)

    def lon(x):
        return np.round(LON0 + x / km_per_deg_lon, 6)

    # sites: per type, near demand points (weighted by population); the main towns hold existing sites
    site_frames = []
    for ftype, (domain, norm, unit, share, value, basic, per_point, op, opening) in FTYPES.items():
        if unit == "region":
            n_sites = int(round(1.5 * n_regions))
            host = np.concatenate([np.arange(n_regions), rng.choice(n_points, n_sites - n_regions, p=pop / pop.sum())])
        else:
            n_sites = max(3, int(round(per_point * n_points)))
            host = rng.choice(n_points, n_sites, p=pop / pop.sum())
        sx = px[host] + rng.normal(0, 0.7, len(host))
        sy = py[host] + rng.normal(0, 0.7, len(host))
        existing = rng.random(len(host)) < 0.6
        if unit == "region":  # every region has one library in its main town
            sx[:n_regions], sy[:n_regions], existing[:n_regions] = px[:n_regions], py[:n_regions], True
        scale = rng.uniform(0.8, 1.2, len(host))
        site_frames.append(pd.DataFrame({
            "site_id": [f"{ftype[:3].upper()}{n:05d}" for n in range(len(host))], "ftype_id": ftype,
            "region_id": region_ids[point_region[host]], "name": "", "lat": lat(sy), "lon": lon(sx),
            "existing": existing, "operating_cost": np.round(op * scale, 4),
            "opening_cost": np.round(opening * scale, 4), "capacity": "",
        }))
    sites = pd.concat(site_frames, ignore_index=True)

    # money: baseline per region × domain ∝ population; streams pay exactly for the status quo
    base_per_capita = {"care": 900.0, "education": 500.0, "housing": 300.0, "accessibility": 400.0,
                       "safety": 250.0, "regional_economy": 200.0}  # € per inhabitant per year
    factor = rng.uniform(0.85, 1.15, (n_regions, len(DOMAINS)))
    baseline = np.round(region_pop[:, None] * np.array([base_per_capita[d] for d in DOMAINS]) * factor / 1e6, 6)
    site_cost = sites[sites["existing"]].assign(domain=lambda s: s["ftype_id"].map({k: v[0] for k, v in FTYPES.items()}))
    site_cost = site_cost.groupby("domain")["operating_cost"].sum()
    stream_rows = []
    for d_idx, d in enumerate(DOMAINS):
        total = baseline[:, d_idx].sum() + site_cost.get(d, 0.0)
        fund = round(total * 0.6, 6)
        stream_rows.append({"stream_id": f"fund_{d}", "name": f"general fund share, {d}", "domain_id": d,
                            "amount": fund, "deearmark_share": 0.1})
        stream_rows.append({"stream_id": f"grant_{d}", "name": f"specific grants, {d}", "domain_id": d,
                            "amount": round(total - fund + 1e-6, 6), "deearmark_share": 0.0})

    frames = {
        "regions": pd.DataFrame({
            "region_id": region_ids, "name": [f"Region {r}" for r in range(n_regions)], "population": region_pop,
            "bw_index": np.round(bw / (bw @ region_pop / region_pop.sum()), 6), "province": province,
            "corop": [f"C{r // 8:03d}" for r in range(n_regions)],
            "tags": np.where(programme, "programme", ""), "lat": lat(cy), "lon": lon(cx),
        }),
        "domains": pd.DataFrame({"domain_id": DOMAINS, "name": DOMAINS, "marginal_welfare": 1.0}),
        "streams": pd.DataFrame(stream_rows),
        "baseline": pd.DataFrame({
            "region_id": np.repeat(region_ids, len(DOMAINS)), "domain_id": np.tile(DOMAINS, n_regions),
            "amount": baseline.ravel(),
        }),
        "facility_types": pd.DataFrame([
            {"ftype_id": k, "name": k.replace("_", " "), "domain_id": v[0], "norm": v[1], "norm_unit": v[2],
             "required_share": v[3], "welfare_value": v[4], "basic_package": v[5]} for k, v in FTYPES.items()
        ]),
        "demand_points": pd.DataFrame({
            "point_id": point_ids, "region_id": region_ids[point_region], "name": "", "population": pop,
            "lat": lat(py), "lon": lon(px),
        }),
        "sites": sites,
    }
    manifest = {
        "name": f"gen-{size}-{seed}", "title": f"Synthetic instance, size {size}, seed {seed} (illustrative)",
        "year": 2024, "units": {"money": "M€/yr", "population": "persons", "travel": "minutes or km"},
        "bounds": {"lat_min": 50.0, "lat_max": 54.5, "lon_min": 2.5, "lon_max": 8.1},
    }
    return manifest, frames, f"gen:{size}:{seed}"
