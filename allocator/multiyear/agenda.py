"""Opportunity agendas (kansenagenda's): the workbooks regions fill, read back with errors that name the cell.

An agenda workbook has a sheet ``projects`` (one row per project) and optionally ``priorities`` (the
region's domain multipliers on its welfare curves, as the instance's ``priorities`` table).  Headers
may carry their unit in brackets ("cost_per_year (M€/yr)"); the template writes them so.  A project
belongs to one region (a municipality code) or to the regions carrying a tag (``npvr:twente``), runs
``duration`` years from its start year at ``cost_per_year`` (paid by the municipal account in its
domain, spread over its regions by population), and yields ``welfare_per_year`` (M€-equivalent, before
the equity weight) in every year after it is done.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

import pandas as pd

from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.tables import TABLES, Column, Table, parse_table

AGENDA_LIMIT = 16 * 2**20  # bytes: an agenda workbook is a few kB
EXAMPLE_ID = "VOORBEELD"

PROJECTS = Table(
    "projects",
    (
        Column("project_id", "id", "unique code of the project", unique=True),
        Column("name", "text", "name a planner recognises"),
        Column("region", "id", "municipality code (GM0014) or region tag (npvr:twente) the project is for"),
        Column("domain_id", "id", "domain that pays and benefits (care, education, ...)"),
        Column("cost_per_year", "float", "M€ per year while the project runs", check="nonnegative"),
        Column("duration", "int", "years the project runs", check="positive"),
        Column("earliest_start", "int", "first calendar year the project may start", check="positive"),
        Column("welfare_per_year", "float", "broad-welfare gain, M€-equivalent per year once done", check="nonnegative"),
    ),
    key=("project_id",),
)
UNITS = {"cost_per_year": "M€/yr", "duration": "years", "earliest_start": "year", "welfare_per_year": "M€-eq/yr",
         "weight": "multiplier"}
PROJECT_COLUMNS = [c.name for c in PROJECTS.columns]


def _strip_units(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: re.sub(r"\s*\(.*\)\s*$", "", str(c)).strip())


def agenda_paths(patterns: list[str], home: Path | None = None) -> list[Path]:
    """The files named by ``patterns`` (globs allowed; relative to ``home`` when given), sorted, each once."""
    out: list[Path] = []
    for pattern in patterns:
        full = str(Path(home) / pattern) if home is not None and not Path(pattern).is_absolute() else pattern
        hits = sorted(glob.glob(full)) if any(ch in pattern for ch in "*?[") else [full]
        if not hits:
            raise InputError(InputIssue(full, "no kansenagenda workbook matches this pattern"))
        out.extend(Path(h) for h in hits if Path(h) not in out)
    return out


def read_agendas(paths: list[Path], instance) -> tuple[pd.DataFrame, pd.Series | None]:
    """(projects, priorities) from every workbook, checked against the instance; issues name workbook, sheet,
    row and column.  ``projects`` has :data:`PROJECT_COLUMNS` and ``agenda`` (the workbook it came from)."""
    issues = IssueCollector()
    projects, priorities = [], []
    regions, domains = set(instance.regions.index), set(instance.domains.index)
    tags = _tags(instance.regions)
    for path in paths:
        sheets = _sheets(path, issues)
        if sheets is None:
            continue
        label = f"{path} [sheet projects]"
        if "projects" not in sheets:
            issues.add(f"{path}", f"missing sheet 'projects'; sheets found: {sorted(sheets)}")
            continue
        raw = _strip_units(sheets["projects"]).dropna(how="all")
        raw = raw[~(raw.astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1)]
        p = parse_table(raw, PROJECTS, label, issues)
        rows = range(2, len(p) + 2)
        for r, (pid, region, domain) in zip(rows, zip(p.get("project_id", []), p.get("region", []), p.get("domain_id", []))):
            if pid is not None and str(pid).upper().startswith(EXAMPLE_ID):
                issues.add(label, "the template's example row is still there; replace it with your projects or delete it",
                           row=r, column="project_id")
            if region is not None and region not in regions and region not in tags:
                issues.add(label, f"unknown region '{region}': neither a municipality code nor a region tag of the "
                           "instance", row=r, column="region")
            if domain is not None and domain not in domains:
                issues.add(label, f"unknown domain '{domain}'; the instance's domains are {sorted(domains)}", row=r,
                           column="domain_id")
        projects.append(p.assign(agenda=str(path), row=list(rows)))
        if "priorities" in sheets:
            plabel = f"{path} [sheet priorities]"
            q = parse_table(_strip_units(sheets["priorities"]).dropna(how="all"), TABLES["priorities"], plabel, issues)
            for r, (region, domain) in zip(range(2, len(q) + 2), zip(q.get("region_id", []), q.get("domain_id", []))):
                if region is not None and region not in regions:
                    issues.add(plabel, f"unknown municipality code '{region}'", row=r, column="region_id")
                if domain is not None and domain not in domains:
                    issues.add(plabel, f"unknown domain '{domain}'", row=r, column="domain_id")
            priorities.append(q.assign(agenda=str(path), row=range(2, len(q) + 2)))
    issues.raise_if_any()
    table = pd.concat(projects, ignore_index=True) if projects else pd.DataFrame(columns=[*PROJECT_COLUMNS, "agenda", "row"])
    dup = table[table["project_id"].duplicated(keep="first")]
    for _, row in dup.iterrows():
        first = table[table["project_id"] == row["project_id"]].iloc[0]
        issues.add(f"{row['agenda']} [sheet projects]", f"project_id '{row['project_id']}' is also in {first['agenda']}, "
                   f"row {first['row']}; ids must be unique over all agendas", row=int(row["row"]), column="project_id")
    prio = None
    if priorities:
        q = pd.concat(priorities, ignore_index=True)
        dup = q[q.duplicated(["region_id", "domain_id"], keep="first")]
        for _, row in dup.iterrows():
            issues.add(f"{row['agenda']} [sheet priorities]", f"priority for ({row['region_id']}, {row['domain_id']}) is "
                       "given twice over the agendas", row=int(row["row"]), column="region_id")
        prio = q.set_index(["region_id", "domain_id"])["weight"]
    issues.raise_if_any()
    for col in ("duration", "earliest_start"):
        table[col] = table[col].astype(int)
    return table.drop(columns="row"), prio


def _sheets(path: Path, issues: IssueCollector) -> dict | None:
    if not path.is_file():
        issues.add(str(path), "missing kansenagenda workbook (or not a regular file)")
        return None
    if path.stat().st_size > AGENDA_LIMIT:
        issues.add(str(path), f"the workbook is {path.stat().st_size:,} bytes; at most {AGENDA_LIMIT:,} are read")
        return None
    try:
        return pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as err:  # openpyxl raises many types for a damaged or non-Excel file
        issues.add(str(path), f"cannot read as an Excel workbook (.xlsx): {err}")
        return None


def _tags(regions: pd.DataFrame) -> set[str]:
    if "tags" not in regions:
        return set()
    return {x.strip() for t in regions["tags"].dropna() for x in str(t).split(";") if x.strip()}


def project_regions(projects: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """(project_id, region_id, share): the regions a project serves, its cost split by population share."""
    rows = []
    tags = regions["tags"].fillna("").map(lambda t: {x.strip() for x in str(t).split(";")}) if "tags" in regions else None
    for pid, region in zip(projects["project_id"], projects["region"]):
        members = [region] if region in regions.index else list(regions.index[tags.map(lambda t, g=region: g in t)])
        pop = regions.loc[members, "population"].astype(float)
        rows.extend((pid, r, float(v)) for r, v in (pop / pop.sum()).items())
    return pd.DataFrame(rows, columns=["project_id", "region_id", "share"])


def write_template(path: Path, instance) -> Path:
    """An agenda workbook a region fills: projects and priorities sheets (headers with units, one example row,
    drop-down lists for domains and municipality codes), a sheet of the valid codes and one of instructions."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    lists = wb.active
    lists.title = "lijsten"
    regions = instance.regions.sort_values("name")
    domains = list(instance.domains.index)
    lists.append(["domain_id", "domain name", "municipality code", "municipality", "region tag",
                  "region (code or tag)"])
    tags = sorted(_tags(instance.regions))
    either = [*regions.index, *tags]
    for n in range(max(len(domains), len(either))):
        lists.append([domains[n] if n < len(domains) else None,
                      instance.domains["name"].iloc[n] if n < len(domains) else None,
                      regions.index[n] if n < len(regions) else None,
                      regions["name"].iloc[n] if n < len(regions) else None,
                      tags[n] if n < len(tags) else None,
                      either[n] if n < len(either) else None])
    bold, example = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")

    def sheet(title, table, example_row, lists_for):
        ws = wb.create_sheet(title)
        ws.append([f"{c.name} ({UNITS[c.name]})" if c.name in UNITS else c.name for c in table.columns])
        for cell, col in zip(ws[1], table.columns):
            cell.font = bold
            cell.comment = Comment(col.help, "regio")
        ws.append(example_row)
        for cell in ws[2]:
            cell.fill = example
        ws.freeze_panes = "A2"
        for n, col in enumerate(table.columns):
            ws.column_dimensions[chr(65 + n)].width = max(14, len(ws.cell(1, n + 1).value) + 2)
            if col.name in lists_for:
                dv = DataValidation(type="list", formula1=lists_for[col.name], allow_blank=False, showErrorMessage=True,
                                    errorTitle="Unknown code", error=f"Choose a value from the sheet 'lijsten' ({col.name}).")
                ws.add_data_validation(dv)
                dv.add(f"{chr(65 + n)}2:{chr(65 + n)}500")
        return ws

    n_dom, n_reg, n_either = len(domains) + 1, len(regions) + 1, len(either) + 1
    first = regions.index[0]
    sheet("projects", PROJECTS, [f"{EXAMPLE_ID}-1", "Voorbeeld: regionale zorghub (vervang of verwijder deze rij)", first,
                                 domains[0], 1.5, 3, instance.manifest.year + 2, 0.8],
          {"domain_id": f"lijsten!$A$2:$A${n_dom}", "region": f"lijsten!$F$2:$F${n_either}"})
    sheet("priorities", TABLES["priorities"], [first, domains[0], 1.2],
          {"region_id": f"lijsten!$C$2:$C${n_reg}", "domain_id": f"lijsten!$A$2:$A${n_dom}"})
    help_ = wb.create_sheet("uitleg", 0)
    for line in (
        ["Kansenagenda — regio (opportunity agenda template)"],
        [],
        ["projects", "One row per project. region: a municipality code (column C of 'lijsten') or a region tag "
         "(column E, e.g. npvr:twente) for a project of several municipalities. Money in M€ per year (2,5 = €2.5 million)."],
        ["", "cost_per_year is paid from the municipal budget of the domain while the project runs (duration years from "
         "its start); welfare_per_year counts every year after it is done. regio chooses the start year (or no start)."],
        ["priorities", "Optional: the region's own weight per domain (1 = as every region; 1,5 = this domain matters 50 % "
         "more here). Empty rows are ignored."],
        ["", "The yellow row is an example: replace it or delete it (regio refuses a workbook that still has it)."],
        ["Submit", "Send the filled workbook to the programme team; they list it under 'agendas' in the scenario "
         "(regio programme -s scenario.toml) and regio checks every cell, naming sheet, row and column of any error."],
    ):
        help_.append(line)
    help_["A1"].font = Font(bold=True, size=14)
    help_.column_dimensions["A"].width = 14
    help_.column_dimensions["B"].width = 120
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    wb.save(partial)
    partial.replace(path)  # nothing half-written at ``path``
    return path
