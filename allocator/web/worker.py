"""What a worker process does with a job: solve, ask the VNG question, draw a front, plan a programme.

Runs in the job board's worker processes (spawned, see :mod:`allocator.procedures.executors`).  Each
worker keeps its instance and a warm model (:class:`allocator.api.WarmModel`) in the executors'
worker cache, so a what-if that changes only λ, the mode or the solver's limits re-solves the model
already built.  Progress goes to ``progress.json`` at most twice a second; a ``cancel`` file in the
job folder stops the work at the next check (every 0.2 s while HiGHS runs).  The outcome is written to
``job.json``: done with the result's summary, cancelled, or failed with a one-line error (never a
traceback).

A what-if (a ``solve`` job) runs with Python's cyclic garbage collector paused, and the worker collects what
it left once its answer is out, while the planner reads it (:func:`collected_after`).  A worker holds the
instance and up to three built models, about a million Python objects on nl, and a full collection walks
all of them (0.4-0.6 s): a what-if that rebuilds the model (a norm) set off one and a few dozen younger
collections, 0.8-0.9 s of its 9-10 s.  After a re-solve only the young generations are collected (5-16 ms,
about 4,700 objects; a model is dropped only at a rebuild, and eight re-solves on nl left 114 objects for a
full collection); after a rebuild, everything.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from allocator import progress
from allocator.api import WarmModel, prepare
from allocator.errors import Cancelled, InputError
from allocator.procedures.executors import cached
from allocator.procedures.diagnose import explain_infeasible
from allocator.procedures.extra_budget import least_extra_budget
from allocator.procedures.pareto import pareto_front
from allocator.result_folders import write_extra_budget, write_pareto
from allocator.status import Status
from allocator.web.store import cancel_requested, now, update_job, write_json

PROGRESS_EVERY = 0.5  # seconds between two progress.json writes
# a what-if's garbage is collected this long after its end, so that its answer reaches the server first
COLLECT_AFTER = 0.05
_collecting = threading.Lock()  # held from a what-if's end until its garbage is collected


class ProgressFile:
    """Receives the engine's progress events; keeps the latest of each kind and writes them now and then."""

    def __init__(self, folder: Path):
        self.path, self.state, self.written = folder / "progress.json", {}, 0.0

    def __call__(self, event: dict) -> None:
        new_phase = "phase" in event and event["phase"] != self.state.get("phase")
        self.state.update(event)
        now = time.monotonic()
        if new_phase or now - self.written >= PROGRESS_EVERY:
            self.written = now
            write_json(self.path, self.state)


def run_job(folder: str, instance_ref: str, kind: str, scenario: dict, params: dict) -> str:
    """Run one job whose folder is ``folder``; return its final status (also written to ``job.json``)."""
    folder = Path(folder)
    if cancel_requested(folder):
        update_job(folder, status="cancelled", finished=now())
        return "cancelled"
    with collected_after(kind == "solve") as collection:
        return _run(folder, instance_ref, kind, scenario, params, collection)


class Collection:
    """What the collection after a job walks: every generation (``full``) or only the youngest two."""

    full = True


@contextmanager
def collected_after(pause: bool) -> Iterator[Collection]:
    """Within the block Python's cyclic garbage collector is paused (``pause``); after it, a thread collects
    once :data:`COLLECT_AFTER` has passed, so the job's answer goes out first and the collection happens while
    the worker waits for the next job.  A job that comes sooner starts when the collection ends."""
    with _collecting:  # the last what-if's garbage is collected before this job starts
        pass
    pause = pause and gc.isenabled()
    if pause:
        gc.disable()
    collection = Collection()
    try:
        yield collection
    finally:
        if pause:
            _collecting.acquire()
            threading.Thread(target=_collect, args=(collection.full,), name="regio-collect", daemon=True).start()


def _collect(full: bool) -> None:
    try:
        time.sleep(COLLECT_AFTER)
        gc.collect(2 if full else 1)
    finally:
        gc.enable()
        _collecting.release()


def _run(folder: Path, instance_ref: str, kind: str, scenario: dict, params: dict, collection: Collection) -> str:
    """:func:`run_job` once the job has begun."""
    update_job(folder, status="running", started=now(), worker=os.getpid())
    t0 = time.perf_counter()
    try:
        with progress.watch(ProgressFile(folder), stop=lambda: cancel_requested(folder)):
            warm = cached(f"warm:{instance_ref}", lambda: WarmModel(instance_ref))
            summary = JOBS[kind](warm, scenario, params, folder / "result")
            collection.full = warm.rebuilt  # only a rebuild drops a model
        status, extra = "done", {"result": summary}
    except Cancelled as err:
        status, extra = "cancelled", {"error": f"cancelled while {err}"}
    except InputError as err:
        status, extra = "failed", {"error": str(err)}
    except MemoryError:
        status, extra = "failed", {"error": "out of memory: the model is too large for this server"}
    except Exception as err:  # noqa: BLE001 - a job fails with its message; the server keeps running
        status, extra = "failed", {"error": f"{type(err).__name__}: {err}"}
    update_job(folder, status=status, finished=now(), seconds=round(time.perf_counter() - t0, 2), **extra)
    return status


def solve_job(warm: WarmModel, scenario: dict, params: dict, out: Path) -> dict:
    """One scenario on the warm model; its result folder (CSV: the workbook is made when it is downloaded)."""
    result = warm.solve(scenario, mode=params.get("mode"))
    progress.report(phase="writing")
    summary = {**result.summary(), "rebuilt": warm.rebuilt}
    if result.run.solution is not None:
        result.to_folder(out)
    elif result.status == Status.INFEASIBLE.value:  # an impossible policy is explained, not just reported
        diagnosis = explain_infeasible(result.run.data)
        summary.update(diagnosis=diagnosis.as_dict(), explanation=diagnosis.lines())
    return summary


def extra_budget_job(warm: WarmModel, scenario: dict, params: dict, out: Path) -> dict:
    """The VNG question: the least extra money for Q ≤ ε with the scenario's hold-harmless."""
    data = prepare(warm.instance, scenario)
    progress.report(phase="solving", seconds=0.0, time_limit=data.scenario.solver.time_limit)
    res = least_extra_budget(data, float(params.get("epsilon", 0.0)))
    progress.report(phase="writing")
    if res.plan is not None:
        write_extra_budget(out, data, res)
    return res.as_dict()


def pareto_job(warm: WarmModel, scenario: dict, params: dict, out: Path) -> dict:
    """The W–Q front with ``points`` points, solved one after another in this worker."""
    data = prepare(warm.instance, scenario)
    points = int(params.get("points", 5))
    progress.report(phase="solving", done=0, total=points)
    with progress.Points(points, "pareto") as bar:
        front = pareto_front(data, points=points, workers=1, on_progress=bar)
    progress.report(phase="writing")
    write_pareto(out, data, front)
    return front.as_dict()


def programme_job(warm: WarmModel, scenario: dict, params: dict, out: Path) -> dict:
    """A multi-year programme over ``years`` (e.g. "2026-2030")."""
    from allocator.api import programme

    progress.report(phase="building")
    result = programme(warm.instance, scenario, years=str(params.get("years", "2026-2030")))
    progress.report(phase="writing")
    if result.solution is not None:
        result.to_folder(out)
    return result.summary()


JOBS = {"solve": solve_job, "extra-budget": extra_budget_job, "pareto": pareto_job, "programme": programme_job}
