"""The three users' commands: ``extra-budget`` (VNG), ``compare`` (planner), ``evaluate`` (regiotoets)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.compare import compare as run_compare
from allocator.evaluate import evaluate as run_evaluate
from allocator.evaluate import read_plan, status_quo
from allocator.export import write_csv, write_excel
from allocator.extra_budget import least_extra_budget
from allocator.output import check_target, run_record, write_atomically
from allocator.status import Status
from cli.common import EXIT_INFEASIBLE, EXIT_NO_SOLUTION, emit_json, handle_input_errors, instance_argument, json_option, scenario_option
from cli.report import report_option, require_out, write_report
from cli.validate import load

out_option = click.option("--out", type=click.Path(file_okay=False), help="Write the tables (CSV) to this new folder.")
force_option = click.option("--force", is_flag=True, help="Replace --out if it exists.")
excel_option = click.option("--excel", is_flag=True, help="Also write one Excel workbook (plain-word headers).")
time_option = click.option("--time-limit", type=float, help="Seconds per solve (HiGHS).")


def run_options(fn):
    """--time-limit, --out, --force, --excel, --json: what every users' command takes."""
    for option in (json_option, excel_option, force_option, out_option, time_option):
        fn = option(fn)
    return fn


def _write(out, force, excel, tables: dict, extra_files: dict | None = None, with_report: bool = False) -> None:
    """Tables (CSV, optional Excel) and extra files into ``out`` atomically; then the report if asked."""
    def writer(folder: Path) -> None:
        for name, frame in tables.items():
            write_csv(frame, folder / f"{name}.csv")
        if excel:
            write_excel(tables, folder / "tables.xlsx")
        for name, text in (extra_files or {}).items():
            (folder / name).write_text(text, encoding="utf-8")

    write_atomically(Path(out), force, writer)
    if with_report:
        write_report(Path(out))


@click.command("extra-budget")
@instance_argument
@scenario_option
@click.option("--epsilon", type=float, default=0.0, show_default=True, help="Allowed shortfall Q (persons).")
@report_option
@run_options
@handle_input_errors
def extra_budget(instance, scenario_file, epsilon, with_report, time_limit, out, force, excel, as_json):
    """The least extra money that brings the shortfall to EPSILON with no region worse off (the scenario's
    hold-harmless), and what redistribution (no extra money, no hold-harmless) would take from whom."""
    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    data = load(instance, scenario_file, {"solver": {"time_limit": time_limit} if time_limit else {}})
    res = least_extra_budget(data, epsilon)
    if as_json:
        emit_json(res.as_dict())
    else:
        _print_extra(data, res)
    if out and res.plan is not None:
        tables = {f"plan_{k}": v for k, v in res.plan.tables().items()}
        tables["region_effects"] = res.region_effects
        tables["blocked"] = res.blocked
        record = run_record("extra-budget", data, summary=res.plan.headline(), extra_budget=res.extra_budget)
        _write(out, force, excel, tables, {"scenario.toml": data.scenario.to_toml(), "run.json": record}, with_report)
    if res.extra_budget is None:
        sys.exit(EXIT_INFEASIBLE if res.status == Status.INFEASIBLE else EXIT_NO_SOLUTION)


def _print_extra(data, res) -> None:
    sc = data.scenario
    click.echo(f"Scenario '{sc.name}' on {data.instance.name}: hold-harmless {sc.hold_harmless}, shortfall target ε = {res.epsilon:,.0f}")
    for name, rep in res.stages:
        gap = "—" if rep.mip_gap is None else f"{rep.mip_gap:.4%}"
        click.echo(f"  {name:<45} {rep.status.value:<22} gap {gap:>9}  {rep.solve_seconds:7.2f} s")
    if len(res.blocked):
        click.echo(f"blocked: {len(res.blocked)} (region, type) pair(s) cannot reach the minimum at any budget "
                   f"(no site within the norm); the price below is for the lowest reachable shortfall "
                   f"Q = {res.shortfall_floor:,.0f}:")
        for r in res.blocked.head(10).itertuples():
            click.echo(f"  {r.region_id} {r.name}: {r.ftype_id}, {r.missing:,.0f} persons out of reach")
    if res.extra_budget is None:
        click.echo(f"no answer: {res.status.value}")
        return
    click.echo(f"least extra budget  {res.extra_budget:,.2f} M€/yr  (status {res.status.value})")
    if res.plan is not None:
        click.echo(f"plan at that price  W {res.plan.welfare:,.2f}, Q {res.plan.shortfall:,.0f}; check "
                   f"{'passed' if res.plan_check.passed else 'FAILED'}")
    if res.region_effects is None or res.contrast is None:
        click.echo(f"redistribution instead: {res.contrast_status.value}")
        return
    eff = res.region_effects
    losers = eff[eff["redistribution_change_meur"] < -1e-6].sort_values("redistribution_change_per_inhabitant_eur")
    click.echo(f"redistribution instead (E = 0, no hold-harmless): {len(losers)} region(s) would lose, "
               f"{-losers['redistribution_change_meur'].sum():,.2f} M€ in all; check "
               f"{'passed' if res.contrast_check.passed else 'FAILED'}")
    for r in losers.head(8).itertuples():
        click.echo(f"  {r.region_id} {r.name:<24} {r.redistribution_change_per_inhabitant_eur:+9,.0f} €/inh "
                   f"({r.redistribution_change_meur:+,.2f} M€)")


@click.command()
@instance_argument
@click.option("--scenario", "-s", "scenario_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A scenario file; repeat for each; the first is the baseline of the comparison.")
@report_option
@run_options
@handle_input_errors
def compare(instance, scenario_files, with_report, time_limit, out, force, excel, as_json):
    """Solve several scenarios and set them side by side (W, Q, money, facilities, inequality, status, gap)."""
    require_out(with_report, out)
    if out:
        check_target(Path(out), force)
    over = {"solver": {"time_limit": time_limit}} if time_limit else None
    datas = [load(instance, f, over) for f in scenario_files]
    res = run_compare(datas)
    if as_json:
        emit_json({"scenarios": res.table.to_dict("records")})
    else:
        show = res.table.drop(columns=["theil_welfare", "marginal_welfare_per_meur", "build_seconds"])
        click.echo(show.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
    if out:
        _write(out, force, excel, {"comparison": res.table, "regions": res.regions},
               {"run.json": run_record("compare", datas[0], scenarios=[d.scenario.name for d in datas])}, with_report)
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
def evaluate(instance, scenario_file, plan_dir, time_limit, out, force, excel, as_json):
    """Score a plan (a regiotoets): its W and Q, broken constraints by name, and the gap to the optimum."""
    if out:
        check_target(Path(out), force)
    data = load(instance, scenario_file, {"solver": {"time_limit": time_limit} if time_limit else {}})
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
            click.echo(f"plan      W {d['welfare']:,.2f}   Q {d['shortfall']:,.0f}   check {d['check']}")
        if d["optimum_welfare"] is not None:
            click.echo(f"optimum   W {d['optimum_welfare']:,.2f}   Q {d['optimum_shortfall']:,.0f}   ({d['optimum_status']})")
        if d["welfare_gap"] is not None:
            click.echo(f"gap       W {d['welfare_gap']:+,.2f} to gain   Q {d['shortfall_gap']:+,.0f} persons above the optimum")
    if out and ev.region_table is not None:
        _write(out, force, excel, {"regions": ev.region_table})
    if ev.violations:
        sys.exit(EXIT_INFEASIBLE)
