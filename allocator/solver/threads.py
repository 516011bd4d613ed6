"""HiGHS's thread pool, sized for each run: two threads for a MIP that runs alone, one where runs overlap.

HiGHS 1.15 keeps one pool of threads per process.  At the root of a MIP it computes the analytic centre
of the LP relaxation (an interior-point solve, for its central-rounding heuristic) and looks for symmetry
as tasks beside the root LP; with a pool of one thread they run in turn with it.  A MIP that runs alone
(no other HiGHS run in this process beside it) is therefore given :data:`SOLO_THREADS`: nl's own MIP
4.14 → 3.53 s, a λ 1,000 what-if's 4.0–4.1 → 3.5 s (its analytic centre is computed twice, before and after
a restart), λ 3,000 / 4,000 / 500 1.60 / 1.53 / 2.67 → 1.42 / 1.43 / 2.52 s, α 2 and λ 8,000 unchanged;
HiGHS reaches the same plan and bound with either pool (those runs alone through highspy, each twice;
docs/performance.md).  Its tree search stays serial: more threads do not help.  The cost is memory: the
analytic centre's copy of the LP is held beside the root LP (peak RSS of `regio solve` on nl 432 → 456–461 MB,
of the ten-year programme 3.10 → 3.35–3.37 GB, whose time stays within noise).

The pool's size can change only while no run uses it: HiGHS refuses a run whose ``threads`` option differs
from its pool, and a pool must not be torn down under a run.  Runs that overlap (a what-if's W_max on a twin
beside the scenario's own solve, :func:`side_by_side`) share a pool of one thread each way, as before; a run
that finds the pool busy at two threads waits until it is free, so no two runs ever share two threads.  Local
workers of a front or a sweep take a core each (:mod:`allocator.procedures.executors`): there every run asks
for one thread too (:func:`one_thread_each`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import highspy

SOLO_THREADS = 2  # HiGHS threads of a MIP that runs alone: its root's analytic centre beside the root LP


class ThreadPool:
    """Who uses HiGHS's pool and at what size (one per process: :data:`POOL`)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._active = 0  # runs using the pool now
        self._size = 0  # threads of the pool as last set here (0: not yet)
        self._beside = 0  # blocks in which runs may overlap (:func:`side_by_side`)

    def wanted(self, mip: bool, threads: int | None) -> int:
        """The threads a run asks for: the scenario's ``threads`` if set, else :data:`SOLO_THREADS` for a MIP
        while no runs overlap, else one; never more than the machine's cores."""
        if threads:
            wanted = int(threads)
        else:
            wanted = SOLO_THREADS if mip and not self._beside else 1
        return max(1, min(wanted, os.cpu_count() or 1))

    def acquire(self, wanted: int) -> int:
        """Join the pool for one run; returns its size, which the run's ``threads`` option must equal.

        An idle pool is resized to ``wanted``; a busy pool of one thread is joined at one; a busy pool of more
        is waited for."""
        with self._changed:
            while self._active and self._size > 1:
                self._changed.wait()
            if not self._active and self._size != wanted:
                highspy.Highs.resetGlobalScheduler(True)
                self._size = wanted
            self._active += 1
            return self._size

    def release(self) -> None:
        """Leave the pool (the run has ended)."""
        with self._changed:
            self._active -= 1
            self._changed.notify_all()

    def overlapping(self, more: int) -> None:
        """``more`` (±1) blocks in which HiGHS runs may overlap: while any is open every run asks for one thread."""
        with self._changed:
            self._beside += more

    @contextmanager
    def side_by_side(self) -> Iterator[None]:
        """Within the block HiGHS runs may overlap: every run asks for one thread."""
        self.overlapping(1)
        try:
            yield
        finally:
            self.overlapping(-1)



POOL = ThreadPool()


def side_by_side():
    """:meth:`ThreadPool.side_by_side` of the process's pool."""
    return POOL.side_by_side()


def one_thread_each() -> None:
    """From now on every run of this process asks for one thread (a worker process beside others: the pool's
    initializer)."""
    POOL.overlapping(1)
