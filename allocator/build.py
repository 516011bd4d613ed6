"""Build: run the formulation blocks in order on one ConcreteModel (no solver involved)."""

from __future__ import annotations

import time

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from allocator.data import InstanceData
from allocator.status import Deadline
from formulations import BLOCKS


def build_model(data: InstanceData, deadline: Deadline | None = None) -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """The allocation model of ``data`` and the seconds each block took to build.

    The cyclic garbage collector is paused meanwhile (Pyomo's ``PauseGC``): a build creates
    hundreds of thousands of small objects and no cycles worth collecting, and each collection
    pass re-scans the growing model (measured: the XL coverage block took 3.9 s with it on).
    ``deadline`` (the solve's time limit) is checked after every block: time limits bound the build too.
    """
    m = pyo.ConcreteModel(name=f"regio:{data.instance.name}:{data.scenario.name}")
    timings = {}
    with PauseGC():
        for name, add in BLOCKS:
            t0 = time.perf_counter()
            add(m, data)
            timings[name] = time.perf_counter() - t0
            if deadline is not None:
                deadline.check(f"block {name}")
    return m, timings
