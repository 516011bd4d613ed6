"""Compare scenarios side by side: one row per scenario, and per-region differences to the first.

The first scenario is the baseline of the comparison.  The scenarios are solved one after another on
one warm model (:class:`~allocator.procedures.whatif.WhatIf`): a scenario that differs from the one
before only in costs, weights, money or the hold-harmless rule re-solves the model built for it, from its
plan; any other change (norms, capacities, de-earmarking, ...) builds the model again.  Each answer is
proven to its own MIP gap and re-checked, with its indicators; only one model is held at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from allocator.data import InstanceData
from allocator.units import EUR_PER_MEUR
from allocator.procedures.modes import Run
from allocator.procedures.whatif import WhatIf
from formulations.hold_harmless import baseline_totals

COLUMNS = ["scenario", "description", "status", "mip_gap", "welfare", "shortfall", "people_short", "regions_worse_off",
           "extra_money", "deearmarked_money", "sites_opened",
           "sites_closed", "gini_welfare", "theil_welfare", "regions_below_minimum", "price_of_fairness",
           "marginal_welfare_per_meur", "build_seconds", "solve_seconds", "check"]


@dataclass
class Comparison:
    table: pd.DataFrame
    regions: pd.DataFrame
    runs: list[Run]


def compare(datas: list[InstanceData]) -> Comparison:
    whatif = WhatIf()
    runs = [whatif.solve(d) for d in datas]
    rows = []
    for d, r in zip(datas, runs):
        row = {"scenario": d.scenario.name, "description": d.scenario.description,
               **(r.solution.headline() if r.solution else r.report.as_dict())}
        row["check"] = "passed" if r.check and r.check.passed else ("failed" if r.check else "no solution")
        rows.append({c: row.get(c) for c in COLUMNS})
    return Comparison(pd.DataFrame(rows, columns=COLUMNS), region_differences(datas, runs), runs)


def region_differences(datas: list[InstanceData], runs: list[Run]) -> pd.DataFrame:
    """Per region and scenario: municipal total (programmes + the sites the municipal account pays, as
    hold-harmless counts them) and coverage, and the change vs the first scenario."""
    base_data = datas[0]
    regions = base_data.regions
    out = pd.DataFrame({"name": regions["name"], "province": regions["province"] if "province" in regions else "",
                        "population": regions["population"], "baseline_meur": baseline_totals(base_data)})
    first = None
    for d, r in zip(datas, runs):
        if r.solution is None:
            continue
        sol = r.solution
        total = sol.region_totals.set_index("region_id")["plan_municipal_meur"]
        cover = sol.region_coverage.groupby("region_id")["covered_share"].mean()
        name = d.scenario.name
        out[f"{name}: total_meur"] = total
        out[f"{name}: coverage_share"] = cover
        if first is None:
            first = (name, total, cover)
        else:
            out[f"{name}: change_vs_{first[0]}_per_inhabitant_eur"] = (total - first[1]) * EUR_PER_MEUR / out["population"]
            out[f"{name}: coverage_change_vs_{first[0]}"] = cover - first[2]
    return out.rename_axis("region_id").reset_index()
