"""The DUO primary schools for ``instances/nl``: locations, pupils, costs and candidate sites.

Read by :mod:`regio_instances.prepare_nl`; sources and assumptions in ``instances/nl/README.md``.

* Every vestiging of DUO's "alle schoolvestigingen basisonderwijs" (file 02, 6,122 rows) is an existing
  site.  The file has addresses but no coordinates: a school sits at the CBS population centre (kern)
  whose name matches its PLAATSNAAM within its municipality (the full name, else a town named in it:
  'Edam/Volendam' holds VOLENDAM), else at the municipality's representative point;
  :func:`place_schools` reports how many were placed each way.
* Pupils: DUO file 06, 2025 count by VESTIGINGSCODE (``<5`` read as 2; a school without a count gets the
  median).  Capacity = ``HEADROOM`` × pupils (at least ``MIN_CAPACITY``).
* Cost (illustrative, the order of the OCW lump sum): c_j = ``FIXED_MEUR`` + ``PER_PUPIL_MEUR`` × pupils,
  paid by the education ministry (payer ``ocw``).  Candidates at demand points whose schools have fewer
  places than the children living there (none, for most), sized for the children without a place; one
  candidate may stand for several schools (a town's schools all sit at its centre), and its name says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FIXED_MEUR, PER_PUPIL_MEUR = 0.25, 0.0075   # illustrative: ≈ €250k per school + €7,500 per pupil per year
OPENING_MEUR = 0.4                          # illustrative: annualised building cost of a new school
HEADROOM, MIN_CAPACITY = 1.25, 50           # a school can take a quarter more pupils than it has
SUPPRESSED = 2                              # DUO prints counts below 5 as "<5"
CHILDREN_4_11_OF_0_14 = 8 / 15              # ages 4-11 are 8 of the 15 years 0-14 (uniform ages assumed)


def normalise_place(name: pd.Series) -> pd.Series:
    """'ALTEVEER GEM NOORDENVELD' and 'Groot - Alteveer' both become 'ALTEVEER'; 'HENGELO OV' becomes 'HENGELO'."""
    n = name.astype(str).str.upper().str.replace(r"\s+GEM\.?\s.*$", "", regex=True)
    n = n.str.replace(r"^GROOT\s*-\s*", "", regex=True).str.replace(r"[^A-Z0-9' ]", " ", regex=True)
    n = n.str.replace(r"\s+", " ", regex=True).str.strip()
    return n.str.replace(r"\s(OV|GLD|NH|ZH|NB|LB|L|FR|GN|DR|UT|ZL|FL)$", "", regex=True)


def place_stems(centres: pd.DataFrame) -> pd.DataFrame:
    """Every town a centre's name holds, one row each (index = the centre's row):
    'Edam/Volendam' → EDAM, VOLENDAM; 'Almere-Stad/Almere-Buiten' → ALMERE; 'Leeuwarden (Ljouwert)' → LEEUWARDEN."""
    parts = centres["name"].astype(str).str.replace(r"^Groot\s*-\s*", "", regex=True).str.split("/").explode()
    stems = normalise_place(parts.str.split(r"[-(]").str[0])
    return pd.DataFrame({"region_id": centres.loc[stems.index, "region_id"].to_numpy(), "stem": stems.to_numpy()},
                        index=stems.index)


def read_schools(src: Path) -> pd.DataFrame:
    """DUO file 02 with 2025 pupils from file 06: vestigingscode, name, place, region_id, pupils."""
    folder = src / "real" / "onderwijs"
    s = pd.read_csv(folder / "02.-alle-schoolvestigingen-basisonderwijs.csv", sep=";", encoding="cp1252", dtype=str)
    p = pd.read_csv(folder / "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv", sep=";",
                    encoding="utf-8-sig", dtype=str)
    count = p.set_index("VESTIGINGSCODE")["LEERLINGEN_2025"].str.strip()
    count = pd.to_numeric(count.replace("<5", str(SUPPRESSED)), errors="coerce")
    out = pd.DataFrame({
        "code": s["VESTIGINGSCODE"].str.strip(), "name": s["VESTIGINGSNAAM"].str.strip(),
        "place": normalise_place(s["PLAATSNAAM"]), "region_id": "GM" + s["GEMEENTENUMMER"].str.strip().str.zfill(4),
    })
    out["pupils"] = out["code"].map(count[~count.index.duplicated()])
    out["pupils_known"] = out["pupils"].notna() & (out["pupils"] > 0)
    out["pupils"] = out["pupils"].where(out["pupils_known"], float(out.loc[out["pupils_known"], "pupils"].median()))
    return out


def place_schools(schools: pd.DataFrame, points: pd.DataFrame, mun: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Coordinates and host point per school (see module docstring), and the counts placed each way."""
    centres = points[points["point_id"].str.startswith("K")].sort_values("population", ascending=False)
    wanted = schools["region_id"] + "|" + schools["place"]
    host = pd.Series(np.nan, index=schools.index)
    stems = place_stems(centres)
    for key, index in ((centres["region_id"] + "|" + normalise_place(centres["name"]), centres.index),  # exact name
                       (stems["region_id"] + "|" + stems["stem"], stems.index)):                   # then a town in it
        by_key = pd.Series(index, index=key.to_numpy())
        host = host.fillna(wanted.map(by_key[~by_key.index.duplicated()]))
    at_centre = host.notna()
    rest = points.set_index("point_id")
    rep = mun.set_index("municipality_code")
    out = schools.copy()
    out["host_point"] = np.where(at_centre, points["point_id"].reindex(host.fillna(-1).astype(int)).to_numpy(),
                                 "O" + schools["region_id"].str[2:])
    out["lat"] = np.where(at_centre, points["lat"].reindex(host.fillna(-1).astype(int)).to_numpy(),
                          schools["region_id"].map(rep["lat"]).to_numpy())
    out["lon"] = np.where(at_centre, points["lon"].reindex(host.fillna(-1).astype(int)).to_numpy(),
                          schools["region_id"].map(rep["lon"]).to_numpy())
    out.loc[~out["host_point"].isin(rest.index), "host_point"] = None
    return out, {"at_population_centre": int(at_centre.sum()), "at_municipality_point": int((~at_centre).sum())}


def school_sites(placed: pd.DataFrame, points: pd.DataFrame, children_share: pd.Series) -> pd.DataFrame:
    """Existing DUO schools and candidates where the places fall short of the children, with capacity and cost."""
    existing = pd.DataFrame({
        "site_id": "primary_school-" + placed["code"], "ftype_id": "primary_school", "region_id": placed["region_id"],
        "name": placed["name"], "lat": placed["lat"], "lon": placed["lon"], "existing": True,
        "operating_cost": (FIXED_MEUR + PER_PUPIL_MEUR * placed["pupils"]).round(6),
        "opening_cost": OPENING_MEUR,
        "capacity": np.maximum(MIN_CAPACITY, np.ceil(HEADROOM * placed["pupils"])),
    })
    kids_at = np.ceil(points["population"] * points["region_id"].map(children_share).to_numpy(float))
    cap_at = existing.groupby(placed["host_point"].to_numpy())["capacity"].sum().reindex(points["point_id"]).fillna(0.0)
    deficit = kids_at.to_numpy() - cap_at.to_numpy()  # children without a place at their own point
    short = deficit > 0  # no school there, or fewer places than children
    free = points[short]
    kids = deficit[short]
    typical = float(placed["pupils"].median())  # a candidate is one site; its name says how many schools it stands for
    candidates = pd.DataFrame({
        "site_id": "primary_school-" + free["point_id"], "ftype_id": "primary_school", "region_id": free["region_id"],
        "name": [f"{n}: new places for {k:,.0f} children (about {max(1, round(k / typical)):,} school(s))"
                 for n, k in zip(free["name"], kids)],
        "lat": free["lat"], "lon": free["lon"], "existing": False,
        "operating_cost": (FIXED_MEUR + PER_PUPIL_MEUR * kids).round(6), "opening_cost": OPENING_MEUR,
        "capacity": np.maximum(MIN_CAPACITY, np.ceil(HEADROOM * kids)),
    })
    return pd.concat([existing, candidates], ignore_index=True)


def children_4_11(mun: pd.DataFrame) -> pd.Series:
    """Residents aged 4-11 per municipality: population × pct_age_0_14 × 8/15 (CBS KWB 2024 age shares)."""
    kids = np.round(mun["population"] * mun["pct_age_0_14"] / 100 * CHILDREN_4_11_OF_0_14).astype(np.int64)
    return pd.Series(kids.to_numpy(), index=mun["municipality_code"].to_numpy())

