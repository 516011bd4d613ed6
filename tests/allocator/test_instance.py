"""Bad input gets an error naming file, row and column; good input loads the same from CSV and Excel."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from allocator.errors import InputError
from allocator.instance import load_instance, read_folder
from tests.conftest import tiny_tables, write_instance


def broken(tmp_path, table: str, edit) -> InputError:
    tables = tiny_tables()
    tables[table] = edit(tables[table].copy())
    folder = write_instance(tmp_path / "bad", tables)
    with pytest.raises(InputError) as err:
        read_folder(folder)
    return err.value


def only(err: InputError):
    assert len(err.issues) == 1, [str(i) for i in err.issues]
    return err.issues[0]


def test_tiny_instance_loads(tiny_dir):
    inst = read_folder(tiny_dir)
    assert inst.summary()["population"] == 4000
    assert inst.baseline.loc[("B", "edu")] == 6.0
    assert bool(inst.sites.loc["gpA", "existing"]) and not bool(inst.sites.loc["gpB", "existing"])


def test_missing_file(tmp_path, tiny_dir):
    (tiny_dir / "sites.csv").unlink()
    with pytest.raises(InputError) as err:
        read_folder(tiny_dir)
    issue = only(err.value)
    assert issue.file.endswith("sites.csv") and "missing file" in issue.message


def test_missing_and_extra_column(tmp_path):
    err = broken(tmp_path, "regions", lambda f: f.drop(columns="population").assign(colour="red"))
    cols = {(i.column, i.file.split("/")[-1]) for i in err.issues}
    assert cols == {("population", "regions.csv"), ("colour", "regions.csv")}
    assert any("missing column" in i.message for i in err.issues)
    assert any("unknown column" in i.message for i in err.issues)


def test_wrong_type_names_row_and_column(tmp_path):
    err = broken(tmp_path, "demand_points", lambda f: f.astype({"population": object}).assign(
        population=lambda d: d["population"].where(d.index != 1, "lots")))
    issue = only(err)
    assert (issue.file.split("/")[-1], issue.row, issue.column) == ("demand_points.csv", 3, "population")
    assert "'lots' is not a number" in issue.message


def test_empty_cell(tmp_path):
    err = broken(tmp_path, "sites", lambda f: f.astype({"lat": object}).assign(lat=lambda d: d["lat"].where(d.index != 0, "")))
    issue = only(err)
    assert (issue.row, issue.column) == (2, "lat") and "empty cell" in issue.message


def test_not_whole_number(tmp_path):
    err = broken(tmp_path, "regions", lambda f: f.astype({"population": float}).assign(
        population=lambda d: d["population"].where(d.index != 1, 2999.5)))
    # the half person is reported; the demand points then no longer add up but that is only a warning
    issue = only(err)
    assert (issue.row, issue.column) == (3, "population") and "whole number" in issue.message


@pytest.mark.parametrize("table,column,value,row,expected", [
    ("regions", "population", 0, 2, "expected a value > 0"),
    ("streams", "amount", -1.0, 3, "expected a value >= 0"),
    ("streams", "deearmark_share", 1.5, 2, "share between 0 and 1"),
    ("facility_types", "required_share", -0.1, 2, "share between 0 and 1"),
    ("sites", "operating_cost", -0.5, 3, "expected a value >= 0"),
])
def test_out_of_range(tmp_path, table, column, value, row, expected):
    err = broken(tmp_path, table, lambda f: f.astype({column: object}).assign(
        **{column: lambda d: d[column].where(d.index != row - 2, value)}))
    issue = only(err)
    assert (issue.file.split("/")[-1], issue.row, issue.column) == (f"{table}.csv", row, column)
    assert expected in issue.message


def test_duplicate_ids(tmp_path):
    err = broken(tmp_path, "demand_points", lambda f: f.assign(point_id=["a1", "b1", "a1"]))
    issue = only(err)
    assert (issue.row, issue.column) == (4, "point_id") and "duplicate id 'a1'" in issue.message


def test_duplicate_composite_key(tmp_path):
    err = broken(tmp_path, "baseline", lambda f: f.assign(domain_id=["care", "care", "care", "edu"]))
    issue = only(err)
    assert (issue.row, issue.column) == (3, "region_id") and "duplicate key" in issue.message


def test_unknown_references(tmp_path):
    err = broken(tmp_path, "sites", lambda f: f.assign(region_id=["A", "Z"], ftype_id=["gp", "school"]))
    found = {(i.row, i.column) for i in err.issues}
    assert found == {(3, "region_id"), (3, "ftype_id")}
    assert any("unknown ftype_id 'school'" in i.message and i.message.endswith("facility_types.csv") for i in err.issues)


def test_norm_unit_must_be_one_of_its_words(tmp_path):
    err = broken(tmp_path, "facility_types", lambda f: f.assign(norm_unit=["hours"]))
    issue = only(err)
    assert (issue.file.split("/")[-1], issue.row, issue.column) == ("facility_types.csv", 2, "norm_unit")


def test_demand_must_be_one_of_its_words_or_empty(tmp_path):
    err = broken(tmp_path, "facility_types", lambda f: f.assign(demand=["pupils"]))
    issue = only(err)
    assert (issue.row, issue.column) == (2, "demand") and "'children_4_11'" in issue.message


def test_coordinates_outside_bounding_box(tmp_path):
    err = broken(tmp_path, "demand_points", lambda f: f.assign(lat=[52.0, 5.2, 52.2], lon=[5.0, 52.1, 5.2]))
    found = {(i.row, i.column) for i in err.issues}
    assert found == {(3, "lat"), (3, "lon")}
    assert all("bounding box" in i.message for i in err.issues)


def test_streams_must_pay_for_status_quo(tmp_path):
    err = broken(tmp_path, "streams", lambda f: f.assign(amount=[10.0, 8.0]))  # care needs 10 + 0.5 site
    issue = only(err)
    assert issue.column == "amount" and "domain 'care'" in issue.message and "short by 0.500" in issue.message


def test_all_errors_of_a_file_are_collected(tmp_path):
    err = broken(tmp_path, "demand_points", lambda f: f.assign(population=[-1, 0, -5]))
    assert [(i.row, i.column) for i in err.issues] == [(2, "population"), (3, "population"), (4, "population")]


def test_bad_manifest_names_key(tmp_path, tiny_dir):
    (tiny_dir / "instance.toml").write_text('name = "x"\ntitle = "t"\nyear = "soon"\nunits = {}\ncolour = 1\n')
    with pytest.raises(InputError) as err:
        read_folder(tiny_dir)
    text = str(err.value)
    assert "instance.toml" in text and "year" in text and "colour" in text


def test_excel_workbook_gives_same_instance(tmp_path, tiny_dir):
    book = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(book) as xl:
        for name, frame in tiny_tables().items():
            frame.to_excel(xl, sheet_name=name, index=False)
    (tmp_path / "plan.toml").write_text((tiny_dir / "instance.toml").read_text())
    a, b = read_folder(tiny_dir), load_instance(book)
    for attr in ("regions", "demand_points", "sites", "streams", "facility_types"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), check_dtype=False)
    pd.testing.assert_series_equal(a.baseline, b.baseline)


def test_excel_error_names_sheet_row_column(tmp_path, tiny_dir):
    tables = tiny_tables()
    tables["sites"].loc[1, "region_id"] = "Z"
    book = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(book) as xl:
        for name, frame in tables.items():
            frame.to_excel(xl, sheet_name=name, index=False)
    (tmp_path / "plan.toml").write_text((tiny_dir / "instance.toml").read_text())
    with pytest.raises(InputError) as err:
        load_instance(book)
    issue = only(err.value)
    assert issue.file.endswith("plan.xlsx [sheet sites]") and (issue.row, issue.column) == (3, "region_id")


def test_an_uncalculated_formula_is_named_not_called_empty(tmp_path, tiny_dir):
    from openpyxl import load_workbook

    book = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(book) as xl:
        for name, frame in tiny_tables().items():
            frame.to_excel(xl, sheet_name=name, index=False)
    wb = load_workbook(book)
    wb["regions"]["C3"] = "=1000+2000"  # population of Beta, as a formula openpyxl cannot calculate
    wb.save(book)
    (tmp_path / "plan.toml").write_text((tiny_dir / "instance.toml").read_text())
    with pytest.raises(InputError) as err:
        load_instance(book)
    issue = only(err.value)
    assert issue.file.endswith("plan.xlsx [sheet regions]") and (issue.row, issue.column) == (3, "population")
    assert "formula =1000+2000 has no calculated value" in issue.message


def test_an_excel_instance_makes_a_report_with_its_map_beside_the_workbook(tmp_path):
    from click.testing import CliRunner

    from regio_cli.main import cli
    from tests.conftest import TINY_MANIFEST

    import tomli_w

    book = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(book) as xl:
        for name, frame in tiny_tables().items():
            frame.to_excel(xl, sheet_name=name, index=False)
    features = [{"type": "Feature", "properties": {"code": r, "name": r}, "geometry": {"type": "Polygon", "coordinates": [
        [[lon - 0.1, lat - 0.1], [lon + 0.1, lat - 0.1], [lon + 0.1, lat + 0.1], [lon - 0.1, lat + 0.1], [lon - 0.1, lat - 0.1]]]}}
        for r, lat, lon in (("A", 52.0, 5.0), ("B", 52.1, 5.2))]
    (tmp_path / "map.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (tmp_path / "plan.toml").write_text(tomli_w.dumps({**TINY_MANIFEST, "boundaries": "map.geojson",
                                                      "boundaries_key": "code"}))
    res = CliRunner().invoke(cli, ["solve", str(book), "--out", str(tmp_path / "res"), "--report"])
    assert res.exit_code == 0, res.output
    assert "map-change" in (tmp_path / "res" / "report.html").read_text()
