"""The charts of a report, as Vega-Lite specs built with Altair: maps, facility decisions, front, money flows.

Each function takes plain frames and returns an Altair chart; no file is read here.  A frame becomes the
chart's data by :func:`records` (Altair's data transformer while regio's charts are made, unless another
than Altair's default was chosen before).  Maps draw the
regions' boundaries from the named dataset :data:`GEO` (the GeoJSON features, injected once by the
page, so 342 boundaries are not repeated in every map); an instance without boundaries gets one
circle per region at its representative point instead.  Every map has a legend title with its unit
and a tooltip with the region's name and value.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.data import limit_rows, to_values
from altair.vegalite.data import default_data_transformer

GEO = "region_boundaries"  # the named dataset holding the GeoJSON features
WIDTH, HEIGHT = 330, 380
STATUS_COLOURS = {"optimal": "#1a9850", "feasible_unproven": "#91cf60", "time_limit_feasible": "#fc8d59",
                  "time_limit_no_solution": "#d73027", "infeasible": "#7b3294", "unbounded": "#999999",
                  "numerical": "#999999", "error": "#000000"}
DECISION_COLOURS = {"keep": "#bdbdbd", "open": "#1a9850", "close": "#d73027"}


def records(data, max_rows: int = 5000) -> dict:
    """A chart's data as Altair's default transformer gives it — ``{"values": rows}``, NaN and ±inf as null, at most
    ``max_rows`` rows — made column by column for a frame of numbers, truth values and text; other data is left to
    Altair's own.

    Altair sanitises a copy of the frame and asks pandas for its records: for the eleven frames of an α what-if's
    page on nl (2,545 sites, ten maps of 342 regions) 0.028 s against 0.015 s this way, and the page 0.15 → 0.13 s
    with the copies it no longer makes.  A frame becomes records only when the spec is made: records inside a
    chart would be copied at every step of building it (the page then took 0.25 s).
    """
    if not isinstance(data, pd.DataFrame):
        return default_data_transformer(data, max_rows=max_rows)
    limit_rows(data, max_rows=max_rows)
    if data.columns.has_duplicates or not all(isinstance(n, str) for n in data.columns):
        return to_values(data)  # Altair's own error for such names
    columns = []
    for name in data.columns:
        column = data[name]
        kind, rows = column.dtype.kind, column.tolist()
        if kind == "f":
            for i in np.flatnonzero(~np.isfinite(column.to_numpy())):
                rows[i] = None
        elif kind == "O" and all(isinstance(v, str) or v is None or (isinstance(v, float) and v != v) for v in rows):
            rows = [v if isinstance(v, str) else None for v in rows]
        elif kind not in "iub":
            return to_values(data)
        columns.append(rows)
    return {"values": [dict(zip(data.columns, row)) for row in zip(*columns)]}


alt.data_transformers.register("regio", records)
if alt.data_transformers.active == "default":
    alt.data_transformers.enable("regio")


def region_map(values: pd.DataFrame, title: str, unit: str, key: str | None, diverging: bool = False,
               scheme: str = "blues", fmt: str = ",.1f", zero: bool = True) -> alt.Chart:
    """Choropleth of ``values`` (region_id, name, value); ``key`` is the boundary property holding region_id."""
    scale = alt.Scale(scheme="redblue", domainMid=0) if diverging else alt.Scale(scheme=scheme, zero=zero)
    colour = alt.Color("value:Q", title=unit, scale=scale, legend=alt.Legend(orient="bottom", gradientLength=WIDTH - 40))
    tooltip = [alt.Tooltip("name:N", title="region"), alt.Tooltip("value:Q", title=unit, format=fmt)]
    if key is None:
        return alt.Chart(values).mark_circle(opacity=0.85).encode(
            longitude="lon:Q", latitude="lat:Q", color=colour, size=alt.Size("population:Q", legend=None),
            tooltip=tooltip).project("mercator").properties(width=WIDTH, height=HEIGHT, title=title)
    return alt.Chart(alt.Data(name=GEO)).mark_geoshape(stroke="white", strokeWidth=0.3).transform_lookup(
        lookup=f"properties.{key}",  # only the columns looked up are embedded (nl's what-if page 0.80 → 0.63 MB)
        from_=alt.LookupData(values[["region_id", "name", "value"]], "region_id", ["name", "value"]),
    ).encode(color=colour, tooltip=tooltip).project("mercator").properties(width=WIDTH, height=HEIGHT, title=title)


def base_map(key: str | None, regions: pd.DataFrame) -> alt.Chart:
    if key is None:
        return alt.Chart(regions).mark_circle(color="#eeeeee").encode(longitude="lon:Q", latitude="lat:Q")
    return alt.Chart(alt.Data(name=GEO)).mark_geoshape(fill="#f0f0f0", stroke="white", strokeWidth=0.3)


def facility_map(sites: pd.DataFrame, key: str | None, regions: pd.DataFrame) -> alt.LayerChart:
    """Sites kept (grey), opened (green) and closed (red), one symbol per facility type."""
    shown = sites[sites["decision"].isin(list(DECISION_COLOURS))]
    points = alt.Chart(shown).mark_point(filled=True, opacity=0.9).encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("decision:N", title="decision", scale=alt.Scale(domain=list(DECISION_COLOURS),
                                                                        range=list(DECISION_COLOURS.values()))),
        shape=alt.Shape("type:N", title="facility type"),
        size=alt.condition(alt.datum.decision == "keep", alt.value(8), alt.value(60)),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("name:N", title="site"), alt.Tooltip("type:N", title="type"),
                 alt.Tooltip("region:N", title="region"), alt.Tooltip("decision:N", title="decision")])
    return alt.layer(base_map(key, regions), points).project("mercator").properties(
        width=WIDTH * 1.4, height=HEIGHT * 1.4, title="Facility decisions (kept, opened, closed)")


def front_chart(points: pd.DataFrame, chosen: int | None, pof_at_tightest: float | None) -> alt.LayerChart:
    """W against Q, every point coloured by its status; the point the scenario's λ would choose is ringed."""
    pof = "" if pof_at_tightest is None else f" — price of fairness 0 % (top) to {pof_at_tightest:.1%} (tightest)"
    x = alt.X("shortfall:Q", title="shortfall Q below the minimum (person-services)", axis=alt.Axis(format="~s"))
    y = alt.Y("welfare:Q", title=f"broad welfare W (M€-eq/yr){pof}", scale=alt.Scale(zero=False))
    statuses = [s for s in STATUS_COLOURS if s in set(points["status"])]
    tooltip = [alt.Tooltip("k:Q", title="grid point"), alt.Tooltip("welfare:Q", format=",.2f", title="W (M€-eq/yr)"),
               alt.Tooltip("shortfall:Q", format=",.0f", title="Q (person-services)"),
               alt.Tooltip("price_of_fairness:Q", format=".2%", title="price of fairness"),
               alt.Tooltip("status:N"), alt.Tooltip("mip_gap:Q", format=".3%", title="MIP gap")]
    line = alt.Chart(points).mark_line(color="#777777").encode(x=x, y=y, order="shortfall:Q")
    dots = alt.Chart(points).mark_circle(size=110, opacity=1).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", title="status", scale=alt.Scale(domain=statuses,
                                                                  range=[STATUS_COLOURS[s] for s in statuses])))
    layers = [line, dots]
    if chosen is not None:
        ring = alt.Chart(points[points["k"] == chosen]).mark_point(size=420, strokeWidth=2.5, color="black").encode(
            x=x, y=y, tooltip=tooltip)
        label = alt.Chart(points[points["k"] == chosen]).mark_text(dx=14, align="left", fontWeight="bold").encode(
            x=x, y=y, text=alt.value("chosen (scenario's λ)"))
        layers += [ring, label]
    return alt.layer(*layers).properties(width=560, height=360, title="Pareto front: broad welfare against shortfall")


def scenario_bars(table: pd.DataFrame) -> alt.HConcatChart:
    """Scenarios side by side: W, Q and extra money."""
    charts = []
    for column, title in (("welfare", "broad welfare W (M€-eq/yr)"), ("shortfall", "shortfall Q (person-services)"),
                          ("extra_money", "extra money (M€/yr)")):
        charts.append(alt.Chart(table).mark_bar().encode(
            x=alt.X("scenario:N", title=None, sort=None), y=alt.Y(f"{column}:Q", title=title),
            color=alt.Color("status:N", title="status"),
            tooltip=["scenario:N", alt.Tooltip(f"{column}:Q", format=",.2f"), "status:N"]).properties(width=220, height=260))
    return alt.hconcat(*charts).properties(title="Scenarios side by side")


def money_flows(flows: pd.DataFrame) -> alt.Chart:
    """Spending per domain, split by the domain whose grant paid it (de-earmarked: paid by another domain)."""
    return alt.Chart(flows).mark_bar().encode(
        y=alt.Y("to:N", title="spent in domain"), x=alt.X("amount:Q", title="M€/yr", stack="zero"),
        color=alt.Color("from:N", title="paid from (grant of domain)"),
        opacity=alt.condition(alt.datum.deearmarked, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("from:N", title="paid from"), alt.Tooltip("to:N", title="spent in"),
                 alt.Tooltip("amount:Q", format=",.1f", title="M€/yr"), alt.Tooltip("deearmarked:N", title="de-earmarked")],
    ).properties(width=560, height=40 * max(1, flows["to"].nunique()),
                 title="Money flows: de-earmarked money (solid) and money spent in its own domain (light)")
