"""The job board: a bounded queue of jobs run by a pool of worker processes, each job in its own folder.

The pool is the engine's process pool (:func:`allocator.procedures.executors.process_pool`: spawned
processes, each keeping a warm model), started with the server: each worker imports the engine while the
planner opens the page, not when the first job comes.  At most ``max_jobs`` jobs wait or run at once; one more is
refused (the app answers 429).  A queued job is cancelled by withdrawing it from the pool; a running
one by a ``cancel`` file its worker reads within 0.2 s during a solve (HiGHS stops at its next node).
If a worker dies (out of memory, killed), its job fails with that message and the pool is renewed.

Jobs of an earlier server found in the results folder are listed; one that was still queued or
running when that server stopped is marked failed ("the server stopped before it finished").
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from allocator.procedures.executors import process_pool
from allocator.web.store import FINAL, cancel_requested, job_folder, new_job_id, now, read_json, update_job, write_json
from allocator.web.worker import JOBS, run_job


# what a worker imports as the server starts, so that the first job finds it done
WORKER_CODE = ("allocator.web.worker",)


class QueueFull(Exception):
    """More jobs than the board takes at once."""


class JobBoard:
    """Submit, follow, list and cancel jobs; results live in ``results/<job id>/``."""

    def __init__(self, instance_ref: str, results: Path, workers: int = 1, max_jobs: int = 8):
        self.instance_ref, self.results = instance_ref, Path(results)
        self.workers, self.max_jobs = workers, max_jobs
        self.results.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.futures: dict[str, Future] = {}
        self.pool = self._new_pool()
        self._close_orphans()

    # --- submitting ---------------------------------------------------------------------------
    def submit(self, kind: str, scenario: dict, params: dict, label: str = "") -> str:
        """Queue a job of ``kind`` (solve, extra-budget, pareto, programme); its id."""
        if kind not in JOBS:
            raise ValueError(f"unknown job kind {kind!r}")
        with self.lock:
            if self.active() >= self.max_jobs:
                raise QueueFull(f"{self.max_jobs} jobs are waiting or running; try again when one has finished")
            job_id = new_job_id()
            while (self.results / job_id).exists():
                job_id = new_job_id()
            folder = self.results / job_id
            folder.mkdir()
            write_json(folder / "job.json", {"id": job_id, "kind": kind, "label": label, "status": "queued",
                                             "scenario": scenario, "params": params, "created": now()})
            future = self._submit(folder, kind, scenario, params)
            self.futures[job_id] = future
        future.add_done_callback(lambda f, j=job_id: self._finished(j, f))
        return job_id

    def _submit(self, folder: Path, kind: str, scenario: dict, params: dict) -> Future:
        try:
            return self.pool.submit(run_job, str(folder), self.instance_ref, kind, scenario, params)
        except (BrokenProcessPool, RuntimeError):  # a worker died earlier: a new pool, then the job
            self.pool.shutdown(wait=False, cancel_futures=False)
            self.pool = self._new_pool()
            return self.pool.submit(run_job, str(folder), self.instance_ref, kind, scenario, params)

    def _new_pool(self):
        """The workers, started now (:data:`WORKER_CODE`)."""
        return process_pool(self.workers, preload=WORKER_CODE)

    def active(self) -> int:
        """Jobs waiting or running."""
        return sum(not f.done() for f in self.futures.values())

    def _finished(self, job_id: str, future: Future) -> None:
        folder = self.results / job_id
        if future.cancelled():
            update_job(folder, status="cancelled", finished=now(), error="cancelled before it started")
        elif future.exception() is not None:  # the worker process itself failed (killed, out of memory)
            err = future.exception()
            reason = "the worker process stopped (out of memory or killed)" if isinstance(err, BrokenProcessPool) else str(err)
            update_job(folder, status="failed", finished=now(), error=reason)
        with self.lock:
            self.futures.pop(job_id, None)

    # --- following ----------------------------------------------------------------------------
    def get(self, job_id: str) -> dict | None:
        """The job's record with its progress, or None if there is no such job."""
        folder = job_folder(self.results, job_id)
        record = read_json(folder / "job.json") if folder is not None else None
        if record is None:
            return None
        if record.get("status") not in FINAL:
            record["progress"] = read_json(folder / "progress.json") or {}
            record["cancel_requested"] = cancel_requested(folder)
        return record

    async def wait(self, job_id: str, seconds: float) -> None:
        """Return when the job's worker has finished it or after ``seconds``, whichever comes first.

        A page following a job asks with a short wait instead of sleeping between polls, so it hears of the
        end at once (a poll every 0.5 s made a what-if proven in 0.5 s look like 1.0 s) and still gets its
        progress every ``seconds``.  No thread waits: the worker's future wakes the event loop.
        """
        future = self.futures.get(job_id)
        if future is None or future.done() or seconds <= 0:
            return
        waiting = asyncio.wrap_future(future)
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())  # the outcome is read from job.json
        await asyncio.wait([waiting], timeout=seconds)

    def folder(self, job_id: str) -> Path | None:
        """The job's result folder, if the job finished with one."""
        folder = job_folder(self.results, job_id)
        return folder / "result" if folder is not None and (folder / "result").is_dir() else None

    def list(self, limit: int = 50) -> list[dict]:
        """The latest jobs first, this server's and earlier ones'."""
        out = []
        for folder in sorted((p for p in self.results.iterdir() if job_folder(self.results, p.name)), reverse=True)[:limit]:
            record = read_json(folder / "job.json")
            if record is not None:
                out.append({k: record.get(k) for k in ("id", "kind", "label", "status", "created", "finished", "scenario")}
                           | {"summary": _brief(record.get("result"))})
        return out

    def cancel(self, job_id: str) -> dict | None:
        """Withdraw a queued job, or ask a running one to stop; the record, or None if there is no such job."""
        record = self.get(job_id)
        if record is None or record["status"] in FINAL:
            return record
        folder = self.results / job_id
        (folder / "cancel").touch()
        future = self.futures.get(job_id)
        if future is not None:
            future.cancel()  # withdrawn if still waiting: its done-callback (_finished) records "cancelled"
        return self.get(job_id)

    def close(self) -> None:
        """Stop the workers; running jobs are cancelled first (they would be marked failed at the next start)."""
        for job_id in list(self.futures):
            self.cancel(job_id)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _close_orphans(self) -> None:
        for folder in self.results.iterdir():
            if job_folder(self.results, folder.name) is None:
                continue
            record = read_json(folder / "job.json")
            if record is not None and record.get("status") not in FINAL:
                update_job(folder, status="failed", finished=now(), error="the server stopped before it finished")


def _brief(result: dict | None) -> dict | None:
    """The few numbers a list of runs shows."""
    if not result:
        return None
    keys = ("status", "mip_gap", "welfare", "shortfall", "people_short", "check", "extra_budget")
    return {k: result[k] for k in keys if k in result}
