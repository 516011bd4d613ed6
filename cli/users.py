"""The three users' commands: ``extra-budget`` (VNG), ``compare`` (planner), ``evaluate`` (regiotoets)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from allocator.output import check_target, run_record
from allocator.status import EXIT_INFEASIBLE, EXIT_NO_SOLUTION, Status
from regio_cli.common import (ScenarioChoice, csv_option, emit_json, handle_input_errors, instance_argument,
                        force_option, json_option, scenario_option, set_option, time_option)
from regio_cli.report import report_option, require_out
from regio_cli.validate import load

out_option = click.option("--out", type=click.Path(file_okay=False), help="Write the tables (CSV) to this new folder.")
excel_option = click.option("--excel", is_flag=True, help="Also write one Excel workbook (plain-word headers).")


def run_options(fn):
    """--time-limit, --out, --force, --excel, --csv, --json: what every users' command takes."""
    for option in (json_option, csv_option, excel_option, force_option, out_option, time_option):
        fn = option(fn)
    return fn


@click.command("extra-budget")
@instance_argument
@scenario_option
@click.option("--epsilon", type=float, default=0.0, show_default=True, help="Allowed shortfall Q (person-services: a person short of two facility types counts twice).")
@report_option
@run_options
@handle_input_errors
def extra_budget(instance, scenario_file, epsilon, with_report, time_limit, out, force, excel, csv_dialect, as_json):
    """The least extra money that brings the shortfall to EPSILON with no region worse off (the scenario's
    hold-harmless), and what redistribution (no extra money, no hold-harmless) would take from whom."""
    from allocator.procedures.extra_budget import least_extra_budget
    from allocator.result_folders import write_extra_budget

    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    data = load(instance, scenario_file, {"solver": {"time_limit": time_limit} if time_limit is not None else {}})
    res = least_extra_budget(data, epsilon)
    if as_json:
        emit_json(res.as_dict())
    else:
        _print_extra(data, res)
    if out and res.plan is not None:
        write_extra_budget(out, data, res, force, excel, with_report, csv_dialect)
    if res.extra_budget is None:
        sys.exit(EXIT_INFEASIBLE if res.status == Status.INFEASIBLE else EXIT_NO_SOLUTION)


def _signed(value: float, digits: int, sign: bool = True) -> str:
    """Fixed-point with thousands separators; a value that rounds to zero prints as 0 (never "-0.00")."""
    value = round(value, digits) + 0.0
    return format(value, f"{'+' if sign and value else ''},.{digits}f")


def _print_extra(data, res) -> None:
    sc = data.scenario
    click.echo(f"Scenario '{sc.name}' on {data.instance.name}: hold-harmless {sc.hold_harmless}, shortfall target "
               f"ε = {res.epsilon:,.0f} person-services")
    for name, rep in res.stages:
        gap = "—" if rep.mip_gap is None else f"{rep.mip_gap:.4%}"
        click.echo(f"  {name:<45} {rep.status.value:<22} gap {gap:>9}  {rep.solve_seconds:7.2f} s")
    if len(res.blocked):
        click.echo(f"blocked: {len(res.blocked)} (region, type) pair(s) cannot reach the minimum at any budget "
                   f"(no site within the norm); the price below is for the lowest reachable shortfall "
                   f"Q = {res.shortfall_floor:,.0f} person-services:")
        for r in res.blocked.head(10).itertuples():
            click.echo(f"  {r.name} ({r.region_id}): {r.ftype_id}, {r.missing:,.0f} persons out of reach")
    if res.extra_budget is None:
        click.echo(f"no answer: {res.status.value}")
        return
    caveat = "" if res.proven else "  (NOT PROVEN: a stage above stopped before its optimum; see its gap)"
    click.echo(f"least extra budget  {res.extra_budget:,.2f} M€/yr  (status {res.status.value}){caveat}")
    if res.plan is not None:
        click.echo(f"plan at that price  W {res.plan.welfare:,.2f} M€-eq/yr, Q {res.plan.shortfall:,.0f} person-services, "
                   f"{res.plan.people_short:,.0f} people short of a basic service; regions worse off (municipal money, "
                   f"its facilities included): {res.regions_worse_off}; check {'passed' if res.plan_check.passed else 'FAILED'}")
    if res.region_effects is None or res.contrast is None:
        click.echo(f"redistribution instead: {res.contrast_status.value}")
        return
    eff = res.region_effects
    losers = eff[eff["redistribution_change_meur"] < -1e-6].sort_values("redistribution_change_per_inhabitant_eur")
    proven = res.contrast_status == Status.OPTIMAL
    click.echo(f"redistribution instead (E = 0, no hold-harmless): {len(losers)} region(s) would lose, "
               f"{-losers['redistribution_change_meur'].sum():,.2f} M€/yr in all, facilities included; check "
               f"{'passed' if res.contrast_check.passed else 'FAILED'}"
               + ("" if proven else f"  (NOT PROVEN: {res.contrast_status.value}; these are the best plan's numbers)"))
    for r in losers.head(8).itertuples():
        click.echo(f"  {r.name:<28} {r.redistribution_change_per_inhabitant_eur:+9,.0f} €/inh "
                   f"({r.redistribution_change_meur:+,.2f} M€/yr: programme {r.redistribution_programme_change_meur:+,.2f}, "
                   f"facilities {r.redistribution_facilities_change_meur:+,.2f})")


@click.command()
@instance_argument
@click.option("--scenario", "-s", "scenario_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A scenario file; repeat for each; the first is the baseline of the comparison.")
@set_option
@report_option
@run_options
@handle_input_errors
def compare(instance, scenario_files, set_values, with_report, time_limit, out, force, excel, csv_dialect, as_json):
    """Solve several scenarios and set them side by side (W, Q, money, facilities, inequality, status, gap)."""
    from allocator.export import fixed_point
    from allocator.procedures.compare import compare as run_compare
    from allocator.result_folders import write_folder

    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    over = {"solver": {"time_limit": time_limit}} if time_limit is not None else None
    datas = [load(instance, ScenarioChoice(f, tuple(set_values)), over) for f in scenario_files]
    res = run_compare(datas)
    if as_json:
        emit_json({"scenarios": res.table.to_dict("records")})
    else:
        show = res.table.drop(columns=["description", "theil_welfare", "marginal_welfare_per_meur", "build_seconds"])
        click.echo(fixed_point(show).to_string(index=False))
        for row in res.table.itertuples():
            click.echo(f"{row.scenario}: {row.description or '(no description)'}")
        click.echo("welfare in M€-eq/yr (illustrative values); shortfall in person-services; people_short in persons; "
                   "money in M€/yr; mip_gap and price_of_fairness as shares")
    if out:
        files = {"run.json": run_record("compare", datas[0], scenarios=[d.scenario.name for d in datas])}
        files.update({f"scenarios/{n:02d}_{re.sub(r'[^A-Za-z0-9_.-]', '_', d.scenario.name)}.toml": d.scenario.to_toml()
                      for n, d in enumerate(datas, start=1)})  # names are the user's words: never a path
        write_folder(out, force, excel, {"comparison": res.table, "regions": res.regions}, files, with_report,
               csv_dialect=csv_dialect)
        if not as_json:
            click.echo(f"tables written to {out}/")
    if any(r.solution is None for r in res.runs):
        sys.exit(EXIT_NO_SOLUTION)


@click.command()
@instance_argument
@scenario_option
@click.option("--plan", "plan_dir", required=True, help="Plan folder (allocation.csv, facilities.csv) or 'status-quo'.")
@run_options
@handle_input_errors
def evaluate(instance, scenario_file, plan_dir, time_limit, out, force, excel, csv_dialect, as_json):
    """Score a plan (a regiotoets): its W and Q, broken constraints by name, and the gap to the optimum."""
    from allocator.procedures.evaluate import evaluate as run_evaluate
    from allocator.procedures.evaluate import read_plan, status_quo
    from allocator.result_folders import write_folder

    if out:
        check_target(Path(out), force)
    data = load(instance, scenario_file, {"solver": {"time_limit": time_limit} if time_limit is not None else {}})
    plan = status_quo(data) if plan_dir == "status-quo" else read_plan(plan_dir, data)
    ev = run_evaluate(data, plan)
    if as_json:
        emit_json(ev.as_dict())
    else:
        d = ev.as_dict()
        click.echo(f"Plan {d['plan']} under scenario '{data.scenario.name}' on {data.instance.name}")
        if ev.violations:
            click.echo(f"the plan breaks {len(ev.violations)} constraint(s):")
            for v in ev.violations[:30]:
                click.echo(f"  {v}")
        else:
            click.echo(f"plan      W {_signed(d['welfare'], 2, False)} M€-eq/yr   Q {_signed(d['shortfall'], 0, False)} "
                       f"person-services   check {d['check']}")
        if d["optimum_welfare"] is not None:
            click.echo(f"optimum   W {_signed(d['optimum_welfare'], 2, False)} M€-eq/yr   Q "
                       f"{_signed(d['optimum_shortfall'], 0, False)} person-services   ({d['optimum_status']})")
        if d["welfare_gap"] is not None:
            click.echo(f"gap       W {_signed(d['welfare_gap'], 2)} M€-eq/yr to gain   Q {_signed(d['shortfall_gap'], 0)} "
                       "person-services above the optimum")
    if out and ev.region_table is not None:
        write_folder(out, force, excel, {"regions": ev.region_table}, csv_dialect=csv_dialect)
    if ev.violations:
        sys.exit(EXIT_INFEASIBLE)
