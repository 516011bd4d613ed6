"""What the page shows, as JSON: the municipalities, one municipality's services, money and broad welfare,
and a finished job's result (the report's sections, translated).

The result view *is* the report (:func:`allocator.report.build_report`): the same maps, tables and
notes as the self-contained HTML, so the page and the download never disagree.  A missing number is NaN
here; the app's encoder (:func:`allocator.web.store.to_json`) writes it as null.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from allocator.data import InstanceData
from allocator.instance import Instance
from allocator.reports.page import boundaries, build_report, indicator_series_table
from allocator.reports.charts import GEO
from allocator.units import EUR_PER_MEUR
from allocator.web.i18n import translate, translate_spec, word

NEAREST = 3  # sites listed per facility type


def municipalities(inst: Instance) -> list[dict]:
    """Every region with its name, province and population, by name."""
    r = inst.regions.sort_values("name")
    return [{"id": rid, "name": row["name"], "province": row.get("province", ""), "population": int(row["population"])}
            for rid, row in r.iterrows()]


def profile(data: InstanceData, region_id: str, lang: str) -> dict | None:
    """One municipality today (the status quo's sites): coverage and nearest sites per facility type,
    spending per domain against the national figure per inhabitant, broad-welfare indicators."""
    inst = data.instance
    if region_id not in inst.regions.index:
        return None
    region = inst.regions.loc[region_id]
    return {
        "id": region_id, "name": region["name"], "province": region.get("province", ""),
        "population": int(region["population"]),
        "bw_index": float(region["bw_index"]) if "bw_index" in region else None,
        "services": _services(data, region_id),
        "spending": _spending(inst, region_id),
        "indicators": _indicators(inst, region_id, lang),
        "sites": _sites(data, region_id),
        "map": translate_spec(_region_map(data, region_id, lang), lang),
    }


def _sites(data: InstanceData, region_id: str) -> list[dict]:
    """The municipality's sites (existing and candidate), for fixing one open or closed from a list."""
    sites = data.sites[data.sites["region_id"] == region_id]
    names = data.instance.facility_types["name"]
    return [{"site_id": sid, "name": sid if pd.isna(row["name"]) or not row["name"] else row["name"],
             "type": names.get(row["ftype_id"], row["ftype_id"]),
             "existing": bool(row["existing"])} for sid, row in sites.sort_values(["ftype_id", "name"]).iterrows()]


def _services(data: InstanceData, region_id: str) -> list[dict]:
    """Per facility type: the share of inhabitants with an existing site within the norm; the nearest sites."""
    inst, ftypes = data.instance, data.ftypes
    points = data.points[data.points["region_id"] == region_id]
    reach = data.reach[data.reach["point_id"].isin(points.index)]
    sites = data.sites
    reach = reach[reach["site_id"].map(sites["existing"]).fillna(False).astype(bool)]
    out = []
    norms = data.region_norms.loc[region_id] if region_id in data.region_norms.index else ftypes["norm"]
    for k, ft in ftypes.iterrows():
        rk = reach[reach["ftype_id"] == k]
        metric = "minutes" if str(ft["norm_unit"]).startswith("min") else "km"
        within = rk[rk[metric] <= float(norms.get(k, ft["norm"]))]
        covered = points.loc[points.index.isin(within["point_id"]), "population"].sum()
        nearest = (rk.sort_values(metric).drop_duplicates("site_id").head(NEAREST))
        out.append({"ftype_id": k, "name": ft["name"], "norm": float(norms.get(k, ft["norm"])), "unit": ft["norm_unit"],
                    "covered_share": float(covered / points["population"].sum()) if len(points) else None,
                    "nearest": [{"site_id": s.site_id, "name": sites.at[s.site_id, "name"],
                                 "municipality": inst.regions.at[sites.at[s.site_id, "region_id"], "name"],
                                 "minutes": float(s.minutes), "km": float(s.km)} for s in nearest.itertuples()]})
    return out


def _spending(inst: Instance, region_id: str) -> list[dict]:
    """Baseline spending per domain, € per inhabitant, here and nationally."""
    base = inst.baseline.unstack("domain_id").fillna(0.0)
    pop = inst.regions["population"].astype(float)
    national = base.sum() * EUR_PER_MEUR / pop.sum()
    here = base.loc[region_id] * EUR_PER_MEUR / pop[region_id] if region_id in base.index else national * 0
    return [{"domain_id": d, "name": inst.domains.at[d, "name"], "per_inhabitant_eur": float(here[d]),
             "national_per_inhabitant_eur": float(national[d])} for d in base.columns]


_SERIES: dict[int, pd.DataFrame | None] = {}


def _indicators(inst: Instance, region_id: str, lang: str) -> list[dict]:
    """The latest value of each broad-welfare indicator the instance ships (CBS), with its year."""
    if id(inst) not in _SERIES:
        _SERIES[id(inst)] = indicator_series_table(inst)
    series = _SERIES[id(inst)]
    if series is None:
        return []
    rows = series[series["region_id"] == region_id].sort_values("year").groupby("indicator").tail(1)
    return [{"indicator": r.indicator, "label": word(r.indicator, lang), "year": int(r.year), "value": float(r.value)}
            for r in rows.itertuples()]


def _region_map(data: InstanceData, region_id: str, lang: str) -> dict:
    """The municipality and its neighbours' outline, with every site of the municipality (existing and candidate)
    as a point one can click to force it open or closed."""
    inst = data.instance
    key, _ = boundaries(inst)
    sites = data.sites[data.sites["region_id"] == region_id]
    frame = pd.DataFrame({"site_id": sites.index, "name": sites["name"].fillna("").to_numpy(),
                          "lat": sites["lat"].to_numpy(float), "lon": sites["lon"].to_numpy(float),
                          "type": sites["ftype_id"].map(inst.facility_types["name"]).to_numpy(),
                          "state": np.where(sites["existing"].to_numpy(bool), translate("existing", lang),
                                            translate("candidate", lang))})
    r = inst.regions.loc[region_id]
    near = inst.regions[(inst.regions["lat"] - r["lat"]).abs().lt(0.15) & (inst.regions["lon"] - r["lon"]).abs().lt(0.25)]
    outline = alt.Chart(alt.Data(name=GEO)).mark_geoshape(stroke="white", strokeWidth=0.8).transform_lookup(
        lookup=f"properties.{key}", from_=alt.LookupData(pd.DataFrame({"region_id": near.index, "name": near["name"],
                                                                      "here": near.index == region_id}),
                                                         "region_id", ["name", "here"]),
    ).transform_filter("isValid(datum.name)").encode(
        color=alt.Color("here:N", scale=alt.Scale(domain=[True, False], range=["#c6dbef", "#eeeeee"]), legend=None),
        tooltip=[alt.Tooltip("name:N", title="region")]) if key else None
    points = alt.Chart(frame).mark_point(filled=True, size=70, opacity=0.9, cursor="pointer").encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("state:N", title="site", scale=alt.Scale(domain=[translate("existing", lang), translate("candidate", lang)],
                                                   range=["#2171b5", "#fd8d3c"])),
        shape=alt.Shape("type:N", title="facility type"),
        tooltip=[alt.Tooltip("name:N", title="site"), alt.Tooltip("type:N", title="type"),
                 alt.Tooltip("state:N", title="site"), alt.Tooltip("site_id:N", title="site id")])
    layers = [outline, points] if outline is not None else [points]
    spec = alt.layer(*layers).resolve_scale(color="independent").project("mercator").properties(
        width=440, height=360, title=r["name"]).configure_legend(orient="bottom", columns=2).to_dict()
    return spec


def result_view(folder: Path, lang: str, instance: Instance | None = None) -> dict:
    """A finished job's page: headline, then each section with its Vega-Lite spec and table (as records).

    ``instance``: the folder's instance where the caller has it loaded (else read again from run.json's name).
    """
    report = build_report(folder, instance)
    sections = []
    for s in report.sections:
        table = None
        if s.table is not None:
            frame = s.table.replace({np.nan: None})
            table = {"columns": [{"key": c, "label": word(c, lang)} for c in frame.columns],
                     "rows": frame.to_dict(orient="records")}
        sections.append({"id": s.id, "heading": translate(s.heading, lang), "note": translate(s.note, lang),
                         "spec": translate_spec(s.spec, lang) if s.spec is not None else None, "table": table})
    return {"kind": report.kind, "title": report.title,
            "headline": [[translate(k, lang), v] for k, v in report.headline], "sections": sections}


def boundaries_features(inst: Instance) -> list | None:
    key, geo = boundaries(inst)
    return geo["features"] if geo else None
