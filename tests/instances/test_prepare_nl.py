"""The preparation script of ``instances/nl`` on an excerpt of every source file it reads.

``tests/data/nl_excerpt`` holds, byte for byte, the header and the rows of three municipalities (Sluis,
Schiermonnikoog, Winterswijk; plus the CBS 'Nederland' rows) of each shared source file, with its
original encoding (Windows-1252 for DUO file 02, a byte-order mark on file 06), separators and line ends.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from allocator.api import load_instance, solve
from regio_instances.prepare_nl import build
from regio_instances.prepare_nl_money import OPTIMISED, parse_dutch_number, read_iv3, taakveld_domain
from regio_instances.prepare_nl_schools import normalise_place, place_stems
from tests.helpers import ROOT

# three municipalities are too few for a meaningful correlation in the calibration printout
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")

EXCERPT = ROOT / "tests" / "data" / "nl_excerpt"
SHIPPED = ROOT / "instances" / "nl"


@pytest.fixture(scope="module", params=["2024B", "2023J"])
def built(request, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp(f"nl_{request.param}")
    build(EXCERPT, out, request.param)
    shutil.copyfile(SHIPPED / "instance.toml", out / "instance.toml")
    return out, request.param


def test_every_table_is_written_and_the_instance_loads(built):
    out, _ = built
    inst = load_instance(out)
    assert set(inst.regions.index) == {"GM1714", "GM0088", "GM0294"}
    assert inst.regions["children_4_11"].between(1, inst.regions["population"]).all()
    assert set(inst.facility_types["payer"]) == {"zvw", "ocw", "municipality"}


def test_schools_are_the_duo_rows(built):
    out, _ = built
    sites = pd.read_csv(out / "sites.csv")
    duo = pd.read_csv(EXCERPT / "real" / "onderwijs" / "02.-alle-schoolvestigingen-basisonderwijs.csv", sep=";",
                      encoding="cp1252", dtype=str)
    schools = sites[(sites["ftype_id"] == "primary_school") & sites["existing"]]
    assert sorted(schools["site_id"].str.removeprefix("primary_school-")) == sorted(duo["VESTIGINGSCODE"].str.strip())
    assert (schools["capacity"] >= 50).all() and (schools["operating_cost"] > 0.25).all()


def test_the_municipal_streams_pay_exactly_the_iv3_spending_of_the_six_domains(built):
    out, year = built
    iv3 = read_iv3(EXCERPT, year, pd.read_csv(EXCERPT / "real" / "name_to_gmcode_crosswalk.csv"))
    domain = iv3["code"].map(lambda c: taakveld_domain(c)[0])
    lasten = iv3.loc[domain.isin(OPTIMISED), "lasten_meur"].sum()
    streams = pd.read_csv(out / "streams.csv")
    municipal = streams.loc[streams["payer"] == "municipality", "amount"].sum()
    sites = pd.read_csv(out / "sites.csv")
    media_gap = municipal - lasten  # only where libraries cost more than taakveld 5.6 spends
    assert 0 <= media_gap < 1.0
    budget = pd.read_csv(out / "municipal_budget_2024.csv")
    assert budget["iv3_lasten_total_meur"].sum() == pytest.approx(iv3.loc[domain != "bookkeeping", "lasten_meur"].sum())
    assert len(sites) > 0


def test_the_built_instance_solves_and_is_checked(built):
    out, _ = built
    r = solve(load_instance(out))
    assert r.status == "optimal" and r.check == "passed"
    totals = r.region_totals
    assert (totals["municipal_change_meur"] >= -1e-6).all()  # the instance default: hold-harmless per region


@pytest.mark.parametrize("text,value", [("4.375,00", 4375.0), ("4638,946433", 4638.946433), ("315.018", 315018.0),
                                        (" - ", 0.0), ("", 0.0), ("-12", -12.0)])
def test_gemeentefonds_numbers_in_every_format(text, value):
    assert parse_dutch_number(pd.Series([text])).iloc[0] == pytest.approx(value)


def test_place_names_match_across_duo_and_cbs():
    assert normalise_place(pd.Series(["ALTEVEER GEM NOORDENVELD", "HENGELO OV", "Groot - Groningen"])).tolist() == \
        ["ALTEVEER", "HENGELO", "GRONINGEN"]
    centres = pd.DataFrame({"name": ["Almere-Stad/Almere-Buiten", "Leeuwarden (Ljouwert)", "Edam/Volendam"],
                            "region_id": ["GM0034", "GM0080", "GM0385"]})
    assert place_stems(centres)["stem"].tolist() == ["ALMERE", "ALMERE", "LEEUWARDEN", "EDAM", "VOLENDAM"]


def test_an_unmapped_taakveld_is_refused():
    with pytest.raises(ValueError, match="taakveld 9.9 has no domain"):
        taakveld_domain("9.9")
