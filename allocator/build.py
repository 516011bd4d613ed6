"""Build: run the formulation blocks in order on one ConcreteModel (no solver involved)."""

from __future__ import annotations

import time

import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations import BLOCKS


def build_model(data: InstanceData) -> tuple[pyo.ConcreteModel, dict[str, float]]:
    """The allocation model of ``data`` and the seconds each block took to build."""
    m = pyo.ConcreteModel(name=f"regio:{data.instance.name}:{data.scenario.name}")
    timings = {}
    for name, add in BLOCKS:
        t0 = time.perf_counter()
        add(m, data)
        timings[name] = time.perf_counter() - t0
    return m, timings
