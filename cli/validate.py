"""``regio validate`` and ``regio scenario``: check an instance, print a resolved scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from allocator.scenario import deep_merge
from regio_cli.common import ScenarioChoice, emit_json, handle_input_errors, instance_argument, json_option, scenario_option

if TYPE_CHECKING:
    from allocator.data import InstanceData


def load(instance: str | None, scenario: ScenarioChoice | str | None, overrides: dict | None = None) -> InstanceData:
    """Instance + resolved scenario (instance defaults < file < --set < flags), checked against each other."""
    from allocator.api import prepare

    choice = scenario if isinstance(scenario, ScenarioChoice) else ScenarioChoice(scenario)
    flags = {k: v for k, v in (overrides or {}).items() if v not in (None, {})}
    return prepare(instance, choice.file, label=choice.file, **deep_merge(choice.overrides, flags))


@click.command()
@instance_argument
@scenario_option
@json_option
@handle_input_errors
def validate(instance, scenario_file, as_json):
    """Check an instance (and scenario, with its kansenagenda workbooks): counts, totals, reach per facility type,
    or every error."""
    from allocator.multiyear.horizon import read_projects

    data = load(instance, scenario_file)
    s = data.instance.summary()
    stats = data.reach_stats()
    warnings = list(data.instance.warnings) + data.unreachable_warnings()
    projects, priorities = read_projects(data)  # the kansenagenda workbooks, checked cell by cell
    agendas = {"agendas": int(projects["agenda"].nunique()) if len(projects) else 0, "projects": len(projects),
               "agenda_priorities": 0 if priorities is None else len(priorities)}
    if as_json:
        emit_json({"valid": True, **s, "scenario": data.scenario.name, **agendas,
                   "reach": stats.reset_index().to_dict("records"), "warnings": warnings})
        return
    click.echo(f"Instance {s['name']}  ({s['source']})")
    click.echo(f"  {data.instance.manifest.title}")
    click.echo(f"  regions {s['regions']:,}   domains {s['domains']}   streams {s['streams']}   facility types {s['facility_types']}")
    click.echo(f"  demand points {s['demand_points']:,} ({s['demand_population']:,} persons)   "
               f"sites {s['sites']:,} ({s['existing_sites']:,} existing, {s['candidate_sites']:,} candidates)")
    payers = ", ".join(f"{p} {v:,.1f}" for p, v in s["budget_by_payer_meur"].items())
    click.echo(f"  population {s['population']:,}   budget {s['budget_meur']:,.1f} M€/yr ({payers})   "
               f"baseline programme spending {s['baseline_meur']:,.1f} M€/yr")
    click.echo(f"Reach under scenario '{data.scenario.name}' (share of population within the norm):")
    click.echo(f"  {'type':<18}{'norm':>12}{'σ':>6}{'sites':>8}{'existing':>10}{'any site':>10}{'unreachable pts':>17}")
    for k, r in stats.iterrows():
        click.echo(f"  {k:<18}{r['norm']:>12}{r['required_share']:>6.2f}{r['sites']:>8,}"
                   f"{r['pop_share_existing']:>10.1%}{r['pop_share_any_site']:>10.1%}{r['points_unreachable']:>17,}")
    if agendas["agendas"]:
        click.echo(f"Kansenagenda's: {agendas['agendas']} workbook(s), {agendas['projects']} project(s), "
                   f"{agendas['agenda_priorities']} domain priorities (read by regio programme)")
    for w in warnings:
        click.echo(f"warning: {w}")
    click.echo("valid")


@click.command("scenario")
@instance_argument
@scenario_option
@handle_input_errors
def scenario_cmd(instance, scenario_file):
    """Print the fully resolved scenario (defaults < instance < file < flags) as TOML."""
    click.echo(load(instance, scenario_file).scenario.to_toml(), nl=False)
