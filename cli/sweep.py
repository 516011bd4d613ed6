"""``regio sweep``: run a grid of scenario overrides, locally or on a Dask cluster; resumable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from allocator.errors import InputError, InputIssue
from allocator.progress import Points, enable
from allocator.status import SEVERITY, Status
from regio_cli.common import emit_json, handle_input_errors, instance_argument, json_option, scenario_option


@click.command()
@instance_argument
@scenario_option
@click.option("--grid", "grid_file", required=True, type=click.Path(dir_okay=False),
              help="Grid TOML: kind = product | list | random, and the fields to vary.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Local worker processes.")
@click.option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) to submit the runs to.")
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Folder for journal.jsonl (streamed) and results.csv; an interrupted sweep resumes from it.")
@click.option("--force", is_flag=True, help="Start afresh in --out even if it holds another sweep.")
@json_option
@handle_input_errors
def sweep(instance, scenario_file, grid_file, workers, scheduler, out, force, as_json):
    """Solve every scenario of a grid (cartesian product, list, or seeded random samples) and collect one table.

    Each finished run is written to OUT/journal.jsonl at once; run the same command again after an
    interruption and only the missing runs are solved.  OUT/results.csv is written at the end.
    """
    from allocator.instance import load_instance
    from allocator.procedures.sweep import read_grid, resolve_runs, run_sweep, sweep_fingerprint

    inst = load_instance(instance)
    runs = read_grid(grid_file)
    scenarios = resolve_runs(inst, runs, scenario_file.file, grid_file, scenario_file.overrides)
    out = Path(out)
    _prepare_folder(out, Path(grid_file), instance, sweep_fingerprint(inst, scenarios), force)
    enable(not as_json)
    with Points(len(runs), "sweep") as bar:
        result = run_sweep(inst, runs, scenarios, out, workers=workers, scheduler=scheduler, on_progress=bar)
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_table(result, out)
    failed = result.table.get("check", "passed").fillna("passed").ne("passed").any() if len(result.table) else False
    worst = max((Status(s) for s in result.table["status"]), key=SEVERITY.index, default=Status.OPTIMAL)
    sys.exit(4 if failed else worst.exit_code)


def _prepare_folder(out: Path, grid_file: Path, instance: str | None, fingerprint: str, force: bool) -> None:
    """A new folder, or the folder of the same sweep (resume); another sweep's folder needs --force, and
    --force replaces only a sweep's folder (or an empty one), never anything else.

    The same sweep means the same grid, the same instance contents, the same resolved scenarios (the
    ``-s`` file and ``--set`` included) and the same code version (:func:`sweep_fingerprint`).
    """
    from allocator.procedures.sweep import GRID_COPY, JOURNAL

    stamp = f"# instance: {instance or 'default'}\n# fingerprint: {fingerprint}\n" + grid_file.read_text(encoding="utf-8")
    copy = out / GRID_COPY
    if out.is_symlink():
        raise InputError(InputIssue(str(out), "--out is a symbolic link; give the folder itself"))
    if out.exists() and not out.is_dir():
        raise InputError(InputIssue(str(out), "--out exists and is not a folder"))
    is_sweep = copy.exists() and (out / JOURNAL).exists()
    if out.exists() and any(out.iterdir()):
        if not is_sweep:
            raise InputError(InputIssue(str(out), "folder exists and holds no sweep; give a new or empty folder"
                                        + ("" if not force else " (--force replaces only a sweep's folder)")))
        if not force and copy.read_text(encoding="utf-8") != stamp:
            raise InputError(InputIssue(str(out), "folder holds a sweep of another grid, scenario, instance or "
                                        "regio version; use --force to start afresh, or another --out"))
        if not force:
            return
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    copy.write_text(stamp, encoding="utf-8")


def _print_table(result, out: Path) -> None:
    t = result.table
    click.echo(f"{len(t)} run(s) in {result.seconds:.1f} s ({result.resumed} taken from an earlier run); "
               f"table in {out}/results.csv")
    shown = [c for c in t.columns if c.startswith("set:")] + [c for c in ("status", "mip_gap", "welfare", "shortfall",
                                                                          "extra_money", "gini_welfare", "check") if c in t]
    with_names = t[shown].rename(columns=lambda c: c.removeprefix("set:"))
    click.echo(with_names.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
