"""``regio solve``: build, solve, check and report one scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.policy import Mode
from allocator.output import check_target, run_record, write_atomically
from allocator.status import EXIT_CHECK_FAILED, Status
from allocator.units import EUR_PER_MEUR
from regio_cli.common import (csv_option, emit_json, force_option, gap_option, handle_input_errors, instance_argument,
                        json_option, scenario_option, time_option)
from regio_cli.report import report_option, require_out
from regio_cli.validate import load


@click.command()
@instance_argument
@scenario_option
@click.option("--mode", type=click.Choice([m.value for m in Mode]), help="Override the scenario's mode.")
@click.option("--out", type=click.Path(file_okay=False), help="Write result tables (CSV) to this new folder.")
@force_option
@click.option("--excel", is_flag=True, help="Also write result.xlsx (plain-word headers) into --out.")
@time_option
@gap_option
@csv_option
@report_option
@json_option
@handle_input_errors
def solve(instance, scenario_file, mode, out, force, excel, time_limit, mip_gap, csv_dialect, with_report, as_json):
    """Solve a scenario: status, gap, W, Q, seconds, top changes; tables to --out."""
    from allocator.procedures.diagnose import explain_infeasible
    from allocator.procedures.modes import build, solve as run_mode

    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    overrides = {"mode": mode, "solver": {k: v for k, v in (("time_limit", time_limit), ("mip_gap", mip_gap)) if v is not None}}
    data = load(instance, scenario_file, overrides)
    run = run_mode(build(data))
    rep, sol = run.report, run.solution
    warnings = [*data.instance.warnings, *data.unreachable_warnings(), *run.warnings]
    diagnosis = explain_infeasible(data) if rep.status == Status.INFEASIBLE else None
    # what --json prints and the result folder's summary.json holds
    summary = {**(sol.headline() if sol else rep.as_dict()), "check": run.check.verdict() if run.check else None,
               "warnings": warnings}
    if as_json:
        payload = dict(summary)
        if diagnosis is not None:
            payload["blocked"] = diagnosis.unservable.to_dict("records")
            payload["diagnosis"] = diagnosis.as_dict()
        emit_json(payload)
    else:
        _print_summary(data, run, diagnosis, warnings)
    if sol is not None and out:
        record = run_record("solve", data)
        write_atomically(Path(out), force, lambda folder: sol.write(folder, excel=excel, run_record=record,
                                                                               csv_dialect=csv_dialect, summary=summary))
        if with_report:
            from allocator.reports.page import write_report  # altair loads only for a report

            write_report(Path(out))
        if not as_json:
            click.echo(f"tables written to {out}/" + (f" with report {out}/report.html" if with_report else ""))
    if sol is not None and not run.check.passed:
        sys.exit(EXIT_CHECK_FAILED)
    sys.exit(rep.status.exit_code)


def _fmt(x, spec=",.2f"):
    return "—" if x is None else format(x, spec)


def _print_summary(data, run, diagnosis, warnings) -> None:
    rep, sol = run.report, run.solution
    sc = data.scenario
    click.echo(f"Scenario '{sc.name}' on {data.instance.name}: mode {sc.mode}, hold-harmless {sc.hold_harmless}, "
               f"minimum service {sc.min_service}")
    click.echo(f"status      {rep.status.value}   (HiGHS: {rep.highs_status}; MIP gap {_fmt(rep.mip_gap, '.4%')}, "
               f"bound {_fmt(rep.bound)}, time limit {_fmt(rep.time_limit, 'g')} s)")
    click.echo(f"model       {rep.rows:,} rows, {rep.columns:,} columns, {rep.nonzeros:,} nonzeros, {rep.binaries:,} binaries")
    click.echo(f"seconds     build {rep.build_seconds:.2f}, solve {rep.solve_seconds:.2f}"
               + (f", extract {sol.extract_seconds:.2f}" if sol else ""))
    for w in warnings:
        click.echo(f"warning: {w}")
    if diagnosis is not None:
        click.echo("infeasible: the policy cannot be met. Why:")
        for line in diagnosis.lines():
            click.echo(f"  {line}")
        return
    if sol is None:
        click.echo("no solution available")
        return
    h = sol.headline()
    click.echo(f"welfare W   {sol.welfare:,.2f} M€-eq/yr (illustrative welfare values)   objective W − λ·Q {sol.objective:,.2f}")
    click.echo(f"shortfall Q {sol.shortfall:,.0f} person-services below the minimum (a person short of two facility "
               f"types counts twice): {sol.shortfall_unreachable:,.0f} out of reach of every site, "
               f"{sol.shortfall_by_choice:,.0f} left unserved at λ = €{sc.shortfall_price:,.0f} per person-service")
    click.echo(f"people      {sol.people_short:,.0f} people short of a basic-package service; worst region/type "
               f"{sol.shortfall_worst:.1%} below the minimum")
    click.echo(f"money       extra {h['extra_money']:,.1f} M€/yr, de-earmarked {h['deearmarked_money']:,.1f} M€/yr; "
               f"sites opened {h['sites_opened']}, closed {h['sites_closed']}; regions below minimum "
               f"{h['regions_below_minimum']}; regions worse off (municipal money, its facilities included) {h['regions_worse_off']}")
    t = sol.region_totals
    moved = (t["change_meur"].abs() + t["facilities_change_meur"].abs()) * EUR_PER_MEUR / t["population"]
    totals = t.assign(moved=moved).sort_values("moved", ascending=False).head(6)
    click.echo("largest changes per inhabitant (total = programme + facilities; region_totals.csv has every region):")
    for r in totals.itertuples():
        click.echo(f"  {r.name:<24} {r.change_per_inhabitant_eur:+8,.0f} €/inh  ({r.change_meur:+,.2f} M€/yr: "
                   f"programme {r.programme_change_meur:+,.2f}, facilities {r.facilities_change_meur:+,.2f})")
    fac = sol.facilities[sol.facilities["decision"].isin(["open", "close"])].groupby(["ftype_id", "decision"]).size()
    if len(fac):
        click.echo("facilities: " + "; ".join(f"{k} {d} {n}" for (k, d), n in fac.items()))
    ind = sol.indicators
    if ind:
        pof, mw = ind.get("price_of_fairness"), ind.get("marginal_welfare_per_meur")
        click.echo(f"indicators  Gini of welfare per inhabitant {ind['gini_welfare']:.4f} (Theil {ind['theil_welfare']:.4f}, "
                   f"{ind['theil_welfare_between_provinces'] / ind['theil_welfare']:.0%} between provinces); "
                   f"price of fairness {_fmt(pof, '.2%')}; one extra M€ adds {_fmt(mw, '.3f')} to the objective"
                   if ind.get("theil_welfare") else f"indicators  price of fairness {_fmt(pof, '.2%')}")
    click.echo(f"check       {'passed' if run.check.passed else 'FAILED'}")
    if not run.check.passed:
        for v in run.check.violations[:10]:
            click.echo(f"  {v}", err=True)
