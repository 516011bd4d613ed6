"""Benchmark (not a test): our AUGMECON2 front against pyaugmecon's AUGMECON-R on the same Pyomo model.

pyaugmecon pins numpy < 2, so it runs in its own environment::

    python -m venv /tmp/bench && /tmp/bench/bin/pip install pyaugmecon -e .
    /tmp/bench/bin/python tests/benchmarks/pyaugmecon_compare.py [INSTANCE] --points 7 --time-limit 60

Both sides get the model of :func:`allocator.build.build_model` for the instance's default scenario,
the same number of grid values (extremes included), HiGHS with the same relative gap and time limit
per solve, and one worker process.  pyaugmecon asks ``SolverFactory(name, solver_io=..., manage_env=True)``,
which no Pyomo HiGHS interface accepts, and drops every truthy solver option; the factory registered
below hands it Pyomo's ``appsi_highs`` with our gap and time limit instead.  Its worker processes are
started with *spawn*: forked after HiGHS has run in the parent, they hang.  Its objectives are W
(max) and the shortfall measure (min), given as an ``ObjectiveList`` as it requires.

Prints both times, both fronts, and whether they agree point by point (relative 10⁻⁴ in W, 0.5
persons in Q), and writes the figures as JSON (``--json-out``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import pyomo.environ as pyo
from pyomo.opt import SolverFactory

from allocator.build import build_model
from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.pareto import pareto_front
from allocator.scenario import resolve_scenario
from formulations.min_service import measure_scale, measure_var


SOLVER = "appsi_highs_for_pyaugmecon"


def _highs_for_pyaugmecon(**_ignored):
    """appsi_highs with the gap and time limit of this run (environment, so spawned workers see them too)."""
    opt = pyo.SolverFactory("appsi_highs")
    opt.config.mip_gap = float(os.environ.get("REGIO_BENCH_GAP", "1e-4"))
    opt.config.time_limit = float(os.environ.get("REGIO_BENCH_TIME_LIMIT", "60"))
    opt.config.load_solution = True
    return opt


if SOLVER not in SolverFactory:  # at import, so pyaugmecon's spawned worker processes have it too
    SolverFactory.register(SOLVER, doc="appsi_highs, ignoring pyaugmecon's extra arguments")(_highs_for_pyaugmecon)


def run_pyaugmecon(data: InstanceData, points: int, solver: str) -> tuple[list[tuple[float, float]], float, int]:
    from pyaugmecon import PyAugmecon

    m, _ = build_model(data)
    m.objective.deactivate()
    m.obj_list = pyo.ObjectiveList()
    m.obj_list.add(expr=m.welfare.W, sense=pyo.maximize)
    m.obj_list.add(expr=measure_var(m, data.scenario), sense=pyo.minimize)
    for o in m.obj_list.values():
        o.deactivate()
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)  # pyaugmecon writes its log and pickle relative to the working folder
        try:
            opts = {"name": "regio", "grid_points": points, "solver_name": solver, "cpu_count": 1,
                    "output_excel": False, "logging_folder": "logs", "pickle_file": "model.p"}
            t0 = time.perf_counter()
            solver_run = PyAugmecon(m, opts, {"MIPGap": None, "NonConvex": None})
            solver_run.solve()
            seconds = time.perf_counter() - t0
        finally:
            os.chdir(here)
    front = sorted(((float(w), float(q)) for w, q in solver_run.get_pareto_solutions()), key=lambda p: -p[1])
    return front, seconds, int(solver_run.model.models_solved.value())


def compare(instance: str | None, points: int, time_limit: float, mip_gap: float) -> dict:
    inst = load_instance(instance)
    sc = resolve_scenario(inst, None, {"solver": {"time_limit": time_limit, "mip_gap": mip_gap}})
    data = InstanceData.prepare(inst, sc)
    unit = measure_scale(sc)
    t0 = time.perf_counter()
    ours = pareto_front(data, points=points)
    ours_seconds = time.perf_counter() - t0
    our_points = [(w, q) for w, q in zip(ours.points["welfare"], ours.points["measure"])]
    our_solves = 4 + int((ours.grid["outcome"] == "solved").sum())
    os.environ["REGIO_BENCH_GAP"], os.environ["REGIO_BENCH_TIME_LIMIT"] = str(mip_gap), str(time_limit)
    theirs, their_seconds, their_solves = run_pyaugmecon(data, points, SOLVER)
    theirs = [(w, q * unit) for w, q in theirs]
    agree = len(theirs) == len(our_points) and all(
        abs(w1 - w2) <= 1e-4 * max(1.0, abs(w1)) and abs(q1 - q2) <= 0.5 for (w1, q1), (w2, q2) in zip(our_points, theirs))
    return {"instance": data.instance.name, "points": points, "time_limit": time_limit, "mip_gap": mip_gap,
            "regio_seconds": ours_seconds, "regio_solves": our_solves, "regio_front": our_points,
            "regio_statuses": list(ours.points["status"]), "pyaugmecon_seconds": their_seconds,
            "pyaugmecon_solves": their_solves, "pyaugmecon_front": theirs, "same_points": agree}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance", nargs="?", default=None)
    ap.add_argument("--points", type=int, default=7)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()
    # pyaugmecon forks its workers by default; a fork of a process whose HiGHS thread pool is running hangs
    multiprocessing.set_start_method("spawn", force=True)
    res = compare(a.instance, a.points, a.time_limit, a.mip_gap)
    print(f"{res['instance']}: {a.points} grid values, time limit {a.time_limit:g} s and gap {a.mip_gap:g} per solve")
    print(f"regio      {res['regio_seconds']:8.1f} s, {res['regio_solves']} solves, {len(res['regio_front'])} points")
    print(f"pyaugmecon {res['pyaugmecon_seconds']:8.1f} s, {res['pyaugmecon_solves']} solves, {len(res['pyaugmecon_front'])} points")
    for label, front in (("regio", res["regio_front"]), ("pyaugmecon", res["pyaugmecon_front"])):
        print(f"  {label:<10} " + "  ".join(f"({w:,.2f}, {q:,.0f})" for w, q in front))
    print("same points:", res["same_points"])
    if a.json_out:
        a.json_out.write_text(json.dumps(res, indent=2, default=float))


if __name__ == "__main__":
    main()
