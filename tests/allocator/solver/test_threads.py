"""HiGHS's thread pool: two threads for a MIP alone, one where runs overlap, never a pool resized under a run."""

from __future__ import annotations

import threading
import time

import pytest

import allocator
from allocator.api import prepare
from allocator.procedures.modes import build, solve
from allocator.solver import threads as threads_module
from allocator.solver.threads import SOLO_THREADS, ThreadPool


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(threads_module.os, "cpu_count", lambda: 2)


def test_a_mip_alone_asks_for_two_threads_an_lp_or_overlapping_runs_for_one(two_cores):
    pool = ThreadPool()
    assert pool.wanted(mip=True, threads=None) == SOLO_THREADS == 2
    assert pool.wanted(mip=False, threads=None) == 1
    with pool.side_by_side():
        assert pool.wanted(mip=True, threads=None) == 1
    assert pool.wanted(mip=True, threads=None) == 2
    assert pool.wanted(mip=True, threads=1) == 1  # the scenario's setting wins
    assert pool.wanted(mip=False, threads=64) == 2  # never more than the cores


def test_a_worker_beside_others_asks_for_one_thread_from_then_on(two_cores, monkeypatch):
    pool = ThreadPool()
    monkeypatch.setattr(threads_module, "POOL", pool)
    threads_module.one_thread_each()
    assert pool.wanted(mip=True, threads=None) == 1


def test_one_core_gives_one_thread(monkeypatch):
    monkeypatch.setattr(threads_module.os, "cpu_count", lambda: 1)
    assert ThreadPool().wanted(mip=True, threads=None) == 1


def test_a_busy_pool_of_one_is_joined_and_a_busy_pool_of_two_is_waited_for():
    pool = ThreadPool()
    assert pool.acquire(1) == 1
    assert pool.acquire(2) == 1  # a MIP that finds another run going shares its single thread
    pool.release()
    pool.release()
    assert pool.acquire(2) == 2  # idle: resized
    got, started = [], threading.Event()

    def other():
        started.set()
        got.append(pool.acquire(1))
        pool.release()

    runner = threading.Thread(target=other)
    runner.start()
    started.wait(5)
    runner.join(0.3)
    assert runner.is_alive() and not got  # it waits: the pool of two is not shared or resized under the run
    pool.release()
    runner.join(5)
    assert got == [1]


def _sizes(monkeypatch) -> list[int]:
    """The pool sizes every HiGHS run of the process is given, recorded."""
    sizes, acquire = [], threads_module.POOL.acquire

    def recorded(wanted):
        size = acquire(wanted)
        sizes.append(size)
        return size

    monkeypatch.setattr(threads_module.POOL, "acquire", recorded)
    return sizes


def test_a_mip_alone_gets_two_threads_and_the_same_answer_as_with_one(two_cores, monkeypatch):
    """HiGHS's parallel root tasks do not change its path: plan, objective and bound as with one thread."""
    sizes = _sizes(monkeypatch)
    alone = solve(build(prepare("gen:M:0")), indicators=False)
    assert 2 in sizes
    one = solve(build(prepare("gen:M:0", solver={"threads": 1})), indicators=False)
    assert sizes[-1] == 1
    assert alone.report.status.value == one.report.status.value == "optimal"
    assert alone.report.objective == one.report.objective and alone.report.bound == one.report.bound
    assert (alone.solution.facilities["open"] == one.solution.facilities["open"]).all()


def test_runs_that_overlap_take_one_thread_each(two_cores, monkeypatch):
    """A what-if's W_max on a twin runs beside the scenario's own solve: neither is given two threads."""
    warm = allocator.WarmModel("gen:S:0")
    warm.solve()
    sizes = _sizes(monkeypatch)
    result = warm.solve(equity_alpha=2.0)  # W_max changes: solved beside
    assert result.status == "optimal" and result.check == "passed"
    assert sizes and set(sizes) == {1}


def test_an_interrupted_run_stops_highs_and_leaves_the_pool(monkeypatch):
    """Ctrl-C while HiGHS runs (in a Python session): HiGHS stops at its next callback and the run leaves the
    pool, so the next run can resize it."""
    from allocator.progress import SolveTicker

    run = build(prepare("nl"))
    monkeypatch.setattr(SolveTicker, "tick", lambda self, seconds: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        solve(run, indicators=False)
    monkeypatch.undo()
    interrupted = time.monotonic()
    while threads_module.POOL._active and time.monotonic() < interrupted + 30:
        time.sleep(0.05)
    assert threads_module.POOL._active == 0
    assert time.monotonic() - interrupted < 2.5  # not the whole MIP (4-5 s here): HiGHS stopped at a callback
