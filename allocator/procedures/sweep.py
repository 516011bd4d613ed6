"""Scenario sweeps: many what-ifs from one grid file, one table out, resumable after an interruption.

A grid file (TOML) says which scenario fields vary; dotted keys reach nested fields
(``"norms.gp"``, ``"solver.time_limit"``, ``"welfare.loss_aversion"``)::

    kind = "product"              # product | list | random
    [fixed]                       # every run (optional)
    "solver.time_limit" = 30
    [values]                      # product: the cartesian product of these lists
    shortfall_price = [1000, 2000, 4000]
    hold_harmless = ["none", "region"]

    kind = "list"                 # list: one table per run
    [[runs]]
    name = "strict norms"
    "norms.gp" = 10

    kind = "random"               # random: seeded samples, for uncertainty analysis
    samples = 50
    seed = 1
    [distributions]
    shortfall_price = { uniform = [1000, 5000] }
    capacity_scale = { normal = [1.0, 0.1] }
    hold_harmless = { choice = ["none", "region"] }

Every run's scenario is resolved and checked against the instance before anything is solved, so a
bad grid fails at once, naming the grid file and the run.  Runs go to an
:func:`allocator.procedures.executors.executor` (in this process, a process pool, or a Dask cluster — one code
path).  Each finished run is appended to ``journal.jsonl`` in the output folder and flushed to disk;
started again with the same grid, the sweep skips the runs the journal holds.  ``results.csv`` is
(re)written from the journal when the sweep ends.  Each worker solves its runs on one warm model
(:func:`run_one`): a run that changes only costs, weights, money or the hold-harmless rule re-solves the
model built for an earlier run instead of building again; runs that share a model are dispatched
together (:func:`dispatch_order`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.files import read_text
from allocator.procedures.executors import WORKER_CACHE, cached, executor
from allocator.indicators import inequality
from allocator.instance import Instance
from allocator.procedures.whatif import WhatIf, structure_key
from allocator.output import json_records
from allocator.policy import HoldHarmless
from allocator.progress import Points
from allocator.scenario import OVERRIDES, Scenario, check_against, deep_merge, dotted, resolve_scenario
from allocator.status import Status

JOURNAL, RESULTS, GRID_COPY = "journal.jsonl", "results.csv", "grid.toml"
KINDS = ("product", "list", "random")


@dataclass(frozen=True)
class SweepRun:
    run_id: str
    overrides: dict  # dotted key -> value


@dataclass(frozen=True)
class SweepResult:
    table: pd.DataFrame
    seconds: float
    resumed: int  # runs taken from an earlier, interrupted sweep

    def as_dict(self) -> dict:
        return {"runs": json_records(self.table), "seconds": self.seconds, "resumed": self.resumed}


def read_grid(path: str | Path) -> list[SweepRun]:
    """The runs a grid file describes (see the module docstring), each with a stable id."""
    path = Path(path)
    label = str(path)
    try:
        grid = tomllib.loads(read_text(path, "grid file"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(InputIssue(label, f"not valid TOML: {err}")) from None
    kind = grid.get("kind", "product")
    if kind not in KINDS:
        raise InputError(InputIssue(label, f"kind = '{kind}': expected one of {', '.join(KINDS)}", column="kind"))
    fixed = grid.get("fixed", {})
    if kind == "product":
        values = grid.get("values", {})
        bad = [k for k, v in values.items() if not isinstance(v, list) or not v]
        if not values or bad:
            raise InputError(InputIssue(label, "[values] needs at least one key, each a non-empty list"
                                        + (f" (not: {', '.join(bad)})" if bad else ""), column="values"))
        combos = [dict(zip(values, combo)) for combo in itertools.product(*values.values())]
    elif kind == "list":
        combos = grid.get("runs", [])
        if not combos:
            raise InputError(InputIssue(label, "kind = 'list' needs at least one [[runs]] table", column="runs"))
    else:
        combos = _samples(grid, label)
    runs = []
    for combo in combos:
        overrides = {**fixed, **combo}
        digest = hashlib.sha1(json.dumps(overrides, sort_keys=True, default=str).encode()).hexdigest()[:10]
        runs.append(SweepRun(f"run-{len(runs) + 1:04d}-{digest}", overrides))
    return runs


def _samples(grid: dict, label: str) -> list[dict]:
    dists, n, seed = grid.get("distributions", {}), grid.get("samples"), grid.get("seed", 0)
    if not isinstance(n, int) or n < 1 or not dists:
        raise InputError(InputIssue(label, "kind = 'random' needs samples (a positive whole number) and [distributions]"))
    rng = np.random.default_rng(seed)
    draws = {}
    for key, spec in dists.items():
        (name, args), = spec.items() if isinstance(spec, dict) and len(spec) == 1 else ((None, None),)
        if name == "uniform" and len(args) == 2:
            draws[key] = rng.uniform(args[0], args[1], n).tolist()
        elif name == "normal" and len(args) == 2:
            draws[key] = rng.normal(args[0], args[1], n).tolist()
        elif name == "choice" and len(args) >= 1:
            draws[key] = [args[i] for i in rng.integers(0, len(args), n)]
        else:
            raise InputError(InputIssue(label, f"{key}: expected {{uniform = [lo, hi]}}, {{normal = [mean, sd]}} "
                                        "or {choice = [...]}", column=key))
    return [{k: v[i] for k, v in draws.items()} for i in range(n)]


def resolve_runs(instance: Instance, runs: list[SweepRun], scenario_file: str | None, grid_label: str,
                 sets: dict | None = None) -> list[Scenario]:
    """Every run's scenario (defaults < scenario file < run overrides), all checked before any solve."""
    issues = IssueCollector()
    scenarios = []
    for run in runs:
        try:
            sc = resolve_scenario(instance, scenario_file, deep_merge(sets or {}, dotted(run.overrides)))
            check_against(sc, instance, label=f"{grid_label} ({run.run_id})")
            scenarios.append(sc)
        except InputError as err:
            for issue in err.issues:
                origin = "" if issue.file == OVERRIDES else f" (from {issue.file})"
                issues.add(f"{grid_label} ({run.run_id})", issue.message + origin, column=issue.column)
    issues.raise_if_any()
    return scenarios


def instance_fingerprint(instance: Instance) -> str:
    """SHA-256 of everything in an instance that can change a result: its manifest and every table."""
    h = hashlib.sha256(json.dumps(instance.manifest.model_dump(), sort_keys=True, default=str).encode())
    for frame in (instance.regions, instance.domains, instance.streams, instance.baseline, instance.facility_types,
                  instance.demand_points, instance.sites, instance.travel, instance.priorities):
        if frame is not None:
            h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            h.update(repr(list(getattr(frame, "columns", [frame.name]))).encode())
    return h.hexdigest()


def run_key(instance_hash: str, scenario: Scenario) -> str:
    """What determines one run's result: instance contents, the resolved scenario (solver options included)
    and the code's version.  A journal row is reused only under the same key."""
    return hashlib.sha256(f"{instance_hash}\n{scenario.to_toml()}\n{code_version()}".encode()).hexdigest()


def sweep_fingerprint(instance: Instance, scenarios: list[Scenario]) -> str:
    """One key for a whole sweep: the instance's contents, every resolved scenario and the code's version."""
    fingerprint = instance_fingerprint(instance)
    return hashlib.sha256("".join(run_key(fingerprint, sc) for sc in scenarios).encode()).hexdigest()


def code_version() -> str:
    try:
        return version("regio")
    except PackageNotFoundError:
        return "unknown"


def run_one(instance: Instance, scenario: Scenario, run_id: str, overrides: dict, key: str = "",
            model_key: str = "") -> dict:
    """Solve and check one scenario on the worker's warm model; one row of the sweep table.

    A worker keeps one :class:`~allocator.procedures.whatif.WhatIf` under ``model_key`` (the instance's
    fingerprint): a run that differs from the worker's last one only in costs, weights, money or the
    hold-harmless rule re-solves the model built before, from the last plan; any other change rebuilds it
    (``rebuilt`` in the row).  Each row is proven to its own MIP gap either way; where a scenario has more
    than one optimum within that gap, which one a row reports may depend on the run before it.
    """
    data = InstanceData.prepare(instance, scenario)
    whatif = cached(sweep_model_key(model_key), WhatIf)
    run = whatif.solve(data, indicators=False)
    rep, sol = run.report, run.solution
    row = {"run_id": run_id, "key": key, **{f"set:{k}": v for k, v in overrides.items()}, "status": rep.status.value,
           "mip_gap": rep.mip_gap, "rebuilt": whatif.rebuilt, "build_seconds": rep.build_seconds,
           "solve_seconds": rep.solve_seconds}
    if sol is not None:
        head = sol.headline()
        row.update({"welfare": sol.welfare, "shortfall": sol.shortfall, "shortfall_worst": sol.shortfall_worst,
                    "extra_money": head["extra_money"], "deearmarked_money": head["deearmarked_money"],
                    "sites_opened": head["sites_opened"], "sites_closed": head["sites_closed"],
                    "regions_below_minimum": head["regions_below_minimum"],
                    "gini_welfare": inequality(data, sol).get("gini_welfare"),
                    "check": "passed" if run.check.passed else "FAILED"})
    return row


def dispatch_order(todo: list[tuple[SweepRun, Scenario]]) -> list[tuple[SweepRun, Scenario]]:
    """The runs in the order they go to the workers: those that share a model together, and within them the
    hold-harmless rules that need the most rows first (region-domain, then the rules with a row per region,
    then none), so that a worker's warm model rebuilds only when it must.  The table keeps the grid's order.
    """
    rows_needed = {HoldHarmless.REGION_DOMAIN: 0, HoldHarmless.NONE: 2}
    return sorted(todo, key=lambda rs: (structure_key(rs[1]), rows_needed.get(HoldHarmless(rs[1].hold_harmless), 1)))


def sweep_model_key(fingerprint: str) -> str:
    """Where a worker keeps its warm model for the instance with ``fingerprint`` (:data:`WORKER_CACHE`)."""
    return f"sweep:{fingerprint}"


def run_sweep(instance: Instance, runs: list[SweepRun], scenarios: list[Scenario], out: Path, workers: int = 1,
              scheduler: str | None = None, on_progress: Points | None = None) -> SweepResult:
    """Run what the journal in ``out`` does not hold yet; stream each row to it; write results.csv."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    journal = out / JOURNAL
    fingerprint = instance_fingerprint(instance)
    keys = {r.run_id: run_key(fingerprint, sc) for r, sc in zip(runs, scenarios)}
    done = {k: row for k, row in read_journal(journal).items() if row.get("key") == keys.get(k)}
    todo = dispatch_order([(r, s) for r, s in zip(runs, scenarios) if r.run_id not in done])
    resumed = len(runs) - len(todo)
    if on_progress is not None and resumed:
        on_progress.done(None, resumed)
    _end_torn_line(journal)
    try:
        with executor(workers, scheduler) as ex, journal.open("a", encoding="utf-8") as log:
            slots = getattr(ex, "slots", 1)
            pending, inflight = list(reversed(todo)), {}
            while pending or inflight:
                while pending and len(inflight) < slots:
                    r, sc = pending.pop()
                    inflight[ex.submit(run_one, instance, sc, r.run_id, r.overrides, keys[r.run_id], fingerprint)] = r
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in finished:
                    inflight.pop(future)
                    row = _finite(future.result())
                    log.write(json.dumps(row, default=str, allow_nan=False) + "\n")
                    log.flush()
                    os.fsync(log.fileno())
                    done[row["run_id"]] = row
                    if on_progress is not None:
                        on_progress.done(Status(row["status"]))
    finally:
        WORKER_CACHE.pop(sweep_model_key(fingerprint), None)  # run here (one worker): not needed any more
    table = pd.DataFrame([done[r.run_id] for r in runs if r.run_id in done])
    tmp = out / f".{RESULTS}.tmp"
    table.to_csv(tmp, index=False)
    os.replace(tmp, out / RESULTS)
    return SweepResult(table, time.perf_counter() - t0, resumed)


def _finite(row: dict) -> dict:
    """NaN and infinities as None (JSON has neither)."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}


def _end_torn_line(path: Path) -> None:
    """A journal killed mid-write ends without a newline: end that line, so the next row starts its own."""
    if path.exists() and path.stat().st_size:
        with path.open("rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")


def read_journal(path: Path) -> dict[str, dict]:
    """Rows of finished runs by id; a torn last line (killed while writing) is ignored."""
    rows = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows[row["run_id"]] = row
    return rows
