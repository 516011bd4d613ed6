"""Benchmark (not a test): our p-median models against pysal spopt's ``PMedian``, both solved by HiGHS.

spopt brings geopandas and the pysal stack, so it runs in its own environment::

    python -m venv /tmp/spopt && /tmp/spopt/bin/pip install spopt -e .
    /tmp/spopt/bin/python -m tests.benchmarks.spopt_compare --group tuning --time-limit 300   # from the checkout

Both sides get the same shortest-path cost matrix (:func:`regio_instances.orlib.read_pmedian`), unit weights,
the same p, HiGHS with relative gap 10⁻⁹ and the same time limit, one thread each.  spopt builds its
arc model in PuLP (``PMedian.from_cost_matrix``) and solves it through PuLP's highspy interface; ours is
the form ``regio orlib`` chooses (:func:`formulations.pmedian_radius.prefers_radius`).  Build seconds
run from the cost matrix in memory to the solver holding the model (spopt: model built in PuLP; PuLP
hands it to HiGHS inside ``solve``, so its solve seconds include that hand-over).  Prints one row per
file and writes JSON (``--json-out``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from allocator.check import check_location
from allocator.location.solve import solve_location
from regio_instances.orlib import read_pmedian
from tests.benchmarks.pmed_groups import HELD_OUT, TUNING

DATA = Path(__file__).resolve().parents[2] / "instances" / "orlib" / "pmed"


def ours(problem, time_limit: float) -> dict:
    answer = solve_location(problem, time_limit=time_limit, mip_gap=1e-9, threads=1)
    rep = answer.report
    y, share = answer.solution()
    check_location(problem, y, share, rep.objective).raise_if_failed()
    return {"formulation": answer.formulation, "build_seconds": rep.build_seconds, "solve_seconds": rep.solve_seconds,
            "objective": rep.objective, "status": rep.status.value, "sites_in_model": answer.sites_in_model,
            "stages": "+".join(f"{s['stage']} {s['sites']}" for s in answer.stages)}


def spopt(problem, time_limit: float) -> dict:
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(problem.cost, np.ones(problem.cost.shape[0]), p_facilities=int(problem.p),
                                     name=problem.name)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=1e-9, threads=1))
    return {"formulation": "arc (PuLP)", "build_seconds": built, "solve_seconds": time.perf_counter() - t1,
            "objective": pulp.value(model.problem.objective), "status": pulp.LpStatus[model.problem.status]}


def group_files(group: str) -> list[str]:
    """The files of ``group`` (:mod:`tests.benchmarks.pmed_groups`) with at least 300 vertices, by number."""
    names = {"tuning": TUNING, "held-out": HELD_OUT, "all": TUNING + HELD_OUT}[group]
    return sorted((f for f in names if read_pmedian(DATA / f"{f}.txt").cost.shape[0] >= 300), key=lambda f: int(f[4:]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", help="pmed files (default: --group's)")
    ap.add_argument("--group", choices=["tuning", "held-out", "all"], default="all",
                    help="the files of tests/benchmarks/pmed_groups.py with n ≥ 300 when no file is named")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--json-out", default="spopt_compare.json")
    a = ap.parse_args()
    optima = {line.split()[0]: float(line.split()[1]) for line in (DATA / "pmedopt.txt").read_text().splitlines()
              if line.strip() and line.split()[0].startswith("pmed")}
    rows = []
    print("| file | n | p | published | regio stages (sites) | regio build + solve (s) | regio objective | "
          "spopt build + solve (s) | spopt objective | speed-up |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for name in a.files or group_files(a.group):
        problem = read_pmedian(DATA / f"{name}.txt")
        r, s = ours(problem, a.time_limit), spopt(problem, a.time_limit)
        rows.append({"file": name, "n": problem.cost.shape[0], "p": problem.p, "published": optima.get(name),
                     "regio": r, "spopt": s})
        ratio = (s["build_seconds"] + s["solve_seconds"]) / (r["build_seconds"] + r["solve_seconds"])
        print(f"| {name} | {problem.cost.shape[0]} | {problem.p} | {optima.get(name, '')} | {r['stages']} | "
              f"{r['build_seconds']:.2f} + {r['solve_seconds']:.2f} | {r['objective']:.2f} ({r['status']}) | "
              f"{s['build_seconds']:.1f} + {s['solve_seconds']:.1f} | {s['objective']:.2f} ({s['status']}) | "
              f"{ratio:.0f}× |", flush=True)
    Path(a.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
