"""Small instances built in code for hand-solved model tests."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

import allocator
from allocator.instance import from_frames
from allocator.procedures.modes import Run
from tests.conftest import TINY_MANIFEST, tiny_tables

ROOT = Path(__file__).resolve().parents[1]  # the project folder

LINEAR = {"breakpoints": [1.0], "slopes": [1.0], "loss_aversion": 1.0}  # f(x) = mw·(x − b) up to 2b


def money_only(regions: list[tuple], domains: list[tuple], streams: list[tuple], baseline: list[tuple]) -> dict:
    """Tables with regions, domains, streams and baseline, and no facilities at all.

    regions: (id, population, bw_index, tags); domains: (id, marginal_welfare);
    streams: (id, domain, amount, theta); baseline: (region, domain, amount).
    """
    return {
        "regions": pd.DataFrame([{"region_id": r, "name": r, "population": p, "bw_index": bw, "province": "P",
                                  "tags": t} for r, p, bw, t in regions]),
        "domains": pd.DataFrame([{"domain_id": d, "name": d, "marginal_welfare": mw} for d, mw in domains]),
        "streams": pd.DataFrame([{"stream_id": s, "name": s, "domain_id": d, "amount": a, "deearmark_share": th}
                                 for s, d, a, th in streams]),
        "baseline": pd.DataFrame(baseline, columns=["region_id", "domain_id", "amount"]),
        "facility_types": pd.DataFrame(columns=["ftype_id", "name", "domain_id", "norm", "norm_unit", "required_share",
                                                "welfare_value", "basic_package"]),
        "demand_points": pd.DataFrame(columns=["point_id", "region_id", "name", "population", "lat", "lon"]),
        "sites": pd.DataFrame(columns=["site_id", "ftype_id", "region_id", "name", "lat", "lon", "existing",
                                       "operating_cost", "opening_cost", "capacity"]),
    }


def instance(tables: dict):
    return from_frames(TINY_MANIFEST, tables)


def run(tables: dict | None = None, mode: str | None = None, **scenario) -> Run:
    """Solve through the public API (:func:`allocator.solve`) and return its run; the checker must pass on every
    solution a test produces."""
    result = allocator.solve(instance(tables if tables is not None else tiny_tables()), mode=mode, **scenario).run
    if result.check is not None:
        result.check.raise_if_failed()
    return result


# HiGHS's log line for a starting solution it tried and found feasible (tests of the starts)
MIP_STARTS = re.compile(r"MIP start solution is feasible, objective value is (\S+)")


def log_highs_to(highs_model, path) -> None:
    """Send HiGHS's log of every later solve on ``highs_model`` to ``path`` (not to the console)."""
    highs_model.set_option("log_file", str(path))
    highs_model.set_option("log_to_console", False)
    highs_model.set_option("output_flag", True)


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``code``, sorted."""
    shown = f"import sys; {code}; print(sorted(m for m in {tuple(modules)!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", shown], capture_output=True, text=True, check=True).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])
