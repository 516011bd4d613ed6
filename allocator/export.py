"""Tables for people: CSV (machine column names) and one Excel workbook with plain-word headers and units.

CSV keeps the stable snake_case names that ``regio evaluate`` reads back; the
workbook renames columns to words a planner reads (``plan`` → "Planned
spending (M€/yr)").  Cells that a spreadsheet would execute as a formula
(starting with = + - @ and not a number) are prefixed with a quote.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

LABELS = {
    "region_id": "Region code", "name": "Name", "domain_id": "Domain", "stream_id": "Budget stream",
    "site_id": "Site", "ftype_id": "Facility type", "point_id": "Place (demand point)",
    "baseline": "Baseline spending (M€/yr)", "plan": "Planned spending (M€/yr)", "change": "Change (M€/yr)",
    "plan_per_capita_eur": "Planned spending per inhabitant (€/yr)", "change_per_capita_eur": "Change per inhabitant (€/yr)",
    "amount": "Amount (M€/yr)", "deearmarked": "Spent outside its own domain", "extra": "Extra money (M€/yr)",
    "existing": "Open today", "open": "Open in plan", "decision": "Decision", "covered": "Covered share",
    "population": "Population (persons)", "required": "Required within norm (persons)",
    "covered_persons": "Within norm (persons)", "covered_share": "Share within norm", "shortfall": "Below minimum (persons)",
    "keeps_basic": "Keeps basic package (share)", "share": "Share of demand served",
    "welfare": "Broad welfare W (M€-eq/yr)", "mip_gap": "MIP gap", "status": "Status", "scenario": "Scenario",
    "extra_money": "Extra money (M€/yr)", "deearmarked_money": "De-earmarked money (M€/yr)",
    "sites_opened": "Sites opened", "sites_closed": "Sites closed", "gini_welfare": "Gini of welfare per inhabitant",
    "regions_below_minimum": "Regions below the minimum", "price_of_fairness": "Price of fairness",
    "baseline_meur": "Baseline total (M€/yr)", "plan_change_meur": "Change with extra money (M€/yr)",
    "redistribution_change_meur": "Change under redistribution (M€/yr)",
    "plan_change_per_inhabitant_eur": "Change with extra money (€/inhabitant)",
    "redistribution_change_per_inhabitant_eur": "Change under redistribution (€/inhabitant)",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(column: str) -> str:
    return LABELS.get(column, column.replace("_meur", " (M€/yr)").replace("_eur", " (€)").replace("_", " ").capitalize())


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Quote text cells a spreadsheet would run as a formula (CSV injection)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype("string")
            risky = s.str.startswith(FORMULA_START, na=False) & pd.to_numeric(s, errors="coerce").isna()
            if risky.any():
                out[col] = s.where(~risky, "'" + s)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    safe_cells(frame).to_csv(path, index=False)


def write_excel(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One workbook, a sheet per table, headers in plain words."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in tables.items():
            if frame is None:
                continue
            safe_cells(frame).rename(columns=plain).to_excel(xl, sheet_name=name[:31], index=False)
