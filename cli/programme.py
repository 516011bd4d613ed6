"""``regio programme``, ``regio monitor`` and ``regio template kansenagenda``: the multi-year programme commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from allocator.output import check_target
from allocator.status import EXIT_CHECK_FAILED
from regio_cli.common import (emit_json, force_option, gap_option, handle_input_errors, instance_argument, json_option,
                        scenario_option, time_option)
from regio_cli.report import report_option, require_out
from regio_cli.validate import load

if TYPE_CHECKING:
    from allocator.multiyear.run import ProgrammeResult


@click.command()
@instance_argument
@scenario_option
@click.option("--years", default="2026-2030", show_default=True, help="Calendar years of the programme, FIRST-LAST.")
@click.option("--out", type=click.Path(file_okay=False), help="Write the programme's tables to this new folder.")
@force_option
@time_option
@gap_option
@report_option
@json_option
@handle_input_errors
def programme(instance, scenario_file, years, out, force, time_limit, mip_gap, with_report, as_json):
    """Plan a multi-year programme: spending, sites and agenda projects per year, one model over the horizon.

    Streams grow and de-earmarking phases in as the scenario's [programme] table says; closures are
    final, new sites stay open at least their minimum years, opening costs fall in the opening year,
    hold-harmless holds in every year, and W is discounted.  The regions' kansenagenda workbooks
    (scenario 'agendas') add projects regio may start.
    """
    from allocator.multiyear.run import run_programme

    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    data = load(instance, scenario_file, {"solver": _solver(time_limit, mip_gap)})
    result = run_programme(data, years)
    _finish(result, out, force, with_report, as_json)


def _solver(time_limit, mip_gap) -> dict:
    return {k: v for k, v in (("time_limit", time_limit), ("mip_gap", mip_gap)) if v is not None}


def _finish(result: ProgrammeResult, out, force, with_report, as_json) -> None:
    if as_json:
        emit_json(result.summary())
    else:
        _print(result)
    if result.solution is not None and out:
        if with_report:
            result.report(out, force=force)
        else:
            result.to_folder(out, force=force)
        if not as_json:
            click.echo(f"tables written to {out}/" + (f" with report {out}/report.html" if with_report else ""))
    if result.solution is not None and not result.check_result.passed:
        sys.exit(EXIT_CHECK_FAILED)
    sys.exit(result.run.report.status.exit_code)


def _print(result: ProgrammeResult) -> None:
    h, rep, sol = result.run.horizon, result.run.report, result.solution
    sc = h.data.scenario
    click.echo(f"{'Monitoring re-plan' if result.kind == 'monitor' else 'Programme'} {h.years[0]}-{h.years[-1]} "
               f"('{sc.name}' on {h.data.instance.name}): hold-harmless {sc.hold_harmless} in every year, discount "
               f"rate {sc.programme.discount_rate:.2%}, {len(h.projects)} agenda project(s)")
    gap = "—" if rep.mip_gap is None else f"{rep.mip_gap:.4%}"
    click.echo(f"status      {rep.status.value}   (HiGHS: {rep.highs_status}; MIP gap {gap} of the whole programme, "
               f"time limit {rep.time_limit if rep.time_limit is not None else '—'} s)")
    click.echo(f"model       {rep.rows:,} rows, {rep.columns:,} columns, {rep.binaries:,} binaries; seconds build "
               f"{rep.build_seconds:.1f}, solve {rep.solve_seconds:.1f}")
    if sol is None:
        click.echo("no solution available")
        return
    click.echo(f"welfare W   {sol.welfare:,.2f} M€-eq, discounted over the years (illustrative welfare values)")
    click.echo(f"shortfall Q {sol.shortfall:,.0f} person-service-years below the minimum; people short of a basic "
               f"service {sol.people_short:,.0f} person-years")
    click.echo("year   W (M€-eq)   Q (person-services)   people short   extra M€   spending M€   sites open   projects")
    for y in sol.year_rows():
        click.echo(f"{y['year']}  {y['welfare']:>10,.1f}   {y['shortfall']:>19,.0f}   {y['people_short']:>12,.0f}   "
                   f"{y['extra_money']:>8,.1f}   {y['spending']:>11,.1f}   {y['sites_open']:>10,}   {y['projects_running']:>8}")
    started = sol.projects.dropna(subset=["start_year"])
    if len(started):
        click.echo("agenda projects started: " + "; ".join(f"{r.name} ({int(r.start_year)})" for r in started.itertuples()))
    for d in result.deviations[:10]:
        click.echo(f"deviation   {d}")
    if len(result.deviations) > 10:
        click.echo(f"            ... and {len(result.deviations) - 10} more (summary.json lists them all)")
    click.echo(f"check       {'passed' if result.check_result.passed else 'FAILED'}")
    if not result.check_result.passed:
        for v in result.check_result.violations[:10]:
            click.echo(f"  {v}", err=True)


@click.command()
@click.option("--programme", "programme_dir", required=True, type=click.Path(file_okay=False),
              help="The programme's result folder (regio programme --out).")
@click.option("--realised", "realised_dir", required=True, type=click.Path(file_okay=False),
              help="What happened, in the programme's own format (allocation_by_year.csv, facilities_by_year.csv; "
                   "optional projects.csv and streams_by_year.csv).")
@click.option("--from-year", type=int, required=True, help="First year to re-plan; the years before it are fixed.")
@click.option("--out", type=click.Path(file_okay=False), help="Write the re-plan and the comparison to this new folder.")
@force_option
@time_option
@report_option
@json_option
@handle_input_errors
def monitor(programme_dir, realised_dir, from_year, out, force, time_limit, with_report, as_json):
    """Monitor a programme: fix what was realised before --from-year, re-plan the rest, compare with the plan.

    The output shows plan versus realised per region and year, the deviations (e.g. a realised year
    that broke hold-harmless) and what the deviation costs in W and Q over the whole horizon.
    """
    from allocator.multiyear.monitor import monitor as run_monitor

    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    result = run_monitor(Path(programme_dir), Path(realised_dir), from_year, solver=_solver(time_limit, None))
    _finish(result, out, force, with_report, as_json)


@click.group()
def template() -> None:
    """Write templates a region fills in."""


@template.command("kansenagenda")
@instance_argument
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The Excel workbook to write (.xlsx).")
@force_option
@handle_input_errors
def kansenagenda(instance, out, force):
    """An opportunity-agenda workbook (projects, priorities) with the instance's domains and municipalities."""
    from allocator.errors import InputError, InputIssue
    from allocator.instance import load_instance
    from allocator.multiyear.agenda import write_template

    path = Path(out)
    if path.exists() and not force:
        raise InputError(InputIssue(str(path), "exists; use --force to replace it"))
    write_template(path, load_instance(instance))
    click.echo(f"kansenagenda template written to {path}: fill the sheet 'projects' (and 'priorities'), then name it "
               "under 'agendas' in a scenario")
