"""A what-if job runs with Python's cyclic garbage collector paused; its garbage is collected after it."""

from __future__ import annotations

import gc
import weakref

from allocator.web import worker


class _Cycle:
    def __init__(self):
        self.me = self


def test_a_what_if_pauses_the_collector_and_its_garbage_is_collected_before_the_next_job():
    assert gc.isenabled()
    with worker.collected_after(True):
        assert not gc.isenabled()
        garbage = weakref.ref(_Cycle())  # only the cyclic collector frees it
        assert garbage() is not None
    with worker.collected_after(False):  # waits for the collection after the what-if
        assert garbage() is None and gc.isenabled()
    assert gc.isenabled()


def test_other_jobs_keep_the_collector_and_a_failing_what_if_collects_too():
    with worker.collected_after(False):
        assert gc.isenabled()
    try:
        with worker.collected_after(True):
            garbage = weakref.ref(_Cycle())
            raise RuntimeError("the job failed")
    except RuntimeError:
        pass
    with worker.collected_after(False):
        assert garbage() is None and gc.isenabled()
