"""Where tasks run: with ``here=True`` one slot is a thread of this process, the others spawned processes."""

from __future__ import annotations

import os
import time

from allocator.procedures.executors import HereAndPool, InlineExecutor, executor


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_here_and_pool_uses_this_process_first_then_the_pool():
    with HereAndPool(2) as ex:
        assert ex.slots == 2
        here = ex.submit(pid_after, 1.0)
        there = ex.submit(pid_after, 0.0)  # this process's slot is busy: the pool takes it
        elsewhere = ex.submit_elsewhere(pid_after, 0.0)
        assert here.result() == os.getpid()
        assert there.result() != os.getpid() and elsewhere.result() != os.getpid()
        assert ex.submit(pid_after, 0.0).result() == os.getpid()  # free again


def test_one_worker_runs_inline():
    with executor(1, here=True) as ex:
        assert isinstance(ex, InlineExecutor)
