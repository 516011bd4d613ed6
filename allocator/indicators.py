"""Indicators every result carries: inequality across regions, price of fairness, marginal welfare.

Inequality is measured across regions **weighted by population** (every person
counts once), on two per-capita quantities:

* welfare per inhabitant (€/yr, money-metric): baseline programme spending plus
  the welfare change f_rd(x_rd) (unweighted by ω), plus the welfare value of
  coverage and of the basic package, divided by the population;
* coverage: the population-weighted share of the region's people within the
  norm, averaged over facility types.

Why our own Gini and Theil: PySAL's ``inequality`` package treats every
observation alike (no population weights) and brings libpysal and matplotlib
with it; the weighted formulas are a few lines and are tested against hand
computations.

* Gini  G = Σ_i Σ_j w_i w_j |y_i − y_j| / (2 μ), w population shares, μ = Σ w y.
* Theil T = Σ_i w_i (y_i/μ) ln(y_i/μ) = T_between + T_within, with
  T_between = Σ_g W_g (μ_g/μ) ln(μ_g/μ) and T_within = Σ_g W_g (μ_g/μ) T_g.
* min/mean = min_i y_i / μ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.check import curve_value
from allocator.data import InstanceData
from allocator.units import EUR_PER_MEUR


def gini(values, weights=None) -> float:
    """Population-weighted Gini coefficient of non-negative values."""
    y = np.asarray(values, float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    mu = float(w @ y)
    if mu <= 0:
        return 0.0
    order = np.argsort(y)
    y, w = y[order], w[order]
    cum_w = np.cumsum(w)
    cum_wy = np.cumsum(w * y)
    # Σ_i Σ_j w_i w_j |y_i − y_j| = 2 Σ_i w_i (y_i·W_<i − S_<i), with W_<i, S_<i the sums below i
    below_w, below_wy = cum_w - w, cum_wy - w * y
    return float(2 * np.sum(w * (y * below_w - below_wy)) / (2 * mu))


def theil(values, weights=None, groups=None) -> dict:
    """Population-weighted Theil T, with between/within parts when ``groups`` is given."""
    y = np.asarray(values, float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    mu = float(w @ y)
    if mu <= 0:
        return {"total": 0.0, "between": 0.0, "within": 0.0}
    r = np.where(y > 0, y / mu, 1.0)
    total = float(np.sum(w * np.where(y > 0, r * np.log(r), 0.0)))
    if groups is None:
        return {"total": total, "between": 0.0, "within": total}
    frame = pd.DataFrame({"y": y, "w": w, "g": np.asarray(groups)})
    between = 0.0
    for _, part in frame.groupby("g"):
        wg = part["w"].sum()
        mug = float((part["w"] @ part["y"]) / wg)
        if mug > 0:
            between += wg * (mug / mu) * np.log(mug / mu)
    return {"total": total, "between": float(between), "within": total - float(between)}


def region_welfare_per_capita(data: InstanceData, sol) -> pd.Series:
    """€ per inhabitant: baseline money + f(x) (unweighted) + coverage and basic-package value."""
    a = sol.allocation
    b = a["baseline"].to_numpy(float)
    f = curve_value(data.scenario.welfare, b, a["plan"].to_numpy(float))
    f *= a["domain_id"].map(data.domains["marginal_welfare"]).to_numpy()
    money = pd.Series(b + f, index=a.index).groupby(a["region_id"]).sum() * EUR_PER_MEUR
    cov = sol.coverage.merge(data.points[["region_id", "population"]], left_on="point_id", right_index=True)
    cov["population"] = data.persons(cov["region_id"], cov["ftype_id"], cov["population"])
    value = (cov["covered"] * cov["population"] * cov["ftype_id"].map(data.ftypes["welfare_value"])).groupby(cov["region_id"]).sum()
    total = money.add(value, fill_value=0.0)
    if len(sol.liveability):
        pts = data.points.loc[sol.liveability["point_id"]]
        live = sol.liveability["keeps_basic"].to_numpy() * pts["population"].to_numpy() * data.scenario.liveability_value
        total = total.add(pd.Series(live, index=pts["region_id"].to_numpy()).groupby(level=0).sum(), fill_value=0.0)
    return (total / data.regions["population"]).reindex(data.regions.index)


def inequality(data: InstanceData, sol) -> dict:
    """Gini, Theil (by province and by programme tag), min/mean of welfare and coverage per capita."""
    regions = data.regions
    pop = regions["population"].to_numpy(float)
    welfare = region_welfare_per_capita(data, sol).to_numpy()
    rc = sol.region_coverage
    cover = rc.groupby("region_id")["covered_share"].mean().reindex(regions.index).fillna(0).to_numpy()
    programme = programme_tag(regions)
    out = {}
    for name, y in (("welfare", welfare), ("coverage", cover)):
        out[f"gini_{name}"] = gini(y, pop)
        by_prov = theil(y, pop, regions["province"].to_numpy())
        by_prog = theil(y, pop, programme)
        out[f"theil_{name}"] = by_prov["total"]
        out[f"theil_{name}_between_provinces"] = by_prov["between"]
        out[f"theil_{name}_within_provinces"] = by_prov["within"]
        out[f"theil_{name}_between_programme"] = by_prog["between"]
        out[f"theil_{name}_within_programme"] = by_prog["within"]
        mu = float(np.average(y, weights=pop))
        out[f"min_over_mean_{name}"] = float(y.min() / mu) if mu > 0 else 0.0
    total = rc.groupby("ftype_id")[["population", "covered_persons"]].sum()
    for k, row in total.iterrows():
        out[f"outside_norm_share_{k}"] = float(1 - row["covered_persons"] / row["population"]) if row["population"] else 0.0
    return out


def programme_tag(regions: pd.DataFrame) -> np.ndarray:
    """'programme' for regions carrying a programme tag (npvr, programme), else 'other'."""
    tags = regions["tags"].fillna("") if "tags" in regions else pd.Series("", index=regions.index)
    marks = tags.map(lambda t: any(x.strip() in ("npvr", "programme", "prog") for x in str(t).split(";")))
    return np.where(marks, "programme", "other")
