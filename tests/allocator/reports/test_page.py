"""The report: every kind of result folder, PNGs without a browser, clear errors, boundary winding."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from allocator.reports.page import rewind
from regio_cli.main import cli
from tests.conftest import tiny_tables, write_instance
from tests.pareto_cases import knapsack_front_instance


def _specs(page: str) -> dict:
    return json.loads(re.search(r"const SPECS = (\{.*?\});\n", page, re.S).group(1))


def test_solve_report_is_self_contained_with_every_section(tmp_path, tiny_dir):
    out = tmp_path / "res"
    res = CliRunner().invoke(cli, ["solve", str(tiny_dir), "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text()
    assert "http://" not in page.split("<script>")[0] and "cdn" not in page.lower().split("<script>")[0]
    assert not re.search(r"<script[^>]+src=", page), "no external scripts"
    specs = _specs(page)
    assert {"map-change", "map-coverage", "map-shortfall", "map-weight", "map-facilities", "money-flows"} <= set(specs)
    assert "broad welfare W" in page and "status" in page and "[solver]" in page


def test_png_of_every_chart_without_a_browser(tmp_path, tiny_dir):
    out = tmp_path / "res"
    assert CliRunner().invoke(cli, ["solve", str(tiny_dir), "--out", str(out)]).exit_code == 0
    res = CliRunner().invoke(cli, ["report", str(out), "--out", str(tmp_path / "memo.html"), "--png"])
    assert res.exit_code == 0, res.output
    pngs = sorted(p.name for p in (tmp_path / "memo_png").iterdir())
    assert "map-change.png" in pngs and "money-flows.png" in pngs
    assert all((tmp_path / "memo_png" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_pareto_report_marks_every_point_status_and_the_chosen_point(tmp_path, monkeypatch):
    monkeypatch.setattr("allocator.api.load_instance", lambda name: knapsack_front_instance())
    monkeypatch.setattr("allocator.reports.page.load_instance", lambda name: knapsack_front_instance())
    scenario = tmp_path / "linear.toml"
    scenario.write_text('shortfall_price = 1000\n[welfare]\nbreakpoints = [1.0]\nslopes = [1.0]\nloss_aversion = 1.0\n'
                        '[solver]\nmip_gap = 0.0\n')
    out = tmp_path / "front"
    res = CliRunner().invoke(cli, ["pareto", "knap", "-s", str(scenario), "--points", "11", "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    spec = _specs((out / "report.html").read_text())["front"]
    text = json.dumps(spec)
    assert "status" in text and "chosen (scenario" in text
    # Q counts person-services (a person short of two types counts twice), never "persons"
    assert "Q below the minimum (person-services)" in text and "Q (person-services)" in text and "(persons)" not in text
    # λ = 1000 €/person: W − 0.001·Q is best at B (−3, 1000): −4, against −5, −6 and −5
    ring = [layer for layer in spec["layer"] if layer.get("mark", {}).get("size") == 420][0]
    chosen = spec["datasets"][ring["data"]["name"]]
    assert [(p["welfare"], round(p["shortfall"])) for p in chosen] == [(-3.0, 1000)]


def test_compare_and_extra_budget_reports(tmp_path, tiny_dir):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('name = "plain"\n')
    b.write_text('name = "strict"\nhold_harmless = "region"\n')
    out = tmp_path / "cmp"
    res = CliRunner().invoke(cli, ["compare", str(tiny_dir), "-s", str(a), "-s", str(b), "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    assert "scenarios" in _specs((out / "report.html").read_text())
    out2 = tmp_path / "eb"
    res = CliRunner().invoke(cli, ["extra-budget", str(tiny_dir), "--out", str(out2), "--report"])
    assert res.exit_code == 0, res.output
    page = (out2 / "report.html").read_text()
    assert {"map-redistribution", "map-change", "map-facilities"} <= set(_specs(page))
    assert "extra money" in page


def test_report_errors_are_clear(tmp_path, tiny_dir):
    res = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert res.exit_code == 1 and "not a result folder" in res.output
    res = CliRunner().invoke(cli, ["solve", str(tiny_dir), "--report"])
    assert res.exit_code == 1 and "--report" in res.output and "--out" in res.output


def test_rewind_turns_rfc7946_rings_into_d3_winding():
    ccw = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # anticlockwise exterior (RFC 7946)
    hole_cw = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]]
    geo = {"features": [{"geometry": {"type": "Polygon", "coordinates": [ccw, hole_cw]}, "properties": {}}]}
    outer, hole = rewind(geo)["features"][0]["geometry"]["coordinates"]
    assert outer == ccw[::-1] and hole == hole_cw[::-1]
    again = rewind(rewind(geo))["features"][0]["geometry"]["coordinates"]
    assert again == [ccw[::-1], hole_cw[::-1]], "rewinding is idempotent"


def test_nl_boundaries_cover_every_municipality():
    from allocator.instance import load_instance
    from allocator.reports.page import boundaries

    key, geo = boundaries(load_instance("nl"))
    assert key == "municipality_code" and len(geo["features"]) == 342


@pytest.mark.parametrize("name", ["<!--<script>", "</script><b>x", "a\u2028b & <c>"])
def test_a_region_name_cannot_break_out_of_the_page_scripts(tmp_path, name):
    t = tiny_tables()
    t["regions"].loc[0, "name"] = name
    inst = write_instance(tmp_path / "inst", t)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["solve", str(inst), "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text(encoding="utf-8")
    scripts = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    assert name not in page and "\u2028" not in scripts and "<!--" not in scripts.replace("\\u003c!--", "")
    for spec in _specs(page).values():  # every chart's data still reads back, the name intact
        assert isinstance(spec, dict)
    assert name in json.dumps(_specs(page), ensure_ascii=False) or "<" not in name


def test_chart_data_is_what_altairs_own_transformer_gives():
    import altair as alt
    import numpy as np
    import pandas as pd
    from altair.utils.data import MaxRowsError
    from altair.vegalite.data import default_data_transformer

    from allocator.reports.charts import records

    frame = pd.DataFrame({"region_id": ["a", "b", "c", "d"], "name": ["Aa en Hunze", None, np.nan, "Ede"],
                          "value": [1.5, np.nan, np.inf, -np.inf], "count": np.array([1, 2, 3, 4], dtype=np.int64),
                          "open": [True, False, True, False]})
    assert records(frame) == default_data_transformer(frame)
    assert records(frame)["values"][1] == {"region_id": "b", "name": None, "value": None, "count": 2, "open": False}
    dated = frame.assign(day=pd.to_datetime(["2026-01-01"] * 4), share=pd.array([1, None, 3, 4], dtype="Int64"))
    assert records(dated) == default_data_transformer(dated)  # other kinds: Altair's own
    assert records({"values": [{"x": 1}]}) == {"values": [{"x": 1}]}
    with pytest.raises(ValueError, match="column name"):
        records(frame.rename(columns={"count": 7}))
    with pytest.raises(MaxRowsError):
        records(pd.DataFrame({"x": np.arange(5001.0)}))
    assert alt.data_transformers.active == "regio"


def test_a_report_is_the_same_with_altairs_own_transformer(tmp_path, tiny_dir):
    import altair as alt

    from allocator.reports.page import build_report

    out = tmp_path / "res"
    assert CliRunner().invoke(cli, ["solve", str(tiny_dir), "--out", str(out)]).exit_code == 0
    ours = build_report(out)
    with alt.data_transformers.enable("default"):
        theirs = build_report(out)
    assert alt.data_transformers.active == "regio"
    assert [s.spec for s in ours.sections] == [s.spec for s in theirs.sections] and ours.sections


@pytest.fixture(scope="module")
def what_if_folder(tmp_path_factory):
    """(a gen:S:0 what-if's result folder, the instance it was solved on): its page's maps drawn beside HiGHS."""
    import allocator

    warm = allocator.WarmModel("gen:S:0")
    warm.solve()
    result = warm.solve(equity_alpha=2.5)  # the last plan completed for α is the optimum: HiGHS keeps its start
    return result.to_folder(tmp_path_factory.mktemp("whatif") / "alpha"), warm.instance


def _drawn_again(monkeypatch) -> list:
    """One entry per page whose maps were drawn from its tables (not taken from page_sections.json)."""
    from allocator.reports import page

    drawn, real = [], page.table_sections
    monkeypatch.setattr(page, "table_sections", lambda *a: drawn.append(1) or real(*a))
    return drawn


def test_a_what_ifs_page_uses_the_maps_drawn_beside_highs_and_they_are_the_maps_its_tables_give(
        what_if_folder, monkeypatch):
    from allocator.web.views import result_view

    folder, inst = what_if_folder
    assert (folder / "page_sections.json").is_file()
    drawn = _drawn_again(monkeypatch)
    kept = result_view(folder, "nl", inst)
    assert drawn == []
    monkeypatch.setattr("allocator.reports.page._kept_sections", lambda *a: None)
    assert result_view(folder, "nl", inst) == kept and drawn == [1]
    assert {s["id"] for s in kept["sections"]} >= {"map-change", "map-coverage", "map-facilities", "money-flows"}


@pytest.mark.parametrize("edit", ["allocation.csv", "scenario.toml", "region_totals.csv", "instance", "page_sections.json"])
def test_maps_drawn_beside_highs_are_not_used_once_a_file_they_were_drawn_from_changed(
        what_if_folder, tmp_path, monkeypatch, edit):
    import dataclasses
    import shutil

    from allocator.reports.page import build_report

    folder, inst = what_if_folder
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    if edit == "instance":
        inst = dataclasses.replace(inst, manifest=inst.manifest.model_copy(update={"name": "another"}))
    elif edit == "page_sections.json":  # not what regio writes: drawn again, no error
        (copy / edit).write_text('{"instance": "%s", "files": [], "sections": 3}' % inst.name, encoding="utf-8")
    elif edit == "region_totals.csv":
        (copy / edit).unlink()  # a table the maps read, gone: drawn again without its map
    else:
        text = (copy / edit).read_text(encoding="utf-8")
        (copy / edit).write_text(text + ("\n" if edit == "scenario.toml" else text.splitlines()[-1] + "\n"),
                                 encoding="utf-8")
    drawn = _drawn_again(monkeypatch)
    build_report(copy, inst)
    assert drawn == [1]
    shutil.copytree(folder, tmp_path / "again")
    build_report(tmp_path / "again", what_if_folder[1])
    assert drawn == [1]  # the untouched copy: its drawn maps hold


def test_a_page_whose_table_is_missing_says_so_with_or_without_drawn_maps(what_if_folder, tmp_path):
    import shutil

    from allocator.errors import InputError
    from allocator.reports.page import build_report

    folder, inst = what_if_folder
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "facilities.csv").unlink()
    with pytest.raises(InputError, match="missing table"):
        build_report(copy, inst)
