"""``regio orlib``: solve one OR-Library p-median or warehouse-location file."""

from __future__ import annotations

import sys
import time

import click

from allocator.status import EXIT_NO_SOLUTION
from regio_cli.common import emit_json, handle_input_errors, json_option


@click.command()
@click.argument("kind", type=click.Choice(["pmed", "cap"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--capacity", type=float, help="Capacity replacing the word 'capacity' (capa/b/c).")
@click.option("--uncapacitated", is_flag=True, help="Ignore capacities (UFLP).")
@click.option("--time-limit", type=float, default=300.0, show_default=True, help="Seconds for HiGHS.")
@click.option("--mip-gap", type=float, default=1e-9, show_default=True, help="Relative MIP gap.")
@click.option("--formulation", type=click.Choice(["auto", "arc", "radius"]), default="auto", show_default=True,
              help="p-median model: arcs x_ij ≤ y_j, or one variable per distinct distance (auto: radius).")
@json_option
@handle_input_errors
def orlib(kind, file, capacity, uncapacitated, time_limit, mip_gap, formulation, as_json):
    """Solve an OR-Library file: objective, status, MIP gap, build and solve seconds."""
    from allocator.location.solve import solve_location
    from regio_instances.orlib import read_cap, read_pmedian

    t0 = time.perf_counter()
    problem = read_pmedian(file) if kind == "pmed" else read_cap(file, capacity=capacity, uncapacitated=uncapacitated)
    if formulation == "radius" and kind != "pmed":
        raise click.UsageError("--formulation radius is for p-median files (pmed)")
    read_seconds = time.perf_counter() - t0
    answer = solve_location(problem, formulation, time_limit=time_limit, mip_gap=mip_gap)
    rep = answer.report
    out = {"instance": problem.name, "formulation": answer.formulation, "objective": rep.objective,
           "status": rep.status.value, "mip_gap": rep.mip_gap, "bound": rep.bound,
           "build_seconds": read_seconds + rep.build_seconds, "solve_seconds": rep.solve_seconds,
           "rows": rep.rows, "columns": rep.columns, "binaries": rep.binaries,
           "sites_in_model": answer.sites_in_model, "lagrangian_bound": answer.lagrangian_bound,
           "stages": answer.stages}
    if as_json:
        emit_json(out)
    else:
        for k, v in out.items():
            if k != "stages":
                click.echo(f"{k:<18}{v:.6g}" if isinstance(v, float) else f"{k:<18}{v}")
        click.echo("stages")
        for stage in answer.stages:
            nodes = f", {stage['nodes']} nodes" if "nodes" in stage else ""
            cutoff = f", cost ≤ {stage['cutoff']:.6g}" if stage["cutoff"] is not None else ""
            click.echo(f"  {stage['stage']:<10} {stage['sites']:>5} sites{cutoff}: {stage['status']} in "
                       f"{stage['seconds']:.2f} s{nodes}; {stage['result']}")
    if not rep.status.has_solution:
        sys.exit(EXIT_NO_SOLUTION)
