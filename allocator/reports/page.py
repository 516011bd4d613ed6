"""A self-contained HTML report (and PNG images) of a result folder written by solve, extra-budget, pareto or compare.

Why Altair (Vega-Lite) with vl-convert: charts are declared, not drawn (legends, units, tooltips come
with the grammar); ``vl_convert.javascript_bundle`` gives the Vega, Vega-Lite and vega-embed
JavaScript as one string, so the page works offline with no CDN; and ``vl_convert`` renders the very
same specs to PNG with no browser (Plotly's PNG export needs a Chrome through kaleido).

The page: headline numbers (status, gap, W, Q, extra money, Gini, regions below the minimum), the
maps (change in spending per inhabitant, coverage per facility type, shortfall, broad-welfare
weight ω_r), the facility decisions, the money flows, the front (pareto) or the scenarios side by
side (compare), and the resolved scenario.  Region boundaries come from the instance
(``boundaries`` in instance.toml), embedded once and shared by every map.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import tomllib
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import altair as alt
from altair.utils.schemapi import debug_mode
import numpy as np
import orjson
import pandas as pd

from allocator.reports import charts as rc
from allocator.reports import programme as rp
from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue
from allocator.export import DIALECTS, PAGE_SECTIONS, fixed_point, plain
from allocator.files import read_text
from allocator.instance import Instance, load_instance
from allocator.results import Solution
from allocator.scenario import Scenario
from allocator.units import EUR_PER_MEUR, EUR_TO_MEUR

# whether a chart's spec is checked against the Vega-Lite schema as it is written out (0.03 s of a solve page on nl):
# not for a what-if's page drawn beside HiGHS (drawn_sections), whose charts are those the other pages check
VALIDATING: ContextVar[bool] = ContextVar("VALIDATING", default=True)

KINDS = {"monitor": "plan_vs_realised.csv", "programme": "allocation_by_year.csv", "extra-budget": "region_effects.csv",
         "pareto": "points.csv", "compare": "comparison.csv",
         "solve": "summary.json"}  # in this order: a monitor folder is a programme folder, and all have a summary.json


@dataclass
class Section:
    """One chart of the page: an element id, a heading, the Vega-Lite spec and a sentence of explanation."""

    id: str
    heading: str
    spec: dict | None
    note: str = ""
    table: pd.DataFrame | None = None  # shown under the chart (or alone), numbers fixed-point


@dataclass
class Report:
    kind: str
    title: str
    headline: list[tuple[str, str]]
    sections: list[Section]
    scenario_text: str
    geo: dict | None


def result_kind(folder: Path) -> str:
    for kind, marker in KINDS.items():
        if (folder / marker).exists():
            return kind
    raise InputError(InputIssue(str(folder), "not a result folder of regio solve, extra-budget, pareto or compare "
                                "(write one with --out)"))


def build_report(folder: str | Path, instance: str | Instance | None = None) -> Report:
    """Read a result folder and its instance; assemble the page's sections.

    ``instance``: a name or path (default: the one the folder's run.json names), or the instance itself
    where the caller has it loaded (the web app: no second reading per page).

    Altair checks every chart object against the Vega-Lite schema as it is made and the whole spec once
    more in ``to_dict``; the second check is kept and the first turned off (it doubled the time of a page).
    """
    with debug_mode(False):
        return _assemble(Path(folder), instance)


def _assemble(folder: Path, instance: str | Instance | None) -> Report:
    if not folder.is_dir():
        raise InputError(InputIssue(str(folder), "missing result folder"))
    kind = result_kind(folder)
    run = _read_json(folder / "run.json") if (folder / "run.json").exists() else {}
    ref = instance or run.get("instance")
    if not ref:
        raise InputError(InputIssue(str(folder / "run.json"), "the result folder does not say its instance; pass --instance"))
    inst = ref if isinstance(ref, Instance) else load_instance(ref)
    scenario_file = folder / "scenario.toml"
    scenario_text = read_text(scenario_file, "resolved scenario", within=folder) if scenario_file.exists() else ""
    data = _scenario_data(inst, scenario_file, scenario_text) if scenario_text else None
    key, geo = boundaries(inst)
    sections: list[Section] = []
    headline: list[tuple[str, str]] = []
    if kind in ("solve", "extra-budget"):
        sections = _kept_sections(folder, inst) if kind == "solve" and isinstance(ref, Instance) else None
        if sections is None:
            tables = {n: _read_csv(folder / f"{n}.csv") for n in _section_tables(folder)}
            sections = table_sections(inst, data, tables, key)
        summary = _read_json(folder / "summary.json")
        headline = _headline(summary) if kind == "solve" else _extra_headline(summary)
        if (folder / "region_totals.csv").exists():
            sections.insert(1, _gainers_losers(_read_csv(folder / "region_totals.csv")))
        if kind == "extra-budget" and (folder / "region_effects.csv").exists():
            sections.insert(0, _redistribution(inst, _read_csv(folder / "region_effects.csv"), key,
                                               summary.get("redistribution", {})))
    elif kind in ("programme", "monitor"):
        summary = _read_json(folder / "summary.json")
        headline, sections = _programme_headline(summary), _programme(inst, folder, key, summary)
    elif kind == "pareto":
        points = _read_csv(folder / "points.csv")
        columns = [c for c in ("k", "welfare", "shortfall", "people_short", "price_of_fairness", "gini_welfare",
                               "sites_opened", "sites_closed", "status", "mip_gap", "solve_seconds", "check")
                   if c in points]
        chosen = _chosen_point(points, data)
        sections = [_front(points, data, chosen),
                    Section("points", "The points of the front", None,
                            "Shortfall in person-services; people short of a basic-package service in persons. A point "
                            "whose status is not optimal is not proven Pareto optimal.", points[columns])]
        if chosen is not None and (folder / "point_sites.csv").exists():
            changes = _read_csv(folder / "point_sites.csv")
            section = _facilities(inst, _point_decisions(inst, changes[changes["k"] == chosen]), key)
            section.heading = f"Sites the chosen point (k = {chosen}) opens and closes"
            sections.append(section)
        headline = _front_headline(folder, points)
    else:
        table = _read_csv(folder / "comparison.csv")
        regions = _read_csv(folder / "regions.csv") if (folder / "regions.csv").exists() else None
        sections = [Section("scenarios", "Scenarios side by side", rc.scenario_bars(table).to_dict(validate=VALIDATING.get()),
                            "Each scenario's status, welfare, shortfall (person-services) and money.",
                            table[[c for c in table.columns if c not in ("theil_welfare", "build_seconds")]])]
        if regions is not None:
            sections += _differences(inst, regions, key)
        scenario_text = _compare_scenarios(folder) or scenario_text
        headline = [(str(r.scenario), f"{r.status}; W {r.welfare:,.2f}; Q {r.shortfall:,.0f} persons")
                    for r in table.itertuples()]
    if inst.manifest.sources:
        sections.append(_sources(inst))
    title = f"regio {kind} — {inst.manifest.title}"
    return Report(kind, title, headline, sections, scenario_text, geo)


def _sources(inst: Instance) -> Section:
    """The instance's data sources, with what each is used for and what is estimated or approximated."""
    frame = pd.DataFrame([{"data": s.name, "publisher": s.publisher, "year": s.year, "licence": s.licence,
                           "note": s.note} for s in inst.manifest.sources])
    return Section("sources", "Data and assumptions", None,
                   "Where the instance's numbers come from; a note says where a split is estimated or a "
                   "membership approximated. Welfare values and site costs are illustrative unless a source says otherwise.",
                   frame)


def _scenario_data(inst: Instance, path: Path, text: str) -> InstanceData:
    """The instance under the result folder's resolved scenario (an input error if it was edited into nonsense)."""
    try:
        return InstanceData.prepare(inst, Scenario(**tomllib.loads(text)), label=str(path))
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as err:
        raise InputError(InputIssue(str(path), f"not a valid resolved scenario (edited by hand?): "
                                    f"{str(err).splitlines()[0]}")) from None


def boundaries(inst: Instance) -> tuple[str | None, dict | None]:
    """(property holding region_id, GeoJSON) from the instance's ``boundaries`` file, or (None, None)."""
    name = inst.manifest.boundaries
    if not name:
        return None, None
    if inst.folder is None:
        return None, None
    path = inst.folder / name
    geo = _read_boundaries(path, inst.folder, path.stat().st_mtime_ns if path.is_file() else 0)
    key = inst.manifest.boundaries_key
    codes = {f.get("properties", {}).get(key) for f in geo.get("features", [])}
    missing = sorted(set(inst.regions.index) - codes)
    if missing:
        raise InputError(InputIssue(str(path), f"no boundary for region(s) {', '.join(missing[:5])}"
                                    + (" …" if len(missing) > 5 else ""), column=key))
    return key, geo


@lru_cache(maxsize=4)
def _read_boundaries(path: Path, folder: Path, mtime_ns: int) -> dict:
    """The boundaries file read and rewound, kept per file and modification time: every page of an instance
    draws the same regions (nl: 0.06 s a page; the web app makes one per what-if).  Callers do not change it."""
    try:
        return rewind(json.loads(read_text(path, "boundaries file named in instance.toml", within=folder)))
    except json.JSONDecodeError as err:
        raise InputError(InputIssue(str(path), f"not valid GeoJSON: {err}")) from None


def rewind(geo: dict) -> dict:
    """Rings in the winding d3-geo (Vega's projection) expects: exterior clockwise, holes anticlockwise.

    RFC 7946 GeoJSON has it the other way round; d3 then reads a municipality as the whole globe minus
    the municipality, and every map is one filled rectangle.  Planar shoelace area on lon/lat decides.
    """
    def ring(r: list, clockwise: bool) -> list:
        xy = np.asarray(r, float)
        area = np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]) if len(xy) > 2 else 0.0
        return r[::-1] if (area > 0) == clockwise else r  # area > 0: anticlockwise

    def polygon(rings: list) -> list:
        return [ring(r, clockwise=(i == 0)) for i, r in enumerate(rings)]

    features = []
    for f in geo.get("features", []):
        g = f.get("geometry") or {}
        if g.get("type") == "Polygon":
            g = {**g, "coordinates": polygon(g["coordinates"])}
        elif g.get("type") == "MultiPolygon":
            g = {**g, "coordinates": [polygon(p) for p in g["coordinates"]]}
        features.append({**f, "geometry": g})
    return {**geo, "features": features}


def _regions_frame(inst: Instance, values: pd.Series) -> pd.DataFrame:
    """region_id, name, value (0 where a region has no row, so every region is drawn), lat, lon, population."""
    r = inst.regions
    return pd.DataFrame({"region_id": r.index, "name": r["name"].to_numpy(),
                         "value": values.reindex(r.index).fillna(0.0).to_numpy(float),
                         "lat": r["lat"].to_numpy(float) if "lat" in r else np.nan,
                         "lon": r["lon"].to_numpy(float) if "lon" in r else np.nan,
                         "population": r["population"].to_numpy(float)})


SECTION_TABLES = ("allocation", "region_coverage", "shortfall_table", "facilities", "flows", "extra")
OPTIONAL_SECTION_TABLES = ("region_totals",)  # its people-short map, where the folder has the table


def table_sections(inst: Instance, data: InstanceData | None, tables: dict, key: str | None) -> list[Section]:
    """A solve page's sections drawn from its tables alone: the maps, the facility decisions, the money flows."""
    return _maps(inst, data, tables, key) + [_facilities(inst, tables["facilities"], key),
                                             _flows(inst, tables["flows"], tables["extra"])]


def drawn_sections(data: InstanceData, sol: Solution) -> str:
    """:data:`~allocator.export.PAGE_SECTIONS`'s text for the folder of ``sol`` (its tables' CSV rendered,
    ``Solution.render_csv``), not yet written: :func:`table_sections` drawn from the CSV texts the folder will
    hold, read back as a page reads them, under its resolved scenario; with the instance's name and each file's
    SHA-1, by which a page knows they still hold.

    A what-if draws them while HiGHS proves its plan (:func:`allocator.procedures.modes.read_ahead`): the page
    of an α what-if on nl then takes 0.02 s instead of 0.13 s after the answer.  Its charts are not checked
    against the Vega-Lite schema (:data:`VALIDATING`) and its text is written by orjson: 0.124 → 0.091 s on nl
    (λ 4,000); the same charts drawn from the folder are checked (the page's tests compare the two).
    """
    inst, scenario_text, held = data.instance, sol.scenario.to_toml(), sol.tables()
    texts = {n: sol.csv_cache[(n, "plain")][1] for n in (*SECTION_TABLES, *OPTIONAL_SECTION_TABLES) if n in held}
    unchecked = VALIDATING.set(False)
    try:
        with debug_mode(False):
            tables = {n: _parse_csv(io.StringIO(t)) for n, t in texts.items()}
            sections = table_sections(inst, _scenario_data(inst, Path("scenario.toml"), scenario_text), tables,
                                      boundaries(inst)[0])
    finally:
        VALIDATING.reset(unchecked)
    files = {f"{n}.csv": t.encode(DIALECTS["plain"]["encoding"]) for n, t in texts.items()}
    files["scenario.toml"] = scenario_text.encode("utf-8")
    return orjson.dumps({"instance": inst.name, "files": {n: hashlib.sha1(b).hexdigest() for n, b in files.items()},
                         "sections": [{"id": x.id, "heading": x.heading, "spec": x.spec, "note": x.note}
                                      for x in sections]}, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _kept_sections(folder: Path, inst: Instance) -> list[Section] | None:
    """The sections :func:`drawn_sections` left in ``folder``, when they were drawn for ``inst`` from exactly the
    files the folder holds now (the same tables, each byte for byte, and the same scenario); else None (also
    for a file that is not what :func:`drawn_sections` writes)."""
    path = folder / PAGE_SECTIONS
    try:
        kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        files = kept["files"] if isinstance(kept, dict) and kept.get("instance") == inst.name else None
        expected = {f"{n}.csv" for n in _section_tables(folder)} | {"scenario.toml"}
        if not isinstance(files, dict) or set(files) != expected:
            return None
        for name, digest in files.items():
            if not (folder / name).is_file() or hashlib.sha1((folder / name).read_bytes()).hexdigest() != digest:
                return None
        return [Section(x["id"], x["heading"], x["spec"], x["note"]) for x in kept["sections"]]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return None


def _section_tables(folder: Path) -> list[str]:
    """The tables :func:`table_sections` reads from ``folder``."""
    return [*SECTION_TABLES, *(n for n in OPTIONAL_SECTION_TABLES if (folder / f"{n}.csv").exists())]


def _maps(inst: Instance, data: InstanceData | None, t: dict, key: str | None) -> list[Section]:
    pop = inst.regions["population"].astype(float)
    change = t["allocation"].groupby("region_id")["change"].sum() * EUR_PER_MEUR / pop
    out = [Section("map-change", "Change in programme spending per inhabitant",
                   rc.region_map(_regions_frame(inst, change), "Change in spending", "€ per inhabitant per year", key,
                                 diverging=True, fmt=",.0f").to_dict(validate=VALIDATING.get()),
                   "Blue: the region gets more than in the status quo; red: less.")]
    cov = t["region_coverage"]
    maps = []
    for k, part in cov.groupby("ftype_id", sort=True):
        name = inst.facility_types.loc[k, "name"] if k in inst.facility_types.index else k
        maps.append(rc.region_map(_regions_frame(inst, part.set_index("region_id")["covered_share"] * 100), str(name),
                                  "% of people within the norm", key, scheme="greens", fmt=".1f", zero=False))
    if maps:
        out.append(Section("map-coverage", "Coverage per facility type", alt.concat(*maps, columns=3).to_dict(validate=VALIDATING.get()),
                           "Share of each region's people within the norm of the facility type."))
    short = t["shortfall_table"].groupby("region_id")["shortfall"].sum()
    out.append(Section("map-shortfall", "Shortfall below the minimum service level",
                       rc.region_map(_regions_frame(inst, short), "Shortfall Q", "person-services below the minimum",
                                     key, scheme="orangered", fmt=",.0f").to_dict(validate=VALIDATING.get()),
                       "Person-services below the rechtvaardigheidsminimum, summed over facility types: a person "
                       "short of two types counts twice."))
    if "region_totals" in t and "people_short" in t["region_totals"]:
        people = t["region_totals"].set_index("region_id")["people_short"]
        out.append(Section("map-people-short", "People short of a basic service",
                           rc.region_map(_regions_frame(inst, people), "People short", "persons", key,
                                         scheme="orangered", fmt=",.0f").to_dict(validate=VALIDATING.get()),
                           "Distinct persons short of at least one basic-package service (each person counted once)."))
    if data is not None:
        out.append(Section("map-weight", "Broad-welfare weight ω",
                           rc.region_map(_regions_frame(inst, data.regions["omega"]), "Broad-welfare weight ω",
                                         "ω (mean 1)", key, scheme="purples", fmt=".3f").to_dict(validate=VALIDATING.get()),
                           "ω_r = bw_r^−α normalised to mean 1: a euro counts more where broad welfare is lower."))
    return out


def _facilities(inst: Instance, fac: pd.DataFrame, key: str | None) -> Section:
    sites = inst.sites.reindex(fac["site_id"])
    frame = pd.DataFrame({"name": sites["name"].fillna("").to_numpy(), "lat": sites["lat"].to_numpy(float),
                          "lon": sites["lon"].to_numpy(float),
                          "type": sites["ftype_id"].map(inst.facility_types["name"]).to_numpy(),
                          "region": sites["region_id"].map(inst.regions["name"]).to_numpy(),
                          "decision": fac["decision"].to_numpy()})
    frame["rank"] = frame["decision"].map({"keep": 0, "open": 1, "close": 2})
    counts = frame["decision"].value_counts()
    note = ", ".join(f"{counts.get(d, 0):,} {d}" for d in ("keep", "open", "close")) + " sites."
    frame, hidden = _thin_kept(frame[frame["decision"].isin(["keep", "open", "close"])])
    if hidden:
        note += " Not drawn, to keep the map readable: " + ", ".join(f"{n:,} kept {t.lower()}" for t, n in hidden.items()) + \
            " (every opened and closed site is drawn; facilities.csv lists them all)."
    return Section("map-facilities", "Facility decisions",
                   rc.facility_map(frame, key, _regions_frame(inst, pd.Series(dtype=float))).to_dict(validate=VALIDATING.get()), note)


MAP_POINTS = 5000  # sites one map draws at most (the charting library's limit for embedded data)


def _thin_kept(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Drop the kept sites of the most numerous types until at most MAP_POINTS remain; {type: hidden count}."""
    hidden = {}
    kept = frame[frame["decision"] == "keep"]["type"].value_counts()
    for t, n in kept.items():
        if len(frame) <= MAP_POINTS:
            break
        frame = frame[~((frame["decision"] == "keep") & (frame["type"] == t))]
        hidden[t] = int(n)
    return frame, hidden


def _flows(inst: Instance, flows: pd.DataFrame, extra: pd.DataFrame) -> Section:
    names = inst.domains["name"]
    f = pd.DataFrame({"from": flows["stream_id"].map(inst.streams["domain_id"]).map(names).to_numpy(),
                      "to": flows["domain_id"].map(names).to_numpy(), "amount": flows["amount"].to_numpy(float),
                      "deearmarked": flows["deearmarked"].astype(bool).to_numpy()})
    f = f.groupby(["from", "to", "deearmarked"], as_index=False)["amount"].sum()
    if len(extra) and extra["extra"].sum() > 1e-9:
        e = pd.DataFrame({"from": "extra money", "to": extra["domain_id"].map(names), "amount": extra["extra"],
                          "deearmarked": True})
        f = pd.concat([f, e[e["amount"] > 1e-9]], ignore_index=True)
    f = f[f["amount"] > 1e-9]
    moved = f.loc[f["deearmarked"], "amount"].sum()
    return Section("money-flows", "Money flows between domains", rc.money_flows(f).to_dict(validate=VALIDATING.get()),
                   f"{moved:,.1f} M€/yr spent outside the domain of the grant that paid it (gross).")


def _gainers_losers(totals: pd.DataFrame, n: int = 10) -> Section:
    """The regions whose total (programme + facilities) or facility money changes most."""
    moved = totals["change_meur"].abs() + totals["facilities_change_meur"].abs()
    top = totals.assign(moved=moved).sort_values("moved", ascending=False).head(n)
    columns = [c for c in ("name", "province", "change_per_inhabitant_eur", "change_meur", "programme_change_meur",
                           "facilities_change_meur", "sites_opened", "sites_closed", "people_short") if c in totals]
    return Section("gainers-losers", "Gainers and losers", None,
                   "Per municipality, total spending incl. facilities against its baseline; programme and facility "
                   f"money apart. The {n} largest changes; region_totals.csv has every municipality.", top[columns])


def _programme(inst: Instance, folder: Path, key: str | None, summary: dict) -> list[Section]:
    """Years, money per year, the agenda projects, maps per year, and for monitoring plan versus realised."""
    years = pd.DataFrame(summary.get("years", []))
    totals = _read_csv(folder / "region_totals_by_year.csv")
    money = _read_csv(folder / "money_by_year.csv")
    projects = _read_csv(folder / "projects.csv")
    last = int(summary.get("last_year", years["year"].max() if len(years) else 0))
    out = []
    if len(years):
        out.append(Section("years", "Year by year", rp.year_charts(years).to_dict(validate=VALIDATING.get()),
                           "W_t undiscounted (the headline W is their discounted sum); the shortfall counts "
                           "person-services (a person short of two types counts twice), people short count persons.",
                           years))
    out.append(Section("money", "Money per year", rp.money_chart(money).to_dict(validate=VALIDATING.get()),
                       "Programmes, running costs of sites (every payer), opening costs in the opening year, agenda "
                       "projects while they run; constant euros.", money))
    started = projects.dropna(subset=["start_year"])
    out.append(Section("projects", "Kansenagenda projects", rp.project_timeline(projects, last).to_dict(validate=VALIDATING.get())
                       if len(started) else None,
                       f"{len(started)} of {len(projects)} agenda projects start within the programme; welfare counts "
                       "from the year after a project's last running year to the end of the horizon.",
                       _years_as_text(projects[[c for c in ("project_id", "name", "region", "domain_id", "cost_per_year",
                                                            "duration", "earliest_start", "welfare_per_year", "start_year")
                                                if c in projects]], ["earliest_start", "start_year"])))
    pop = inst.regions["population"].astype(float)
    frames = {int(y): _regions_frame(inst, g.set_index("region_id")["municipal_change_meur"] * EUR_PER_MEUR / pop)
              for y, g in totals.groupby("year")}
    out.append(Section("maps-years", "Change in municipal money per inhabitant, year by year",
                       rp.maps_per_year(frames, key).to_dict(validate=VALIDATING.get()),
                       "Programmes, municipal sites, openings and projects against the baseline; blue more, red less."))
    if (folder / "plan_vs_realised.csv").exists():
        pvr = _read_csv(folder / "plan_vs_realised.csv")
        out.insert(0, Section("plan-vs-realised", "Plan versus realised", rp.plan_vs_realised_chart(pvr).to_dict(validate=VALIDATING.get()),
                              "Per municipality and year: the programme's plan against what was realised (years before "
                              f"{summary.get('from_year')}) or is now re-planned. Deviations: "
                              + ("; ".join(summary.get("deviations", [])[:10]) or "none") + "."))
    series = indicator_series_table(inst)
    if series is not None:
        names = inst.regions["name"].to_dict()
        moved = totals.groupby("region_id")["municipal_change_meur"].apply(lambda s: s.abs().sum()).idxmax()
        out.append(Section("indicators", "Broad welfare beside the plan", rp.indicator_selector(
            series, totals[["region_id", "year", "baseline_municipal_meur", "plan_municipal_meur"]], names, moved),
            "Choose a municipality: the CBS broad-welfare indicators of the instance, year by year, beside its "
            "municipal money in the programme."))
    return out


def _years_as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Calendar years as plain text (2026, not 2,026.00; empty where there is none)."""
    out = frame.copy()
    for c in columns:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").map(lambda v: "" if v != v else str(int(v)))
    return out


def indicator_series_table(inst: Instance) -> pd.DataFrame | None:
    name = inst.manifest.indicator_series
    if not name or inst.folder is None:
        return None
    from io import StringIO

    text = read_text(inst.folder / name, "indicator series (instance.toml indicator_series)", within=inst.folder)
    return pd.read_csv(StringIO(text), dtype={"region_id": str})


def _programme_headline(s: dict) -> list[tuple[str, str]]:
    def num(key, fmt):
        v = s.get(key)
        return "—" if v is None else format(v, fmt)

    rows = [("status", f"{s.get('status')} (HiGHS: {s.get('highs_status', '—')})"),
            ("MIP gap (whole programme)", num("mip_gap", ".4%")), ("time limit", f"{num('time_limit', 'g')} s"),
            ("years", f"{s.get('first_year')}–{s.get('last_year')} (discount rate {num('discount_rate', '.2%')})"),
            ("broad welfare W", f"{num('welfare', ',.2f')} M€-eq, discounted sum"),
            ("shortfall Q", f"{num('shortfall', ',.0f')} person-service-years"),
            ("people short", f"{num('people_short', ',.0f')} person-years"),
            ("seconds (build / solve)", f"{num('build_seconds', '.1f')} / {num('solve_seconds', '.1f')}")]
    if "from_year" in s:
        rows[1:1] = [("re-planned from", str(s["from_year"])),
                     ("effect of the deviation on W", f"{num('effect_on_welfare', '+,.2f')} M€-eq"),
                     ("effect on Q", f"{num('effect_on_shortfall', '+,.0f')} person-service-years"),
                     ("deviations in realised years", str(len(s.get("deviations", []))))]
    return rows


def _differences(inst: Instance, regions: pd.DataFrame, key: str | None) -> list[Section]:
    """Per scenario after the first: a map of the change per inhabitant against the first, and its gainers and losers."""
    out = []
    for col in [c for c in regions.columns if "_per_inhabitant_eur" in c and ": change_vs_" in c]:
        name, first = col.split(": change_vs_")[0], col.split(": change_vs_")[1].removesuffix("_per_inhabitant_eur")
        values = regions.set_index("region_id")[col]
        ranked = regions.assign(change=regions[col]).sort_values("change")
        table = pd.concat([ranked.head(5), ranked.tail(5)[::-1]])[["name", "province", "change"]].rename(
            columns={"change": "change_per_inhabitant_eur"})
        out.append(Section(f"map-diff-{len(out)}", f"{name} against {first}",
                           rc.region_map(_regions_frame(inst, values), f"{name} − {first}", "€ per inhabitant per year",
                                         key, diverging=True, fmt=",.0f").to_dict(validate=VALIDATING.get()),
                           "Total spending per inhabitant (programme + facilities): blue gains, red loses. The five "
                           "largest losses and gains:", table))
    return out


def _compare_scenarios(folder: Path) -> str:
    """The resolved scenarios of a comparison, one after the other."""
    files = sorted((folder / "scenarios").glob("*.toml")) if (folder / "scenarios").is_dir() else []
    return "\n".join(f"# {f.stem}\n{read_text(f, 'resolved scenario', within=folder)}" for f in files)


def _redistribution(inst: Instance, effects: pd.DataFrame, key: str | None, stage: dict) -> Section:
    column = "redistribution_change_per_inhabitant_eur"
    values = effects.set_index("region_id")[column] if column in effects else pd.Series(dtype=float)
    note = ("The same minimum reached by moving money between regions (no hold-harmless, facilities counted in "
            "each region's total): red regions lose.")
    if stage.get("status") != "optimal":
        note += (f" CAVEAT: this stage was not proven optimal (status {stage.get('status', 'unknown')}, MIP gap "
                 f"{_pct(stage.get('mip_gap'))}); the losses shown come from its best plan found, not from the optimum.")
    return Section("map-redistribution", "What redistribution (no extra money) would take",
                   rc.region_map(_regions_frame(inst, values), "Redistribution instead", "€ per inhabitant per year",
                                 key, diverging=True, fmt=",.0f").to_dict(validate=VALIDATING.get()), note)


def _pct(value) -> str:
    return "unknown" if value is None else f"{value:.2%}"


def _chosen_point(points: pd.DataFrame, data: InstanceData | None) -> int | None:
    """The point the scenario's shortfall price λ would choose: max W − λ·Q over the front."""
    if data is None or not len(points):
        return None
    lam = data.scenario.shortfall_price * EUR_TO_MEUR
    return int(points.loc[(points["welfare"] - lam * points["shortfall"]).idxmax(), "k"])


def _point_decisions(inst: Instance, changes: pd.DataFrame) -> pd.DataFrame:
    """Every site's decision at one point: the changes listed, otherwise keep (existing) or not opened."""
    sites = inst.sites
    decision = pd.Series(np.where(sites["existing"], "keep", "not opened"), index=sites.index)
    decision.update(changes.set_index("site_id")["decision"].astype(str))
    return pd.DataFrame({"site_id": sites.index, "decision": decision.to_numpy()})


def _front(points: pd.DataFrame, data: InstanceData | None, chosen: int | None) -> Section:
    pof = points["price_of_fairness"].max() if "price_of_fairness" in points and points["price_of_fairness"].notna().any() else None
    statuses = ", ".join(f"{n} {s}" for s, n in points["status"].value_counts().items())
    return Section("front", "Pareto front", rc.front_chart(points, chosen, pof).to_dict(validate=VALIDATING.get()),
                   f"{len(points)} points ({statuses}); the ringed point is the one the scenario's shortfall price λ "
                   "would choose among them.")


def _headline(s: dict) -> list[tuple[str, str]]:
    def num(key, fmt):
        v = s.get(key)
        return "—" if v is None else format(v, fmt)

    return [("status", f"{s.get('status')} (HiGHS: {s.get('highs_status', '—')})"),
            ("MIP gap", num("mip_gap", ".4%")), ("time limit", f"{num('time_limit', 'g')} s"),
            ("broad welfare W", f"{num('welfare', ',.2f')} M€-eq/yr"),
            ("shortfall Q", f"{num('shortfall', ',.0f')} persons"), ("extra money", f"{num('extra_money', ',.1f')} M€/yr"),
            ("de-earmarked money (net)", f"{num('deearmarked_money', ',.1f')} M€/yr"),
            ("Gini of welfare per inhabitant", num("gini_welfare", ".4f")),
            ("price of fairness", num("price_of_fairness", ".2%")),
            ("regions below the minimum", num("regions_below_minimum", ",d")),
            ("sites opened / closed", f"{num('sites_opened', ',d')} / {num('sites_closed', ',d')}"),
            ("seconds (build / solve)", f"{num('build_seconds', '.1f')} / {num('solve_seconds', '.1f')}")]


def _extra_headline(s: dict) -> list[tuple[str, str]]:
    """The VNG answer: the least extra money, each stage's status, gap and seconds, and who would lose."""
    red = s.get("redistribution", {})
    rows = [("status (worst stage)", str(s.get("status"))),
            ("least extra money", "—" if s.get("extra_budget") is None else f"{s['extra_budget']:,.2f} M€/yr"),
            ("regions worse off (municipal money, its facilities included)", str(s.get("regions_worse_off", "—"))),
            ("broad welfare W at that price", "—" if s.get("welfare") is None else f"{s['welfare']:,.2f} M€-eq/yr"),
            ("shortfall Q", "—" if s.get("shortfall") is None else f"{s['shortfall']:,.0f} person-services"),
            ("people short of a basic service", "—" if s.get("people_short") is None else f"{s['people_short']:,.0f} persons"),
            ("redistribution instead", f"{s.get('losers_if_redistributed', '—')} regions lose "
                                       f"{red.get('moved_meur') or 0:,.1f} M€/yr ({red.get('status', '—')})")]
    for st in s.get("stages", []):
        rows.append((f"stage: {st['stage']}", f"{st['status']}, gap {_pct(st.get('mip_gap'))}, "
                                              f"{st.get('solve_seconds') or 0:.1f} s"))
    return rows


def _front_headline(folder: Path, points: pd.DataFrame) -> list[tuple[str, str]]:
    meta = _read_json(folder / "pareto.json") if (folder / "pareto.json").exists() else {}
    worst = meta.get("status", "—")
    return [("status (worst point)", worst), ("points", f"{len(points)}"), ("seconds", f"{meta.get('seconds', 0):.1f}"),
            ("W range", f"{points['welfare'].min():,.2f} – {points['welfare'].max():,.2f} M€-eq/yr"),
            ("Q range", f"{points['shortfall'].min():,.0f} – {points['shortfall'].max():,.0f} persons"),
            ("points not proven optimal", f"{int((points['status'] != 'optimal').sum())}")]


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(InputIssue(str(path), "missing table in the result folder"))
    return _parse_csv(path)


def _parse_csv(source) -> pd.DataFrame:
    """A result table as every page reads it, from a file or from its text (:func:`drawn_sections`)."""
    return pd.read_csv(source, keep_default_na=True)


def _read_json(path: Path) -> dict:
    """A JSON file of a result folder; an object, or an input error naming the file (edited by hand?)."""
    try:
        value = json.loads(read_text(path, "result file", within=path.parent))
    except json.JSONDecodeError as err:
        raise InputError(InputIssue(str(path), f"not valid JSON (edited by hand?): {err}")) from None
    if not isinstance(value, dict):
        raise InputError(InputIssue(str(path), "expected a JSON object (edited by hand?)"))
    return value


# --- output -------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def vega_javascript() -> str:
    import vl_convert as vlc

    return vlc.javascript_bundle(vl_version=_vl_version())


def _vl_version() -> str:
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def with_boundaries(spec: dict, geo: dict | None) -> dict:
    """The spec with the boundary features filled in (for PNG rendering, where no page injects them)."""
    if geo is None:
        return spec
    return {**spec, "datasets": {**spec.get("datasets", {}), rc.GEO: geo["features"]}}


def to_html(report: Report) -> str:
    rows = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in report.headline)
    blocks = "\n".join(f'<section><h2>{html.escape(s.heading)}</h2><p class="note">{html.escape(s.note)}</p>'
                       + (f'<div id="{s.id}" class="chart"></div>' if s.spec is not None else "")
                       + (_html_table(s.table) if s.table is not None else "") + "</section>" for s in report.sections)
    specs = script_json({s.id: s.spec for s in report.sections if s.spec is not None})
    geo = script_json(report.geo["features"] if report.geo else None)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(report.title)}</title>
<link rel="icon" href="data:,">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }}
table.headline {{ border-collapse: collapse; }} table.headline th {{ text-align: left; padding: 2px 12px 2px 0; font-weight: 600; }}
p.note {{ color: #555; margin-top: -0.5em; }}
table.data {{ border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }}
table.data th, table.data td {{ border-bottom: 1px solid #ddd; padding: 2px 8px; }} table.data td.num {{ text-align: right; }} pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; }}
</style></head><body>
<h1>{html.escape(report.title)}</h1>
<table class="headline">{rows}</table>
{blocks}
<section><h2>Resolved scenario</h2><pre>{html.escape(report.scenario_text) or "(not recorded)"}</pre></section>
<script>{vega_javascript()}</script>
<script>
const BOUNDARIES = {geo};
const SPECS = {specs};
for (const [id, spec] of Object.entries(SPECS)) {{
  if (BOUNDARIES) spec.datasets = Object.assign(spec.datasets || {{}}, {{"{rc.GEO}": BOUNDARIES}});
  vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}}).then(() => {{
    document.getElementById(id).setAttribute("data-rendered", "true");
  }}).catch(err => console.error(id + ": " + err));
}}
</script>
</body></html>
"""


def _html_table(frame: pd.DataFrame) -> str:
    """A small table, every cell escaped, numbers fixed-point and right-aligned, headers in plain words."""
    shown = fixed_point(frame)
    head = "".join(f"<th>{html.escape(plain(str(c)))}</th>" for c in frame.columns)
    rows = []
    for (_, raw), (_, row) in zip(frame.iterrows(), shown.iterrows()):
        cells = "".join(f'<td class="{"num" if isinstance(raw[c], (int, float, np.number)) else ""}">'
                        f"{html.escape(str(row[c]))}</td>" for c in frame.columns)
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value) -> str:
    """JSON safe inside an HTML ``<script>`` block: ``<``, ``>``, ``&``, U+2028 and U+2029 as \\u escapes, so
    no user string (a region named ``<!--<script>``) can end or comment out the block; JSON reads them back
    unchanged."""
    text = json.dumps(value, default=_json_default)
    return "".join(SCRIPT_ESCAPES.get(c, c) for c in text) if any(c in text for c in SCRIPT_ESCAPES) else text


def write_report(folder: Path, out: Path | None = None, png: bool = False, instance: str | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (default: folder/report.html) in one step; PNGs beside it."""
    report = build_report(folder, instance)
    out = Path(out) if out else Path(folder) / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(to_html(report), encoding="utf-8")
    os.replace(tmp, out)
    if png:
        write_png(report, out.with_name(f"{out.stem}_png"))
    return out


def write_png(report: Report, folder: Path) -> list[Path]:
    """One PNG per chart, rendered by vl-convert (no browser); table-only sections have none."""
    import vl_convert as vlc

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in report.sections:
        if s.spec is None:
            continue
        path = folder / f"{s.id}.png"
        spec = json.loads(json.dumps(with_boundaries(s.spec, report.geo), default=_json_default))
        path.write_bytes(vlc.vegalite_to_png(spec, vl_version=_vl_version(), scale=1.5))
        written.append(path)
    return written


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
