"""``regio report``: a self-contained HTML page (and PNGs) of a result folder; ``--report`` on other commands."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.errors import InputError, InputIssue
from regio_cli.common import handle_input_errors

report_option = click.option("--report", "with_report", is_flag=True,
                             help="Also write report.html (maps, charts, headline) into --out.")


def require_out(with_report: bool, out) -> None:
    if with_report and not out:
        raise InputError(InputIssue("--report", "needs --out: the report is written into the result folder"))


@click.command()
@click.argument("result_dir", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="HTML file to write (default RESULT_DIR/report.html).")
@click.option("--png", is_flag=True, help="Also write one PNG per map and chart into <out>_png/ (for a memo).")
@click.option("--instance", help="The instance, if the result folder does not record it (run.json).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@handle_input_errors
def report(result_dir, out, png, instance, force):
    """Write a self-contained HTML report of a result folder (solve, extra-budget, pareto or compare --out).

    It opens offline: maps of the regions (change in spending per inhabitant, coverage per facility
    type, shortfall, broad-welfare weight), facility decisions, money flows, the Pareto front or the
    scenarios side by side, the headline numbers and the resolved scenario.
    """
    if out and (Path(out).exists() or Path(out).is_symlink()) and not force:
        raise InputError(InputIssue(out, "exists; regio does not overwrite a file it did not name itself: use --force "
                                         "to replace it, or another --out"))
    if out and Path(out).is_symlink():
        raise InputError(InputIssue(out, "is a symbolic link; give the report's own path"))
    from allocator.reports.page import write_report  # altair loads only for a report

    path = write_report(Path(result_dir), Path(out) if out else None, png, instance)
    click.echo(f"report written to {path}" + (f" (PNGs in {path.with_name(path.stem + '_png')}/)" if png else ""))
