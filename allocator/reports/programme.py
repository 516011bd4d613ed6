"""The programme's and monitoring's report sections: years, money per year, project timeline, maps per year,
plan versus realised, and the regions' broad-welfare indicator series.

Reads a programme (or monitor) result folder's tables as frames and returns ``(id, heading, spec, note,
table)`` tuples that :mod:`allocator.reports.page` turns into sections; charts are Vega-Lite specs from Altair.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from allocator.reports import charts as rc

DOMAIN_COLOURS = "tableau10"


def year_charts(years: pd.DataFrame) -> alt.HConcatChart:
    """W_t (undiscounted) and the shortfall and people short per year."""
    base = alt.Chart(years).encode(x=alt.X("year:O", title="year"))
    w = base.mark_line(point=True).encode(y=alt.Y("welfare:Q", title="broad welfare W_t (M€-eq, undiscounted)",
                                                  scale=alt.Scale(zero=False)),
                                          tooltip=["year:O", alt.Tooltip("welfare:Q", format=",.1f")])
    long = years.melt(id_vars="year", value_vars=["shortfall", "people_short"], var_name="measure", value_name="persons")
    long["measure"] = long["measure"].map({"shortfall": "shortfall Q (person-services)",
                                           "people_short": "people short of a basic service"})
    q = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("year:O", title="year"), y=alt.Y("persons:Q", title="persons"), color=alt.Color("measure:N", title=None,
                                                                                               legend=alt.Legend(orient="bottom")),
        tooltip=["year:O", "measure:N", alt.Tooltip("persons:Q", format=",.0f")])
    return alt.hconcat(w.properties(width=300, height=220, title="Broad welfare per year"),
                       q.properties(width=300, height=220, title="Below the minimum per year"))


def money_chart(money: pd.DataFrame) -> alt.LayerChart:
    """Spending per year, stacked by kind, with the streams (and streams + extra money) as lines."""
    parts = {"programmes_meur": "programmes", "sites_meur": "running cost of sites", "openings_meur": "opening new sites",
             "projects_meur": "agenda projects"}
    long = money.melt(id_vars="year", value_vars=list(parts), var_name="kind", value_name="meur")
    long["kind"] = long["kind"].map(parts)
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X("year:O", title="year"), y=alt.Y("meur:Q", title="M€", stack="zero"),
        color=alt.Color("kind:N", title="spent on", sort=list(parts.values())),
        tooltip=["year:O", "kind:N", alt.Tooltip("meur:Q", format=",.1f", title="M€")])
    income = money.assign(with_extra=money["streams_meur"] + money["extra_meur"])
    line = alt.Chart(income).mark_line(color="black", strokeDash=[4, 3], point=True).encode(
        x="year:O", y="with_extra:Q", tooltip=["year:O", alt.Tooltip("streams_meur:Q", format=",.1f", title="streams M€"),
                                               alt.Tooltip("extra_meur:Q", format=",.1f", title="extra money M€")])
    return alt.layer(bars, line).properties(width=560, height=280, title="Money per year (dashed: streams plus extra money)")


def project_timeline(projects: pd.DataFrame, last_year: int) -> alt.LayerChart:
    """A bar per started project: running years (solid) and the years its welfare counts (light)."""
    started = projects.dropna(subset=["start_year"]).copy()
    started["start"] = started["start_year"].astype(int)
    started["done"] = started["start"] + started["duration"].astype(int)
    started["end"] = last_year + 1
    y = alt.Y("name:N", title=None, sort=alt.EncodingSortField("start"))
    tooltip = ["name:N", "region:N", "domain_id:N", alt.Tooltip("start:Q", format="d", title="start"),
               alt.Tooltip("cost_per_year:Q", format=",.2f", title="M€/yr while running"),
               alt.Tooltip("welfare_per_year:Q", format=",.2f", title="M€-eq/yr once done")]
    run = alt.Chart(started).mark_bar().encode(x=alt.X("start:Q", title="year", scale=alt.Scale(zero=False),
                                                       axis=alt.Axis(format="d")), x2="done:Q", y=y,
                                               color=alt.Color("domain_id:N", title="domain",
                                                               scale=alt.Scale(scheme=DOMAIN_COLOURS)), tooltip=tooltip)
    after = alt.Chart(started[started["done"] <= last_year]).mark_bar(opacity=0.3).encode(
        x="done:Q", x2="end:Q", y=y, color=alt.Color("domain_id:N", legend=None), tooltip=tooltip)
    return alt.layer(run, after).properties(width=560, height=max(60, 18 * len(started)),
                                            title="Agenda projects: running (solid), welfare counted (light)")


def maps_per_year(frames: dict[int, pd.DataFrame], key: str | None) -> alt.ConcatChart:
    """One map per year of the change in municipal money per inhabitant (small multiples)."""
    maps = [rc.region_map(frame, str(year), "€ per inhabitant", key, diverging=True, fmt=",.0f").properties(
        width=rc.WIDTH * 0.6, height=rc.HEIGHT * 0.6) for year, frame in frames.items()]
    return alt.concat(*maps, columns=4)


def plan_vs_realised_chart(pvr: pd.DataFrame, n: int = 15) -> alt.Chart:
    """The regions whose realised (or re-planned) money differs most from the plan, per year."""
    total = pvr.groupby("name")["difference_meur"].apply(lambda s: s.abs().sum()).nlargest(n).index
    part = pvr[pvr["name"].isin(total)]
    return alt.Chart(part).mark_bar().encode(
        y=alt.Y("name:N", title=None, sort="-x"), x=alt.X("difference_meur:Q", title="realised or re-planned − planned (M€)"),
        color=alt.Color("year:O", title="year"), opacity=alt.condition(alt.datum.kind == "realised", alt.value(1.0),
                                                                       alt.value(0.45)),
        tooltip=["name:N", "year:O", "kind:N", alt.Tooltip("planned_meur:Q", format=",.2f"),
                 alt.Tooltip("realised_or_replanned_meur:Q", format=",.2f"),
                 alt.Tooltip("difference_meur:Q", format="+,.2f")]).properties(
        width=520, height=18 * len(total), title="Plan versus realised (solid) and re-planned (light), largest differences")


def indicator_series(series: pd.DataFrame, regions: list[str], names: dict) -> alt.Chart:
    """The instance's yearly broad-welfare indicators for ``regions`` (one small chart per indicator)."""
    part = series[series["region_id"].isin(regions)].assign(name=lambda f: f["region_id"].map(names))
    return alt.Chart(part).mark_line(point=True).encode(
        x=alt.X("year:O", title=None), y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color("name:N", title="municipality"), tooltip=["name:N", "indicator:N", "year:O", "value:Q"],
    ).properties(width=200, height=130).facet(facet=alt.Facet("indicator:N", title=None), columns=4).resolve_scale(y="independent")


def indicator_selector(series: pd.DataFrame, plan: pd.DataFrame, names: dict, first: str) -> dict:
    """Pick a municipality: its broad-welfare indicator series (the instance's yearly data) beside its plan per year.

    ``plan`` has region_id, year, baseline_municipal_meur and plan_municipal_meur.  Both frames go in wide
    (one row per municipality and year) and are folded to long form in the browser: 342 municipalities ×
    11 years of 8 indicators stay a few thousand rows.  Returns the Vega-Lite spec.
    """
    options = sorted(names.values())
    pick = alt.param(name="gemeente", value=names.get(first, options[0]),
                     bind=alt.binding_select(options=options, name="Municipality "))
    wide = series.pivot_table(index=["region_id", "year"], columns="indicator", values="value").reset_index()
    wide["name"] = wide["region_id"].map(names)
    indicators = [c for c in wide.columns if c not in ("region_id", "year", "name")]
    ind = alt.Chart(wide.drop(columns="region_id")).transform_filter(alt.datum.name == pick).transform_fold(
        indicators, as_=["indicator", "value"]).mark_line(point=True).encode(
        x=alt.X("year:O", title=None), y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=["name:N", "indicator:N", "year:O", alt.Tooltip("value:Q", format=",.1f")],
    ).properties(width=170, height=110).facet(facet=alt.Facet("indicator:N", title=None), columns=4).resolve_scale(
        y="independent").properties(title="Broad-welfare indicators (CBS, yearly)")
    money_frame = plan.rename(columns={"baseline_municipal_meur": "baseline", "plan_municipal_meur": "plan"}).assign(
        name=lambda f: f["region_id"].map(names)).drop(columns="region_id")
    money = alt.Chart(money_frame).transform_filter(alt.datum.name == pick).transform_fold(
        ["baseline", "plan"], as_=["series", "meur"]).mark_line(point=True).encode(
        x=alt.X("year:O", title=None), y=alt.Y("meur:Q", title="municipal money (M€)", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None), tooltip=["name:N", "year:O", "series:N", alt.Tooltip("meur:Q", format=",.2f")],
    ).properties(width=220, height=240, title="The municipality's plan")
    with alt.data_transformers.enable("default", max_rows=50_000):  # a 20-year programme has 6,840 plan rows
        return alt.hconcat(money.add_params(pick), ind).to_dict()  # the picker on the plain chart (a facet cannot hold it)
