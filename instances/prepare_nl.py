"""Build the shipped Dutch instance ``instances/nl`` from the real data in ``shared/data/nl``.

Re-runnable: ``python -m regio_instances.prepare_nl [--source ../shared/data/nl] [--out instances/nl]``.
It writes the instance tables, ``calibration.csv`` (CBS vs modelled distance
per municipality and facility type) and copies the boundary GeoJSON.
What is data and what is an illustrative assumption is listed in
``instances/nl/README.md``; the constants below are those assumptions.

Rules, in brief:

* regions: the 342 municipalities of 1 Jan 2024 (CBS), with tags province,
  COROP and NPVR programme region (NPVR regions approximated by COROP regions);
* bw_index: mean of population-weighted z-scores of eight CBS broad-welfare
  indicators (latest year per municipality, sign so that higher = better),
  mapped to ``1 + 0.1·z`` and renormalised to a population-weighted mean of 1;
* demand points: the 1 109 CBS population centres (2021), scaled so that no
  municipality's centres exceed its 2024 population, plus one point per
  municipality at its representative point for the rest (a rest under 200
  persons joins the largest centre), so that points add up exactly to the
  2024 municipal populations;
* sites: the 98 RIVM general-hospital locations as existing emergency sites; the 6,122 DUO primary
  schools (:mod:`regio_instances.prepare_nl_schools`); GP practices and libraries placed at every centre above
  a population threshold plus the largest centre of each municipality, the threshold and a
  within-centre access distance fitted per type to the CBS 2022 average distances; regional centres
  (Mittelzentren) at centres of ≥ 20 000 inhabitants; candidate sites at demand points without one;
* payers: GP practices and emergency departments the health insurers (``zvw``), primary schools the
  education ministry's lump sum (``ocw``), libraries and regional centres the municipality;
* money (:mod:`regio_instances.prepare_nl_money`): the municipality's spending per domain is its CBS Iv3 2024
  lasten per taakveld (mapped in ``taakvelden.csv``); baseline programmes = that minus the municipal
  sites in it (libraries cost what taakveld 5.6 Media spends); streams: earmarked income (Iv3 baten),
  the gemeentefonds and own income, which pay the baseline exactly; the insurers' and the ministry's
  streams pay exactly for their existing sites.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.travel import pairs_within
from regio_instances.prepare_nl_money import (OPTIMISED, fund_by_municipality, municipal_streams, need_by_domain, read_gemeentefonds,
                                        read_iv3, taakveld_table)
from regio_instances.prepare_nl_schools import children_4_11, place_schools, read_schools, school_sites

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "data" / "nl"
DETOUR, SPEED_KMH = 1.3, 60.0

# NPVR (Nationaal Programma Vitale Regio's, 2025): 11 regions, approximated by COROP regions (no official
# membership list is public); "Noord-" Groningen adds Het Hogeland (GM1966), the north coast, from CR03
NPVR = {
    "kop-van-noord-holland": ["CR18"], "noord-en-oost-groningen": ["CR01", "CR02", "GM1966"],
    "zuidoost-friesland": ["CR06"], "noord-friesland": ["CR04"], "zuid-en-oost-drenthe": ["CR08", "CR09"],
    "twente": ["CR12"], "achterhoek": ["CR14"], "noord-limburg": ["CR37"], "midden-limburg": ["CR38"],
    "zuid-limburg": ["CR39"], "zeeuws-vlaanderen": ["CR31"],
}
# broad-welfare composite: indicator -> +1 if higher is better, -1 if lower is better
BW_INDICATORS = {
    "median_disposable_income_eur": 1, "net_labour_participation_pct": 1, "unemployment_pct": -1,
    "population_with_starting_qualification_pct": 1, "good_self_rated_health_pct": 1,
    "life_expectancy_at_birth_years": 1, "registered_problematic_debt_pct": -1, "satisfied_with_life_pct": 1,
}
BW_SPREAD = 0.1

DOMAINS = [  # id, name, marginal welfare of the first extra euro (illustrative)
    ("care", "Care (zorg)", 1.0), ("education", "Education (onderwijs)", 1.0),
    ("housing", "Housing (huisvesting)", 0.9), ("accessibility", "Accessibility (bereikbaarheid)", 0.9),
    ("safety", "Safety (veiligheid)", 0.8), ("regional_economy", "Regional economy", 0.8),
]
IV3_YEAR = "2024B"  # CBS Iv3 begroting 2024; "2023J" = jaarrekening 2023 (realised), the documented alternative

# ftype: name, domain, norm, unit, required share, €/covered person/yr, basic package, operating, opening M€/yr
# (schools: cost per school from the DUO pupils, libraries: from Iv3 taakveld 5.6; see the modules)
FTYPES = {
    "emergency": ("Emergency department (SEH)", "care", 45.0, "min", 1.0, 200.0, False, 12.0, 6.0),
    "gp_practice": ("GP practice (huisarts)", "care", 5.0, "km", 1.0, 150.0, True, 0.4, 0.15),
    "primary_school": ("Primary school (basisschool)", "education", 6.0, "km", 1.0, 1200.0, True, 1.2, 0.4),
    "library": ("Public library (bibliotheek)", "education", 0.0, "region", 1.0, 30.0, True, 0.5, 0.15),
    "regional_centre": ("Regional centre (Mittelzentrum)", "regional_economy", 30.0, "min", 1.0, 100.0, False, 3.0, 1.5),
}
PAYERS = {"emergency": "zvw", "gp_practice": "zvw", "primary_school": "ocw", "library": "municipality",
          "regional_centre": "municipality"}
DEMAND = {"primary_school": "children_4_11"}  # who needs the type; others: all residents
CALIBRATED = {"gp_practice": "dist_gp_practice_km", "library": "dist_library_km"}
REGIONAL_CENTRE_MIN_POP, REGIONAL_CENTRE_CANDIDATE_POP, EMERGENCY_CANDIDATE_POP = 20_000, 7_500, 15_000
MIN_REST_POP = 200  # a smaller "outside centres" remainder joins the municipality's largest centre (numerics)
CAPACITY_HEADROOM, MIN_CAPACITY = 1.0, 500  # capacity = headroom × status-quo load (persons), at least this


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=HERE / "nl")
    ap.add_argument("--iv3-year", choices=["2024B", "2023J"], default=IV3_YEAR,
                    help="CBS Iv3 2024 begroting (default) or 2023 jaarrekening (realised)")
    args = ap.parse_args()
    build(args.source, args.out, args.iv3_year)


def build(src: Path, out: Path, iv3_year: str = IV3_YEAR) -> None:
    out.mkdir(parents=True, exist_ok=True)
    mun = pd.read_csv(src / "municipalities_2024.csv")
    crosswalk = pd.read_csv(src / "real" / "name_to_gmcode_crosswalk.csv")
    iv3 = read_iv3(src, iv3_year, crosswalk)
    taakvelden = taakveld_table(iv3)
    need = need_by_domain(iv3, taakvelden)
    bw_long = pd.read_csv(src / "brede_welvaart_municipalities.csv")
    regions = make_regions(mun, bw_long)
    points = make_points(mun, pd.read_csv(src / "population_centres_2021.csv"))
    cbs = cbs_distances(pd.read_csv(src / "facility_distance_2022.csv"))
    schools, placed = place_schools(read_schools(src), points, mun)
    sites, calibration, fits = make_sites(points, pd.read_csv(src / "hospital_locations_2025.csv"), cbs, schools,
                                          regions.set_index("region_id"))
    library_costs(sites, iv3)
    ftypes = pd.DataFrame([
        {"ftype_id": k, "name": v[0], "domain_id": v[1], "norm": v[2], "norm_unit": v[3], "required_share": v[4],
         "welfare_value": v[5], "basic_package": v[6], "payer": PAYERS[k], "demand": DEMAND.get(k, "all")}
        for k, v in FTYPES.items()
    ])
    au, du = read_gemeentefonds(src, iv3_year, crosswalk)
    fund = fund_by_municipality(au, du)
    streams, baseline, floored = make_money(need, sites, ftypes, float(fund.to_numpy().sum()))
    budget = municipal_budget(regions, need, fund)
    domains = pd.DataFrame(DOMAINS, columns=["domain_id", "name", "marginal_welfare"])
    for name, frame in (("regions", regions), ("domains", domains), ("streams", streams), ("baseline", baseline),
                        ("facility_types", ftypes), ("demand_points", points), ("sites", sites),
                        ("calibration", calibration), ("taakvelden", taakvelden), ("municipal_budget_2024", budget)):
        frame.to_csv(out / f"{name}.csv", index=False, float_format="%.10g" if name != "baseline" else "%.6f")
    bw_series(bw_long).to_csv(out / "bw_series.csv", index=False, float_format="%.10g")
    shutil.copyfile(src / "municipalities_2024.geojson", out / "municipalities_2024.geojson")
    print(f"regions {len(regions)}, population {regions['population'].sum():,}, points {len(points)} "
          f"(population {points['population'].sum():,}), sites {len(sites)} ({int(sites['existing'].sum())} existing)")
    print(f"DUO schools {len(schools):,}: {placed['at_population_centre']:,} at their population centre, "
          f"{placed['at_municipality_point']:,} at their municipality's representative point")
    print(f"Iv3 {iv3_year}: lasten {need['lasten_meur'].sum():,.0f} M€ (0.10/0.11 left out), of which "
          f"{need['lasten_meur'].drop('general', level='domain_id').sum():,.0f} M€ in the six domains; "
          f"gemeentefonds {fund.to_numpy().sum():,.0f} M€; {floored} region-domain baseline(s) floored at 0")
    for k, f in fits.items():
        print(f"calibration {k}: threshold {f['threshold']:,.0f} inh., access {f['access_km']:.2f} km, "
              f"MAE {f['mae_km']:.2f} km, mean CBS {f['cbs_mean_km']:.2f} vs model {f['model_mean_km']:.2f} km, "
              f"r = {f['corr']:.2f}, existing sites {f['sites']}")


def make_regions(mun: pd.DataFrame, bw_long: pd.DataFrame) -> pd.DataFrame:
    npvr = {c: slug for slug, corops in NPVR.items() for c in corops}
    member = [npvr.get(g, npvr.get(c)) for g, c in zip(mun["municipality_code"], mun["corop_code"])]
    tags = [";".join([p, c] + (["npvr", f"npvr:{n}"] if n else []))
            for p, c, n in zip(mun["province_code"], mun["corop_code"], member)]
    return pd.DataFrame({
        "region_id": mun["municipality_code"], "name": mun["municipality_name"], "population": mun["population"],
        "bw_index": bw_index(mun, bw_long).round(4), "province": mun["province_name"], "corop": mun["corop_code"],
        "tags": tags, "lat": mun["lat"], "lon": mun["lon"],
        "children_4_11": children_4_11(mun).reindex(mun["municipality_code"]).to_numpy(),
    })


def bw_series(bw_long: pd.DataFrame) -> pd.DataFrame:
    """The yearly values of the composite's indicators per municipality (region_id, indicator, year, value):
    what monitoring shows beside a programme's plan."""
    data = bw_long[bw_long["indicator"].isin(BW_INDICATORS)].rename(columns={"municipality_code": "region_id"})
    return data[["region_id", "indicator", "year", "value"]].sort_values(["region_id", "indicator", "year"])


def bw_index(mun: pd.DataFrame, bw_long: pd.DataFrame) -> np.ndarray:
    """1 + 0.1·(mean signed z-score of the indicators), renormalised to population-weighted mean 1."""
    pop = mun.set_index("municipality_code")["population"].astype(float)
    prov = mun.set_index("municipality_code")["province_code"]
    data = bw_long[bw_long["indicator"].isin(BW_INDICATORS)]
    latest = data.sort_values("year").groupby(["municipality_code", "indicator"])["value"].last().unstack()
    latest = latest.reindex(pop.index)
    z = pd.DataFrame(index=pop.index)
    for ind, sign in BW_INDICATORS.items():
        col = latest[ind]
        col = col.fillna(col.groupby(prov).transform(lambda s: _weighted_mean(s, pop)))
        col = col.fillna(_weighted_mean(col, pop))  # a province with no value at all: the national mean
        mean = np.average(col, weights=pop)
        sd = np.sqrt(np.average((col - mean) ** 2, weights=pop))
        z[ind] = sign * (col - mean) / sd
    raw = 1 + BW_SPREAD * z.mean(axis=1)
    return (raw / np.average(raw, weights=pop)).to_numpy()


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """Population-weighted mean of the values that are present (NaN if none is)."""
    known = values.dropna()
    return float(np.average(known, weights=weights[known.index])) if len(known) else np.nan


def make_points(mun: pd.DataFrame, centres: pd.DataFrame) -> pd.DataFrame:
    """Centres (scaled to fit 2024 totals) plus one rest-of-municipality point at the representative point."""
    pop24 = mun.set_index("municipality_code")["population"]
    c = centres.copy()
    c["point_id"] = [f"K{i:04d}" for i in range(len(c))]
    total = c.groupby("municipality_code")["population_2021"].transform("sum")
    cap = c["municipality_code"].map(pop24)
    scale = np.minimum(1.0, cap / total)
    c["population"] = np.floor(c["population_2021"] * scale).astype(np.int64)
    rest = pop24 - c.groupby("municipality_code")["population"].sum().reindex(pop24.index, fill_value=0)
    small = rest[(rest > 0) & (rest < MIN_REST_POP) & rest.index.isin(c["municipality_code"])]
    largest = c.groupby("municipality_code")["population"].idxmax()
    c.loc[largest[small.index].to_numpy(), "population"] += small.to_numpy()
    rest[small.index] = 0
    r = mun[["municipality_code", "municipality_name", "lat", "lon"]].copy()
    r["population"] = r["municipality_code"].map(rest).astype(np.int64)
    r["point_id"] = "O" + r["municipality_code"].str[2:]
    r["name"] = r["municipality_name"] + " (outside centres)"
    points = pd.concat([
        c.rename(columns={"town_name": "name"})[["point_id", "municipality_code", "name", "population", "lat", "lon"]],
        r[["point_id", "municipality_code", "name", "population", "lat", "lon"]],
    ], ignore_index=True).rename(columns={"municipality_code": "region_id"})
    points = points[points["population"] > 0].reset_index(drop=True)
    assert points.groupby("region_id")["population"].sum().reindex(pop24.index).eq(pop24).all()
    return points


def cbs_distances(dist: pd.DataFrame) -> pd.DataFrame:
    """CBS 2022 average distances mapped to 2024 municipalities (population-weighted over merged ones)."""
    cols = list(CALIBRATED.values()) + ["dist_primary_school_km", "dist_hospital_km"]
    w = dist["population_2022"].astype(float)
    g = dist[cols].mul(w, axis=0).groupby(dist["municipality_code_2024"]).sum()
    return g.div(w.groupby(dist["municipality_code_2024"]).sum(), axis=0)


def nearest_km(points: pd.DataFrame, sites: pd.DataFrame, max_km: float = 60.0) -> np.ndarray:
    """Road km (great-circle × detour) from each point to its nearest site (capped search radius)."""
    pi, si, gc = pairs_within(points, sites, max_km / DETOUR)
    best = np.full(len(points), max_km)
    np.minimum.at(best, pi, gc * DETOUR)
    return best


def modelled_mean(points: pd.DataFrame, km: np.ndarray) -> pd.Series:
    w = points["population"].to_numpy(float)
    return pd.Series(km * w, index=points.index).groupby(points["region_id"]).sum() / points.groupby("region_id")["population"].sum()


def make_sites(points: pd.DataFrame, hospitals: pd.DataFrame, cbs: pd.DataFrame, schools: pd.DataFrame,
               regions: pd.DataFrame):
    largest = points.index.isin(points.groupby("region_id")["population"].idxmax())
    frames, calib, fits = [], [], {}
    # calibrated types: centre threshold + within-centre access distance fitted to CBS
    for k, col in CALIBRATED.items():
        target = cbs[col].reindex(points["region_id"].unique())
        best = None
        for threshold in np.unique(np.round(np.geomspace(1_000, 200_000, 60), -2)):
            host = (points["population"] >= threshold) | largest
            base = modelled_mean(points, nearest_km(points, points[host]))
            resid = target - base.reindex(target.index)
            access = max(0.0, float(np.median(resid)))
            mae = float(np.abs(resid - access).mean())
            if best is None or mae < best[0] - 1e-9:
                best = (mae, threshold, access, host, base)
        mae, threshold, access, host, base = best
        model = base.reindex(target.index) + access
        fits[k] = {"threshold": threshold, "access_km": access, "mae_km": mae, "cbs_mean_km": float(target.mean()),
                   "model_mean_km": float(model.mean()), "corr": float(np.corrcoef(target, model)[0, 1]),
                   "sites": int(host.sum())}
        calib.append(pd.DataFrame({"region_id": target.index, "ftype_id": k, "cbs_km": target.round(3).to_numpy(),
                                   "model_km": model.round(3).to_numpy()}))
        frames.append(_sites_at(points, host, k, existing=True))
        frames.append(_sites_at(points, ~host, k, existing=False))
    # emergency departments: the real hospital list; candidates at large centres far from one
    h = hospitals.reset_index(drop=True)
    frames.append(pd.DataFrame({
        "site_id": [f"emergency-H{i:03d}" for i in range(len(h))], "ftype_id": "emergency",
        "region_id": h["municipality_code"], "name": h["hospital_name"], "lat": h["lat"], "lon": h["lon"],
        "existing": True,
    }))
    hosp_km = nearest_km(points, h)
    cand = (points["population"] >= EMERGENCY_CANDIDATE_POP) & (hosp_km > 10.0)
    frames.append(_sites_at(points, cand, "emergency", existing=False))
    calib.append(_not_fitted(points, hosp_km, cbs["dist_hospital_km"], "emergency", len(h), fits,
                             "emergency (hospitals, not fitted)"))
    # primary schools: DUO, placed by place name (not fitted; the CBS distance is shown beside the model's)
    kids = regions["children_4_11"] / regions["population"]
    duo = school_sites(schools, points, kids)
    calib.append(_not_fitted(points, nearest_km(points, duo[duo["existing"]]), cbs["dist_primary_school_km"],
                             "primary_school", int(duo["existing"].sum()), fits, "primary_school (DUO, not fitted)"))
    # regional centres
    rc = points["population"] >= REGIONAL_CENTRE_MIN_POP
    frames.append(_sites_at(points, rc, "regional_centre", existing=True))
    frames.append(_sites_at(points, ~rc & (points["population"] >= REGIONAL_CENTRE_CANDIDATE_POP), "regional_centre", existing=False))
    sites = pd.concat(frames, ignore_index=True)
    sites["operating_cost"] = sites["ftype_id"].map({k: v[7] for k, v in FTYPES.items()})
    sites["opening_cost"] = sites["ftype_id"].map({k: v[8] for k, v in FTYPES.items()})
    sites["capacity"] = capacities(points, sites)
    sites = pd.concat([sites, duo], ignore_index=True)
    return sites, pd.concat(calib, ignore_index=True), fits


def _not_fitted(points: pd.DataFrame, km: np.ndarray, cbs_km: pd.Series, ftype: str, sites: int, fits: dict,
                label: str) -> pd.DataFrame:
    """Real (not fitted) locations: the modelled mean distance per municipality beside CBS's, recorded in ``fits``."""
    target = cbs_km.reindex(points["region_id"].unique())
    model = modelled_mean(points, km).reindex(target.index)
    fits[label] = {"threshold": 0, "access_km": 0.0, "mae_km": float((target - model).abs().mean()),
                   "cbs_mean_km": float(target.mean()), "model_mean_km": float(model.mean()),
                   "corr": float(np.corrcoef(target, model)[0, 1]), "sites": sites}
    return pd.DataFrame({"region_id": target.index, "ftype_id": ftype, "cbs_km": target.round(3).to_numpy(),
                         "model_km": model.round(3).to_numpy()})


def library_costs(sites: pd.DataFrame, iv3: pd.DataFrame) -> None:
    """A municipality's existing libraries share what its Iv3 taakveld 5.6 (Media) spends; where that is 0 (the
    library paid through another body) they cost the national median, as do candidates (operating; opening 30 %)."""
    media = iv3[iv3["code"] == "5.6"].groupby("region_id")["lasten_meur"].sum()
    lib = sites["ftype_id"] == "library"
    existing = lib & sites["existing"]
    count = sites[existing].groupby("region_id").size()
    per_site = (media / count).reindex(sites.loc[existing, "region_id"]).to_numpy()
    median = float(np.nanmedian(per_site[per_site > 0]))
    sites.loc[existing, "operating_cost"] = np.where(per_site > 0, per_site, median).round(6)
    sites.loc[lib & ~sites["existing"], "operating_cost"] = round(median, 6)
    sites.loc[lib, "opening_cost"] = round(0.3 * median, 6)


def capacities(points: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """Placed types: headroom × the population for which the site is the nearest existing one (same
    municipality for libraries); a candidate: headroom × its host point's population.  Others unlimited."""
    cap = pd.Series(np.nan, index=sites.index)
    for k in CALIBRATED:
        of_type = sites[sites["ftype_id"] == k]
        existing = of_type[of_type["existing"]]
        load = pd.Series(0.0, index=existing.index)
        groups = points.groupby("region_id") if FTYPES[k][3] == "region" else [(None, points)]
        for region, pts in groups:
            ex = existing if region is None else existing[existing["region_id"] == region]
            if ex.empty:
                continue
            pi, si, gc = pairs_within(pts, ex, 400.0)
            best = pd.DataFrame({"p": pi, "s": si, "d": gc}).sort_values(["p", "d"]).drop_duplicates("p")
            served = np.bincount(best["s"], weights=pts["population"].to_numpy(float)[best["p"]], minlength=len(ex))
            load[ex.index] += served
        cap[existing.index] = np.maximum(MIN_CAPACITY, np.ceil(CAPACITY_HEADROOM * load))
        cand = of_type[~of_type["existing"]]
        host = cand["site_id"].str.removeprefix(f"{k}-").map(points.set_index("point_id")["population"])
        cap[cand.index] = np.maximum(MIN_CAPACITY, np.ceil(CAPACITY_HEADROOM * host.to_numpy(float)))
    return cap


def _sites_at(points: pd.DataFrame, mask, ftype: str, existing: bool) -> pd.DataFrame:
    p = points[np.asarray(mask)]
    return pd.DataFrame({
        "site_id": f"{ftype}-" + p["point_id"], "ftype_id": ftype, "region_id": p["region_id"],
        "name": p["name"], "lat": p["lat"], "lon": p["lon"], "existing": existing,
    })


def make_money(need: pd.DataFrame, sites: pd.DataFrame, ftypes: pd.DataFrame, fund_total: float):
    """Streams and baseline (module docstring): b_rd = Iv3 lasten_rd − the municipality's existing sites in (r, d)
    (at least 0); the insurers' and the ministry's streams pay exactly for their existing sites."""
    streams = municipal_streams(need, fund_total)
    ft = ftypes.set_index("ftype_id")
    existing = sites[sites["existing"]].assign(domain_id=lambda f: f["ftype_id"].map(ft["domain_id"]),
                                               payer=lambda f: f["ftype_id"].map(ft["payer"]))
    own = existing[existing["payer"] == "municipality"].groupby(["region_id", "domain_id"])["operating_cost"].sum()
    lasten = need["lasten_meur"].drop("general", level="domain_id")
    raw = lasten.sub(own.reindex(lasten.index, fill_value=0.0))
    amount = np.floor(np.maximum(raw, 0.0) * 1e6) / 1e6  # round down to the euro: the streams cover the status quo
    baseline = amount.rename("amount").reset_index()
    # where a municipality's sites cost more than its Iv3 lasten (a library at the median cost with no 5.6
    # spending), its own income pays the difference: added to that domain's own-income stream
    over = (-raw.clip(upper=0.0)).groupby(level="domain_id").sum()
    for d, v in over[over > 0].items():
        streams.loc[streams["stream_id"] == f"own_{d}", "amount"] += round(float(v), 6)
    others = existing[existing["payer"] != "municipality"].groupby(["payer", "domain_id"])["operating_cost"].sum()
    names = {"zvw": "Health insurers (Zvw): running cost of the modelled sites they pay",
             "ocw": "Education ministry (OCW) lump sum for the primary schools (illustrative per-school cost)"}
    extra = pd.DataFrame([{"stream_id": f"{p}_{d}", "name": names.get(p, p), "domain_id": d, "amount": round(v, 6) + 1e-6,
                           "deearmark_share": 0.0, "payer": p} for (p, d), v in others.items()])
    return pd.concat([streams, extra], ignore_index=True), baseline, int((raw < 0).sum())


def municipal_budget(regions: pd.DataFrame, need: pd.DataFrame, fund: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: Iv3 lasten per domain (the six and ``general``), their total, and the gemeentefonds (M€)."""
    lasten = need["lasten_meur"].unstack(fill_value=0.0).reindex(columns=list(OPTIMISED) + ["general"], fill_value=0.0)
    out = regions[["region_id", "name", "population"]].set_index("region_id")
    out = out.join(lasten.add_prefix("iv3_lasten_").add_suffix("_meur"))
    out["iv3_lasten_total_meur"] = lasten.sum(axis=1).reindex(out.index)
    out = out.join(fund)
    return out.round(6).reset_index()


if __name__ == "__main__":
    main()
