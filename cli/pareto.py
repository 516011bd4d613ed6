"""``regio pareto``: the W–Q front (augmented ε-constraint), its payoff table, on one or more worker processes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.output import check_target
from allocator.procedures.executors import executor
from allocator.progress import Points, enable
from regio_cli.common import emit_json, handle_input_errors, instance_argument, scenario_option
from regio_cli.users import run_options
from regio_cli.report import report_option, require_out
from regio_cli.validate import load

FRONT_CODE = ("allocator.procedures.pareto",)  # what the front's workers import as they start


@click.command()
@instance_argument
@scenario_option
@click.option("--points", type=click.IntRange(min=2, max=101), default=7, show_default=True,
              help="Grid values of the allowed shortfall, the two payoff extremes included.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each builds the model once).")
@click.option("--scheduler", help="Address of a running Dask scheduler to solve the points on (tcp://host:8786).")
@click.option("--mip-gap", type=float, help="Relative MIP gap at which HiGHS stops, per point.")
@report_option
@run_options
@handle_input_errors
def pareto(instance, scenario_file, points, workers, scheduler, mip_gap, with_report, time_limit, out, force, excel,
           csv_dialect, as_json):
    """The Pareto front between broad welfare W and the shortfall Q (augmented ε-constraint).

    Every reported point is Pareto optimal when its status is optimal; each carries W, Q, the price
    of fairness, the Gini of welfare per inhabitant, extra money used, status, gap and the checker's
    verdict.  Time limits (--time-limit) apply per solve.
    """
    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    solver = {k: v for k, v in (("time_limit", time_limit), ("mip_gap", mip_gap)) if v is not None}
    # the workers start first and import the front's code while this process does (nl, two workers: ~1 s sooner)
    with executor(workers, scheduler, here=True, preload=FRONT_CODE) as ex:
        from allocator.procedures.pareto import pareto_front
        from allocator.result_folders import write_pareto

        data = load(instance, scenario_file, {"solver": solver})
        enable(not as_json)
        with Points(points, "pareto") as bar:
            front = pareto_front(data, points=points, workers=workers, scheduler=scheduler, on_progress=bar, ex=ex)
    if as_json:
        emit_json(front.as_dict())
    else:
        _print_front(data, front)
    if out:
        write_pareto(out, data, front, force, excel, with_report, csv_dialect)
        if not as_json:
            click.echo(f"tables written to {out}/")
    sys.exit(front.status.exit_code)


def _print_front(data, front) -> None:
    sc = data.scenario
    click.echo(f"Pareto front on {data.instance.name}, scenario '{sc.name}' ({sc.shortfall_measure} shortfall, "
               f"hold-harmless {sc.hold_harmless}): {len(front.points)} point(s), {front.seconds:.1f} s "
               f"on {front.workers} worker(s), status {front.status.value}")
    click.echo(f"{'k':>3} {'welfare W':>12} {'shortfall Q':>12} {'people':>10} {'price of':>9} {'Gini':>7} {'extra':>7} "
               f"{'status':<21} {'gap':>8} {'seconds':>8}  check")
    click.echo(f"{'':>3} {'M€-eq/yr':>12} {'person-svc':>12} {'short':>10} {'fairness':>9} {'':>7} {'M€':>7}")
    for p in front.points.itertuples():
        pof = "—" if p.price_of_fairness != p.price_of_fairness else f"{p.price_of_fairness:.2%}"
        gap = "—" if p.mip_gap is None or p.mip_gap != p.mip_gap else f"{p.mip_gap:.3%}"
        click.echo(f"{p.k:>3} {p.welfare:>12,.2f} {p.shortfall:>12,.0f} {p.people_short:>10,.0f} {pof:>9} {p.gini_welfare:>7.4f} "
                   f"{p.extra_money:>7.1f} {p.status:<21} {gap:>8} {p.solve_seconds:>8.1f}  {p.check}")
    repeats = front.grid["outcome"].str.contains("not reported").sum()
    click.echo("shortfall Q counts person-services (a person short of two facility types counts twice); people short "
               "counts distinct persons short of a basic-package service")
    click.echo(f"grid: {len(front.grid)} values, {repeats} not reported (the same point as another, or dominated); "
               "payoff table:")
    for p in front.payoff.itertuples():
        click.echo(f"  {p.payoff:<20} W {p.welfare:,.2f}  Q {p.shortfall:,.0f}  {p.status}")
