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


def sorted_items(table: dict) -> list:
    return sorted(table.items())


def test_a_pool_task_gets_its_arguments_as_they_were_at_the_submit():
    """The caller goes on changing what it submitted (the front builds from the data P_Q was handed with): the
    task still sees the values of the submit, and pickling never meets a dict that changes size."""
    from allocator.procedures.executors import process_pool

    with process_pool(1) as pool:
        table = {i: i for i in range(100_000)}
        future = pool.submit(sorted_items, table)
        for i in range(100_000, 200_000):
            table[i] = i
        assert future.result() == [(i, i) for i in range(100_000)]


def test_instance_data_pickles_without_its_derived_frames():
    """A worker gets the instance and the scenario, not the frames a build cached (they are computed again)."""
    import pickle

    from allocator.api import prepare

    data = prepare("gen:S:0", {})
    before = len(pickle.dumps(data))
    regions = data.regions  # a cached frame
    copy = pickle.loads(pickle.dumps(data))
    assert len(pickle.dumps(data)) == before and sorted(vars(copy)) == ["instance", "scenario"]
    assert copy.regions.equals(regions)


class Finalised:
    """Writes to ``path`` when it is freed (with what it holds itself: at an interpreter's teardown the modules'
    names may be gone)."""

    def __init__(self, path: str):
        self.fd, self.write, self.close = os.open(path, os.O_WRONLY | os.O_CREAT), os.write, os.close

    def __del__(self):
        self.write(self.fd, b"freed")
        self.close(self.fd)


def keep_until_exit(path: str) -> int:
    from allocator.procedures.executors import WORKER_CACHE

    WORKER_CACHE["kept"] = Finalised(path)
    return os.getpid()


def test_a_spawned_worker_ends_without_freeing_what_it_built(tmp_path):
    """What a worker keeps (its model) is not freed object by object at its exit: the process just ends."""
    from allocator.procedures.executors import process_pool

    marker = tmp_path / "freed.txt"
    with process_pool(1) as pool:
        assert pool.submit(keep_until_exit, str(marker)).result() != os.getpid()
    Finalised(str(tmp_path / "here.txt"))  # freed at once in this process: the class does write when freed
    assert (tmp_path / "here.txt").read_text() == "freed" and marker.read_text() == ""


def imported(module: str) -> bool:
    import sys

    return module in sys.modules


def test_a_pool_with_preload_starts_its_workers_at_once_with_those_modules_imported():
    """``preload``: the worker starts when the pool is made, not at its first task, and has imported the modules by
    the time a task runs; without it, the worker starts at the first task and imports only what the task needs."""
    import multiprocessing

    from allocator.procedures.executors import process_pool

    module = "allocator.procedures.sweep"
    children = len(multiprocessing.active_children())
    with process_pool(1, preload=(module,)) as pool:
        assert len(multiprocessing.active_children()) == children + 1
        assert pool.submit(imported, module).result()
    with process_pool(1) as pool:
        assert len(multiprocessing.active_children()) == children
        assert not pool.submit(imported, module).result()


def test_ctrl_c_interrupts_a_workers_task_but_not_an_idle_worker():
    """A terminal's Ctrl-C reaches every process of a command: a task under way is interrupted (its caller hears of
    it), an idle worker stays (no traceback of its task loop; the pool shuts it down as usual)."""
    import signal

    from allocator.procedures.executors import process_pool

    with process_pool(1) as pool:
        worker = pool.submit(pid_after, 0.0).result()
        os.kill(worker, signal.SIGINT)  # idle
        time.sleep(0.5)
        assert pool.submit(pid_after, 0.0).result() == worker
        busy = pool.submit(pid_after, 30.0)
        time.sleep(1.0)
        os.kill(worker, signal.SIGINT)
        assert isinstance(busy.exception(timeout=10), KeyboardInterrupt)
        assert pool.submit(pid_after, 0.0).result() == worker


ORPHAN = """
import os, sys
from allocator.procedures.executors import process_pool
sys.path.insert(0, {here!r})
from test_executors import pid_after
pool = process_pool(1)
print(pool.submit(pid_after, 0.0).result(), flush=True)
os._exit(0)  # ends without shutting its pool down, as after a Ctrl-C
"""


def test_a_worker_ends_when_its_pools_process_ends_without_shutting_it_down():
    """An idle worker holds both ends of its task pipe, so it would wait for a task for ever after its caller's
    ``os._exit``; it ends with the caller instead."""
    import subprocess
    import sys
    from pathlib import Path

    code = ORPHAN.format(here=str(Path(__file__).parent))
    worker = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                timeout=60).stdout.strip())
    deadline = time.time() + 10
    while time.time() < deadline and Path(f"/proc/{worker}").exists():
        time.sleep(0.1)
    alive = Path(f"/proc/{worker}").exists()
    if alive:
        os.kill(worker, 9)
    assert not alive


def pyomo_lock_and_start_method() -> tuple[str | None, str]:
    """The name of Pyomo's import-time lock (None: a lock of this process's own) and this process's start method."""
    import multiprocessing

    from pyomo.common import dependencies

    return dependencies.capture_output_lock._semlock.name, multiprocessing.get_start_method()


def test_what_a_preloaded_module_makes_at_its_import_is_the_workers_own():
    """Pyomo makes a multiprocessing lock at its import: in a preloaded worker it is a lock of the worker's own (no
    name the resource tracker would have to clean up after a killed worker), and the worker's start method stays
    spawn."""
    from allocator.procedures.executors import process_pool

    with process_pool(1, preload=("pyomo.environ",)) as pool:
        assert pool.submit(pyomo_lock_and_start_method).result() == (None, "spawn")
