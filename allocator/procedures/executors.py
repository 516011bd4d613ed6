"""Where independent solves run: in this process, in a local process pool, or on a Dask cluster.

Every caller (``pareto``, ``sweep``) uses one interface, :class:`concurrent.futures.Executor`
(``submit`` + ``as_completed``), so the code path is the same on a laptop and on a cluster:

* ``workers == 1`` and no scheduler: :class:`InlineExecutor` runs each task at ``submit`` in this
  process (no pickling, and a model built here for the payoff table is reused);
* ``workers > 1``: :class:`~concurrent.futures.ProcessPoolExecutor` with the *spawn* start method
  (a forked child would inherit HiGHS's thread pool in an undefined state), each task pickled at its
  submit (:class:`SnapshotPool`) and each worker ending without the interpreter's teardown
  (:func:`_exit_at_once`); with ``here=True`` (:class:`HereAndPool`) one of the ``workers`` slots is a
  thread of this process, which reuses the model built here, and ``workers − 1`` are spawned processes
  that build their own; with ``preload`` the processes start at once and import those modules while
  the caller goes on (:meth:`SnapshotPool.start`);
* ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``): an existing Dask distributed
  cluster, through ``Client.get_executor()`` — the same Executor interface.

Tasks are plain top-level functions with picklable arguments.  A worker keeps what is expensive
to make (a built model) in :data:`WORKER_CACHE` under a key the caller chooses, so a model is
built once per worker process, not once per task.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

from allocator.errors import InputError, InputIssue
from allocator.solver.threads import one_thread_each, side_by_side

WORKER_CACHE: dict = {}


def cached(key: str, make: Callable[[], object]):
    """The worker's object under ``key``, made once; an older key is dropped (one model per worker)."""
    if key not in WORKER_CACHE:
        WORKER_CACHE.clear()
        WORKER_CACHE[key] = make()
    return WORKER_CACHE[key]


class InlineExecutor(Executor):
    """Runs each task when it is submitted, in this process; its future is already done."""

    slots = 1

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(err, KeyboardInterrupt):
                raise
            future.set_exception(err)
        return future


class HereAndPool(Executor):
    """``workers`` slots: a thread of this process first (its model is built already), then spawned processes.

    A task goes to this process's thread when that is free, else to the pool; :meth:`submit_elsewhere`
    always uses the pool (for a task that must not share this process's model with the caller).  HiGHS
    releases the GIL while it solves, so the thread's solve and this process's own work run side by side.
    """

    def __init__(self, workers: int, preload: tuple[str, ...] = ()):
        self.pool = process_pool(workers - 1, beside_others=True, preload=preload)
        self.here = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regio-here")
        self.slots = self.pool.slots + 1
        self._here_task: Future | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._here_task is None or self._here_task.done():
            self._here_task = self.here.submit(fn, *args, **kwargs)
            return self._here_task
        return self.pool.submit(fn, *args, **kwargs)

    def submit_elsewhere(self, fn, /, *args, **kwargs) -> Future:
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.here.shutdown(wait=wait, cancel_futures=cancel_futures)
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@contextmanager
def executor(workers: int = 1, scheduler: str | None = None, here: bool = False,
             preload: tuple[str, ...] = ()) -> Iterator[Executor]:
    """An Executor for ``workers`` local processes (``here``: this one and workers − 1 others), or for Dask.

    ``preload``: modules the local processes import as they start, which they do at once (:meth:`SnapshotPool.start`).
    """
    cores = min(workers, os.cpu_count() or 1)
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise InputError(InputIssue("--scheduler", "Dask distributed is not installed: pip install 'regio[cluster]'")) from None
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise InputError(InputIssue("--scheduler", f"no Dask scheduler answers at {scheduler}: {err}")) from None
        try:
            ex = client.get_executor(pure=False)
            ex.slots = sum(client.nthreads().values()) or 1  # scheduler_info() lists at most 5 workers by default
            with side_by_side():  # a cluster's workers may be threads of this process
                yield ex
        finally:
            client.close()
    elif cores > 1:  # every core has a worker: each HiGHS run takes one thread
        with side_by_side(), (HereAndPool(cores, preload) if here else process_pool(cores, preload=preload)) as pool:
            yield pool
    else:
        yield InlineExecutor()


class SnapshotPool(ProcessPoolExecutor):
    """A process pool that pickles each task in :meth:`submit`, not later in the pool's feeder thread: a task gets
    its arguments as they were at the submit, whatever this process does with them next.

    Why: the front hands P_Q to a worker and then builds its model from the same :class:`~allocator.data.InstanceData`;
    pickled by the feeder thread while the build added derived frames to it, the submit failed three of some
    forty ``regio pareto nl --workers 2`` runs with "dictionary changed size during iteration".  Pickling here
    costs the caller 3 ms for nl's data."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(_call_pickled, pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))

    def start(self) -> None:
        """Start every worker process now rather than at the first task: each runs the pool's initializer (its
        imports) while the caller goes on.  A pool starts a process for a task when no worker is idle, so one
        empty task per worker starts them all."""
        for _ in range(self.slots):
            super().submit(os.getpid)


_task_running = threading.Event()  # in a worker: a task of the pool's is under way (:func:`_interrupted`)


def _call_pickled(task: bytes):
    """Run a task :class:`SnapshotPool` pickled at its submit."""
    _task_running.set()
    try:
        fn, args, kwargs = pickle.loads(task)
        return fn(*args, **kwargs)
    finally:
        _task_running.clear()


def process_pool(workers: int, beside_others: bool | None = None, preload: tuple[str, ...] = ()) -> SnapshotPool:
    """A pool of ``workers`` spawned processes (at most one per core: more only cost memory).

    ``beside_others`` (default: more than one worker): the cores are shared, so each HiGHS run of a worker
    takes one thread (:func:`allocator.solver.threads.one_thread_each`).  ``preload``: modules each process
    imports as it starts; the processes then start at once (:meth:`SnapshotPool.start`).
    """
    workers = max(1, min(workers, os.cpu_count() or 1))
    shared = workers > 1 if beside_others is None else beside_others
    pool = SnapshotPool(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                        initializer=_worker_start, initargs=(shared, tuple(preload)))
    pool.slots = workers
    if preload:
        pool.start()
    return pool


def _worker_start(shared: bool, preload: tuple[str, ...] = ()) -> None:
    """A spawned worker's start: one HiGHS thread a run where the workers share the cores
    (:func:`~allocator.solver.threads.one_thread_each`), the modules its tasks will need, an exit without the
    interpreter's teardown, and a Ctrl-C that interrupts only a task under way (:func:`_interrupted`)."""
    if shared:
        one_thread_each()
    _preload(preload)
    atexit.register(_exit_at_once)
    signal.signal(signal.SIGINT, _interrupted)
    threading.Thread(target=_end_with_parent, name="regio-parent-watch", daemon=True).start()


def _preload(modules: tuple[str, ...]) -> None:
    """Import ``modules`` as if while the worker's main module loads, under the platform's default start method:
    what a library makes at its import then (Pyomo's output lock) is the same as when the worker imported regio with
    its main module, a lock of its own rather than a named semaphore left to the resource tracker when the worker is
    killed ('leaked semaphore' warnings after a SIGTERM to the process group: ``timeout``, systemd)."""
    if not modules:
        return
    started_as = multiprocessing.get_start_method()
    multiprocessing.set_start_method(multiprocessing.get_all_start_methods()[0], force=True)
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        multiprocessing.set_start_method(started_as, force=True)


def _end_with_parent() -> None:
    """A worker ends when the process that made its pool ends without shutting it down (an ``os._exit`` after
    Ctrl-C, a kill): an idle worker would otherwise wait for its next task for ever, since it holds both ends of
    the pool's task pipe itself."""
    multiprocessing.parent_process().join()
    _exit_at_once()


def _interrupted(signum, frame) -> None:
    """A worker's Ctrl-C (a terminal sends it to every process of the command): a task under way is interrupted
    (its HiGHS run stops and the caller hears of it); an idle worker waits on and ends when the caller shuts the
    pool down, without a traceback of its task loop (``regio serve`` stopped by Ctrl-C)."""
    if _task_running.is_set():
        raise KeyboardInterrupt


def _exit_at_once() -> None:
    """The last thing a spawned worker does: end the process without freeing what it built object by object.

    A forked worker ends this way (``os._exit`` after its task loop); a spawned one would go on to finalise the
    interpreter, which frees its model one Python object at a time: the pool's shutdown at the end of nl's front
    took 0.72-0.80 s, 0.03 s with this.  Its results are sent by then; its output is flushed here.  The exit
    status is 0 whatever the worker did: the pool reads results and a worker's death, never its exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
