"""Benchmark (not a test): our p-median models against pysal spopt's ``PMedian``, both solved by HiGHS.

spopt brings geopandas and the pysal stack, so it runs in its own environment::

    python -m venv /tmp/spopt && /tmp/spopt/bin/pip install spopt -e .
    /tmp/spopt/bin/python tests/benchmarks/spopt_compare.py pmed1 pmed11 pmed16 pmed20 pmed25 --time-limit 300

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
from allocator.location.solve import build_location
from regio_instances.orlib import read_pmedian

DATA = Path(__file__).resolve().parents[2] / "instances" / "orlib" / "pmed"


def ours(problem, time_limit: float) -> dict:
    t0 = time.perf_counter()
    built = build_location(problem)
    seconds = time.perf_counter() - t0
    rep = built.highs.solve(time_limit=time_limit, mip_gap=1e-9, threads=1)
    y, share = built.solution()
    check_location(problem, y, share, rep.objective).raise_if_failed()
    return {"formulation": built.formulation, "build_seconds": seconds, "solve_seconds": rep.solve_seconds,
            "objective": rep.objective, "status": rep.status.value, "sites_in_model": int(built.candidates.sum())}


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--json-out", default="spopt_compare.json")
    a = ap.parse_args()
    optima = {line.split()[0]: float(line.split()[1]) for line in (DATA / "pmedopt.txt").read_text().splitlines()
              if line.strip() and line.split()[0].startswith("pmed")}
    rows = []
    print("| file | n | p | published | regio form | regio build + solve (s) | regio objective | "
          "spopt build + solve (s) | spopt objective |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for name in a.files:
        problem = read_pmedian(DATA / f"{name}.txt")
        r, s = ours(problem, a.time_limit), spopt(problem, a.time_limit)
        rows.append({"file": name, "n": problem.cost.shape[0], "p": problem.p, "published": optima.get(name),
                     "regio": r, "spopt": s})
        print(f"| {name} | {problem.cost.shape[0]} | {problem.p} | {optima.get(name, '')} | {r['formulation']} | "
              f"{r['build_seconds']:.1f} + {r['solve_seconds']:.1f} | {r['objective']:.2f} ({r['status']}) | "
              f"{s['build_seconds']:.1f} + {s['solve_seconds']:.1f} | {s['objective']:.2f} ({s['status']}) |", flush=True)
    Path(a.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
