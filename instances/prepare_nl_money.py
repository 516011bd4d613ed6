"""Real municipal money for ``instances/nl``: CBS Iv3 lasten per taakveld, the gemeentefonds, and the streams.

Read by :mod:`regio_instances.prepare_nl`; the sources and every choice are in ``instances/nl/README.md``.

* Spending need per municipality and domain  n_rd = Σ_{taakveld t → d} Iv3 lasten_rt  (2024 begroting by
  default; 2023 jaarrekening as the alternative), taakvelden mapped by :data:`TAAKVELDEN` (one row each,
  shipped as ``taakvelden.csv``).  ``general`` (administration, overhead, treasury, taxes, fee-funded
  sewerage/waste/cemeteries, land development) is a documented domain outside the optimisation;
  0.10/0.11 are bookkeeping and are left out of every total.
* Streams per domain d, paid by the municipality, summing exactly to n_d = Σ_r n_rd:
  ``earmarked_d`` = min(n_d, Iv3 baten on d's taakvelden): specific grants (SPUK, e.g. BUIG for income
  support) and other income tied to the tasks (fees, contributions), earmarked (θ = 0);
  the unearmarked rest n_d − earmarked_d is paid by the gemeentefonds (algemene uitkering + DU/IU, 2024,
  unearmarked by law, θ = 1) and own general income (OZB, dividends, reserves, θ = 1).  The fund F pays
  every euro of lasten alike (an estimate, labelled): the six domains get F · n_opt / n_all, spread over
  them in proportion to their unearmarked rest; ``own_d`` closes the gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

K_EUR_TO_MEUR = 1e-3
EUR_TO_MEUR = 1e-6
IV3_FILES = {"2024B": "iv3_2024_begroting.csv", "2023J": "iv3_2023_jaarrekening.csv"}
GF_FILES = {"2024B": ("GF_S2024_2024.csv", "GF_S2024_2024_SIUDU.csv"),
            "2023J": ("GF_S2024_2024.csv", "GF_S2024_2024_SIUDU.csv")}  # 2023 has no recomputed file: 2024's is used
OPTIMISED = ("care", "education", "housing", "accessibility", "safety", "regional_economy")
BOOKKEEPING = ("0.10", "0.11")

# taakveld code -> (domain, note); every code of the BBV list that occurs in Iv3 2023-2025
TAAKVELDEN: dict[str, tuple[str, str]] = {
    "0.1": ("general", "administration (bestuur)"), "0.2": ("general", "civil affairs (burgerzaken)"),
    "0.3": ("general", "other buildings and land"), "0.4": ("general", "overhead"),
    "0.5": ("general", "treasury"), "0.61": ("general", "property tax, dwellings (collection cost)"),
    "0.62": ("general", "property tax, non-dwellings"), "0.63": ("general", "parking tax"),
    "0.64": ("general", "other taxes"), "0.7": ("general", "general grants (income side)"),
    "0.8": ("general", "other income and expenses"), "0.9": ("general", "corporate tax"),
    "0.10": ("bookkeeping", "changes in reserves: not spending, left out of every total"),
    "0.11": ("bookkeeping", "result of the accounts: not spending, left out of every total"),
    "1.1": ("safety", "crisis management and fire brigade (veiligheidsregio)"),
    "1.2": ("safety", "public order and safety"),
    "2.1": ("accessibility", "roads and traffic"), "2.2": ("accessibility", "parking"),
    "2.3": ("accessibility", "recreational harbours"), "2.4": ("accessibility", "economic harbours and waterways"),
    "2.5": ("accessibility", "public transport"),
    "3.1": ("regional_economy", "economic development"),
    "3.2": ("general", "business-park land development (grondexploitatie): paid from land sales"),
    "3.3": ("regional_economy", "business desk and schemes"), "3.4": ("regional_economy", "economic promotion"),
    "4.1": ("education", "public primary education (municipal part)"),
    "4.2": ("education", "school buildings (onderwijshuisvesting)"),
    "4.3": ("education", "education policy, pupil transport"),
    "5.1": ("regional_economy", "sport policy: liveability and leisure, counted with the regional economy"),
    "5.2": ("regional_economy", "sports facilities: liveability and leisure"),
    "5.3": ("regional_economy", "culture: liveability and leisure"),
    "5.4": ("regional_economy", "museums: liveability and leisure"),
    "5.5": ("regional_economy", "cultural heritage: liveability and leisure"),
    "5.6": ("education", "media: the public libraries (the library sites' cost)"),
    "5.7": ("regional_economy", "public green and open-air recreation: liveability and leisure"),
    "6.1": ("care", "community and participation (social domain)"), "6.2": ("care", "neighbourhood teams"),
    "6.3": ("care", "income support (bijstand; mostly paid from the BUIG grant)"),
    "6.4": ("regional_economy", "sheltered employment (labour market)"),
    "6.5": ("regional_economy", "labour participation (labour market)"),
    "6.6": ("care", "Wmo provisions"),
}
# the social domain's lettered children all go to care
CARE_PREFIXES = ("6.71", "6.72", "6.73", "6.74", "6.81", "6.82")
TAAKVELDEN_7_8 = {
    "7.1": ("care", "public health (GGD)"),
    "7.2": ("general", "sewerage: paid from the sewerage charge"), "7.3": ("general", "waste: paid from the waste charge"),
    "7.4": ("housing", "environmental management: the living environment"),
    "7.5": ("general", "cemeteries and crematoria: fee-funded"),
    "8.1": ("housing", "spatial planning and living environment"),
    "8.2": ("general", "land development, not business parks (grondexploitatie): paid from land sales"),
    "8.3": ("housing", "housing and building"),
}
TAAKVELDEN.update(TAAKVELDEN_7_8)

def taakveld_domain(code: str) -> tuple[str, str]:
    if code in TAAKVELDEN:
        return TAAKVELDEN[code]
    if code.startswith(CARE_PREFIXES):
        return "care", "social domain: Wmo, youth care, sheltered housing (maatwerk and escalated care)"
    raise ValueError(f"taakveld {code} has no domain in TAAKVELDEN; add it")


def read_iv3(src: Path, year: str, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Long table region_id, code, name, lasten_meur, baten_meur (342 municipalities; 'Nederland' dropped)."""
    iv = pd.read_csv(src / "real" / "iv3" / IV3_FILES[year], sep=";")
    iv = iv[iv["Gemeenten"] != "Nederland"]
    codes = crosswalk.set_index("name_in_source")["municipality_code"]
    missing = sorted(set(iv["Gemeenten"]) - set(codes.index))
    if missing:
        raise ValueError(f"Iv3 names without a GM code in the crosswalk: {missing[:5]}")
    return pd.DataFrame({
        "region_id": iv["Gemeenten"].map(codes).to_numpy(),
        "code": iv["Taakveld"].str.split(" ", n=1).str[0].to_numpy(),
        "name": iv["Taakveld"].str.split(" ", n=1).str[1].str.rstrip(".").str.strip().to_numpy(),
        "lasten_meur": iv["Lasten"].fillna(0.0).to_numpy(float) * K_EUR_TO_MEUR,
        "baten_meur": iv["Baten"].fillna(0.0).to_numpy(float) * K_EUR_TO_MEUR,
    })


def taakveld_table(iv3: pd.DataFrame) -> pd.DataFrame:
    """One row per taakveld code: code, name, domain, note (the shipped mapping)."""
    tv = iv3[["code", "name"]].drop_duplicates("code")  # in the order of the BBV list, as CBS gives it
    mapped = [taakveld_domain(c) for c in tv["code"]]
    return tv.assign(domain=[m[0] for m in mapped], note=[m[1] for m in mapped]).reset_index(drop=True)


def need_by_domain(iv3: pd.DataFrame, taakvelden: pd.DataFrame) -> pd.DataFrame:
    """region × domain (the six, general; bookkeeping left out): Iv3 lasten and baten, M€."""
    dom = iv3["code"].map(taakvelden.set_index("code")["domain"])
    keep = dom != "bookkeeping"
    return iv3[keep].groupby([iv3["region_id"][keep], dom[keep].rename("domain_id")])[["lasten_meur", "baten_meur"]].sum()


def parse_dutch_number(text: pd.Series) -> pd.Series:
    """'4.375,00', '4638,946433', '315.018', ' - ' and '' (SOURCES.md B2's rule)."""
    t = text.astype(str).str.strip()
    comma = t.str.contains(",", regex=False)
    t = t.where(~comma, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    dotted = t.str.fullmatch(r"-?\d{1,3}(\.\d{3})+")
    t = t.where(~dotted, t.str.replace(".", "", regex=False))
    t = t.where(~t.isin(["-", "", "nan"]), "0")
    return pd.to_numeric(t, errors="raise")


def read_gemeentefonds(src: Path, year: str, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(algemene uitkering per municipality × cluster, DU/IU per municipality × uitkering), both in M€."""
    au_file, siudu_file = GF_FILES[year]
    au = pd.read_csv(src / "real" / "gemeentefonds" / au_file, sep=";", index_col=0)
    au = au[au["Gemeenten"] != "Nederland"]
    au.index = au["Gemeenten"].map(crosswalk.set_index("name_in_source")["municipality_code"]).to_numpy()
    au = au.drop(columns=["Gemeenten", "Totaal"]).astype(float) * EUR_TO_MEUR  # clusters; eigen middelen negative
    du = pd.read_csv(src / "real" / "gemeentefonds" / siudu_file, sep="\t", dtype=str)
    du.index = "GM" + du["CBS"].str.strip().str.zfill(4)
    du = du.drop(columns=["CBS", "Naam", "Prov"]).apply(parse_dutch_number) * EUR_TO_MEUR
    return au, du


def fund_by_municipality(au: pd.DataFrame, du: pd.DataFrame) -> pd.DataFrame:
    """region × (algemene_uitkering_meur, du_iu_meur): the gemeentefonds per municipality, M€."""
    return pd.DataFrame({"algemene_uitkering_meur": au.sum(axis=1), "du_iu_meur": du.sum(axis=1).reindex(au.index)})


def municipal_streams(need: pd.DataFrame, fund_total: float) -> pd.DataFrame:
    """The municipality's streams per optimised domain, summing exactly to its Iv3 lasten there (module docstring)."""
    total = need.groupby(level="domain_id").sum()
    share_opt = float(total.loc[list(OPTIMISED), "lasten_meur"].sum() / total["lasten_meur"].sum())
    earmarked = np.minimum(total["baten_meur"], total["lasten_meur"]).reindex(OPTIMISED)
    rest = total["lasten_meur"].reindex(OPTIMISED) - earmarked
    fund = fund_total * share_opt * rest / rest.sum()
    rows = []
    for d in OPTIMISED:
        rows += [
            {"stream_id": f"earmarked_{d}", "name": f"Specific grants (SPUK) and other income tied to {d} tasks (Iv3 baten)",
             "domain_id": d, "amount": round(float(earmarked[d]), 6), "deearmark_share": 0.0, "payer": "municipality"},
            {"stream_id": f"gemeentefonds_{d}", "name": f"Gemeentefonds (algemene uitkering, DU/IU) spent on {d} "
             "(estimated: pro rata)", "domain_id": d, "amount": round(float(fund[d]), 6), "deearmark_share": 1.0,
             "payer": "municipality"},
            {"stream_id": f"own_{d}", "name": f"Own general income spent on {d} (OZB, dividends, reserves; the rest)",
             "domain_id": d, "amount": round(float(rest[d] - fund[d]), 6) + 1e-6, "deearmark_share": 1.0,
             "payer": "municipality"},
        ]
    return pd.DataFrame(rows)
