"""Result folders of the users' questions: tables (CSV, optionally one Excel workbook), the resolved
scenario, ``run.json`` and ``summary.json``, written atomically (a folder appears whole or not at all).

The command line and the web app write the same folders through these functions, so ``regio report``
reads either.
"""

from __future__ import annotations

import json
from pathlib import Path

from allocator.data import InstanceData
from allocator.export import write_csv, write_excel
from allocator.output import run_record, write_atomically
from allocator.procedures.extra_budget import ExtraBudgetResult
from allocator.procedures.pareto import Front


def write_folder(out, force: bool, excel: bool, tables: dict, extra_files: dict | None = None, with_report: bool = False,
                 subfolders: dict | None = None, csv_dialect: str = "plain") -> None:
    """Tables (CSV, optional Excel) and extra files into ``out`` atomically, ``subfolders`` ({name: tables})
    beside them; then the report if asked."""
    def write_tables(folder: Path, frames: dict) -> None:
        for name, frame in frames.items():
            if frame is not None:
                write_csv(frame, folder / f"{name}.csv", csv_dialect)
        if excel:
            write_excel(frames, folder / "tables.xlsx")

    def writer(folder: Path) -> None:
        write_tables(folder, tables)
        for sub, frames in (subfolders or {}).items():
            (folder / sub).mkdir()
            write_tables(folder / sub, frames)
        for name, text in (extra_files or {}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")

    write_atomically(Path(out), force, writer)
    if with_report:
        from allocator.reports.page import write_report  # altair loads only for a report

        write_report(Path(out))


def write_extra_budget(out, data: InstanceData, res: ExtraBudgetResult, force: bool = False, excel: bool = False,
                       with_report: bool = False, csv_dialect: str = "plain") -> None:
    """The plan at the least extra budget, its region effects, the blocked pairs, and the redistribution
    contrast in ``redistribution/``."""
    tables = {**res.plan.tables(), "region_effects": res.region_effects, "blocked": res.blocked}
    record = run_record("extra-budget", data, summary=res.as_dict(), extra_budget=res.extra_budget)
    files = {"scenario.toml": data.scenario.to_toml(), "run.json": record,
             "summary.json": json.dumps(res.as_dict(), indent=2, default=float)}
    subfolders = {"redistribution": res.contrast.tables()} if res.contrast is not None else {}
    write_folder(out, force, excel, tables, files, with_report, subfolders, csv_dialect)


def write_pareto(out, data: InstanceData, front: Front, force: bool = False, excel: bool = False,
                 with_report: bool = False, csv_dialect: str = "plain") -> None:
    """The points, each point's site decisions, the payoff table and the ε grid."""
    tables = {"points": front.table(), "point_sites": front.point_sites(),
              "payoff_table": front.payoff.drop(columns=["site_changes"], errors="ignore"), "grid": front.grid}
    write_folder(out, force, excel, tables, {"scenario.toml": data.scenario.to_toml(), "run.json": run_record("pareto", data),
                                             "pareto.json": json.dumps(front.as_dict(), indent=2, default=str)},
                 with_report, csv_dialect=csv_dialect)
