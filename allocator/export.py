"""Tables for people: CSV (machine column names) and one Excel workbook with plain-word headers and units.

CSV keeps the stable snake_case names that ``regio evaluate`` reads back; the
workbook renames columns to words a planner reads (``plan`` → "Planned
spending (M€/yr)"), keeps units as written (M€, not "m€"), freezes the header
row, sizes the columns and gives numbers a format.  Cells that a spreadsheet
would execute as a formula (starting with = + - @ and not a number) are
prefixed with a quote.

CSV dialects: ``plain`` (comma, decimal point: what regio reads back) and
``nl`` (semicolon, decimal comma, UTF-8 with BOM: what Excel with Dutch regional
settings opens by double-click).
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
    "covered_persons": "Within norm (persons)", "covered_share": "Share within norm", "shortfall": "Shortfall Q (person-services)",
    "keeps_basic": "Keeps basic package (share)", "share": "Share of demand served",
    "welfare": "Broad welfare W (M€-eq/yr)", "mip_gap": "MIP gap", "status": "Status", "scenario": "Scenario",
    "extra_money": "Extra money (M€/yr)", "deearmarked_money": "De-earmarked money (M€/yr)",
    "sites_opened": "Sites opened", "sites_closed": "Sites closed", "gini_welfare": "Gini of welfare per inhabitant",
    "regions_below_minimum": "Regions below the minimum", "price_of_fairness": "Price of fairness",
    "baseline_meur": "Baseline total (M€/yr)", "plan_change_meur": "Change with extra money (M€/yr)",
    "redistribution_change_meur": "Change under redistribution (M€/yr)",
    "plan_change_per_inhabitant_eur": "Change with extra money (€/inhabitant)",
    "redistribution_change_per_inhabitant_eur": "Change under redistribution (€/inhabitant)",
    "province": "Province", "baseline_total_meur": "Baseline total incl. facilities (M€/yr)",
    "plan_total_meur": "Plan total incl. facilities (M€/yr)", "change_meur": "Change (M€/yr)",
    "change_per_inhabitant_eur": "Change per inhabitant (€/yr)", "programme_change_meur": "Programme change (M€/yr)",
    "facilities_change_meur": "Facilities change (M€/yr)", "people_short": "People short of a basic service (persons)",
}
# a solve folder's page sections drawn before it was written (allocator.reports.page.drawn_sections)
PAGE_SECTIONS = "page_sections.json"
DIALECTS = {"plain": {"sep": ",", "decimal": ".", "encoding": "utf-8"},
            "nl": {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"}}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(column: str) -> str:
    """A header a planner reads; units keep their case (M€, not m€)."""
    if column in LABELS:
        return LABELS[column]
    text = column.replace("_meur", " (M€/yr)").replace("_eur", " (€)").replace("_", " ")
    return text[:1].upper() + text[1:]


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Quote text cells a spreadsheet would run as a formula (CSV injection)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            codes, uniques = pd.factorize(out[col])  # names and ids repeat: each distinct text is looked at once
            text = pd.Series(uniques, dtype=object).astype("string")
            risky = text.str.startswith(FORMULA_START, na=False)
            if risky.any():  # a number such as -3 is not a formula; only the few candidates are parsed
                risky[risky] = pd.to_numeric(text[risky], errors="coerce").isna()
            if risky.any():
                s = out[col].astype("string")
                out[col] = s.where(~((codes >= 0) & risky.to_numpy()[codes]), "'" + s)
    return out


def unquote_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`safe_cells` on a table read back (text columns): ``'=x`` → ``=x``, so regio reads what it wrote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col].astype("string")
            quoted = s.str.startswith("'", na=False) & s.str[1:].str.startswith(FORMULA_START, na=False)
            if quoted.any():
                out[col] = s.where(~quoted, s.str[1:]).astype(object)
    return out


def csv_text(frame: pd.DataFrame, dialect: str = "plain") -> str:
    """``frame`` as CSV text in ``dialect``, its text cells made safe (:func:`safe_cells`)."""
    d = DIALECTS[dialect]
    return safe_cells(frame).to_csv(index=False, sep=d["sep"], decimal=d["decimal"])


def write_csv(frame: pd.DataFrame, path: Path, dialect: str = "plain", text: str | None = None) -> None:
    """``frame`` as CSV in ``dialect`` (``text``: its :func:`csv_text`, rendered before)."""
    path.write_text(csv_text(frame, dialect) if text is None else text, encoding=DIALECTS[dialect]["encoding"],
                    newline="")


def write_excel(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One workbook, a sheet per table: plain-word headers, frozen header row, widths, number formats."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in tables.items():
            if frame is None:
                continue
            sheet = name[:31]
            safe_cells(frame).rename(columns=plain).to_excel(xl, sheet_name=sheet, index=False)
            _dress(xl.sheets[sheet], frame)


def _dress(ws, frame: pd.DataFrame) -> None:
    """Freeze the header, size each column to its header and values, and format numbers."""
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    for n, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(n)
        values = [str(v) for v in frame[col].head(200).tolist()]  # str() of every cell, missing ones included
        width = max([len(plain(col))] + [len(v) for v in values])
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        if pd.api.types.is_float_dtype(frame[col]):
            fmt = "0.0%" if col.endswith("_share") or col in ("mip_gap", "price_of_fairness") else "#,##0.00"
        elif pd.api.types.is_integer_dtype(frame[col]):
            fmt = "#,##0"
        else:
            continue
        for cell in ws[letter][1:]:
            cell.number_format = fmt


DECIMALS = {"mip_gap": 6, "price_of_fairness": 4, "gini_welfare": 4, "theil_welfare": 5, "welfare": 2, "shortfall": 0,
            "people_short": 0, "solve_seconds": 1, "build_seconds": 1}


def fixed_point(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as fixed-point text for a printed table (never scientific notation, no "-0"): two decimals by
    default, more where a column needs them (:data:`DECIMALS`), thousands separated."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            digits = DECIMALS.get(col, 2)
            out[col] = [("—" if v != v else f"{v + 0.0:,.{digits}f}".replace("-0." + "0" * digits, "0." + "0" * digits)
                         if digits else f"{round(v) + 0:,d}") for v in out[col]]
    return out
