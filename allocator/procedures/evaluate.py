"""A regiotoets: score a given plan (allocation + facility decisions) against the optimum.

A plan is the ``allocation.csv`` (region_id, domain_id, plan) and
``facilities.csv`` (site_id, open) that ``regio solve`` writes, or the status
quo (baseline spending, existing sites).  Steps, all on one built model:

1. read and validate the plan (file, row and column named on bad input);
2. check the constraints that the plan alone decides (hold-harmless, the
   money each domain could at most receive, forced sites, last-site rule,
   maximum closures) and report each violation by name: nothing is repaired;
3. fix x and y on the persistent model and solve the rest (flows, coverage,
   shortfall follow from the plan), then extract and check;
4. free them again and solve for the optimum: the gaps in W and Q and the
   region-by-region differences.
"""

from __future__ import annotations

import csv
import io

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.check import CheckResult, Violation, Checker, check_hold_harmless, check_policy_limits
from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.export import unquote_cells
from allocator.files import read_text
from allocator.procedures.modes import Run, build, solve
from allocator.results import Solution
from allocator.status import SolveReport, Status
from allocator.tables import Column, Table, parse_table

PLAN_ALLOCATION = Table("allocation", (
    Column("region_id", "id", "region"), Column("domain_id", "id", "domain"),
    Column("plan", "float", "planned programme spending, M€/yr", check="nonnegative"),
), key=("region_id", "domain_id"), extra_columns_allowed=True)
PLAN_FACILITIES = Table("facilities", (
    Column("site_id", "id", "site", unique=True), Column("open", "int", "1 open, 0 closed", check="nonnegative"),
), key=("site_id",), extra_columns_allowed=True)


@dataclass
class Plan:
    spend: pd.Series      # (region_id, domain_id) -> M€
    open: pd.Series       # site_id -> 0/1
    source: str


@dataclass
class Evaluation:
    plan_source: str
    violations: list[Violation]
    report: SolveReport | None
    solution: Solution | None
    check: CheckResult | None
    optimum: Run | None
    region_table: pd.DataFrame | None

    @property
    def feasible(self) -> bool:
        return not self.violations and self.solution is not None

    def as_dict(self) -> dict:
        opt = self.optimum.solution if self.optimum else None
        return {
            "plan": self.plan_source, "feasible": self.feasible,
            "violations": [str(v) for v in self.violations],
            "status": self.report.status.value if self.report else "not solved",
            "welfare": self.solution.welfare if self.solution else None,
            "shortfall": self.solution.shortfall if self.solution else None, "shortfall_unit": "person-services",
            "people_short": self.solution.people_short if self.solution else None,
            "regions_worse_off": self.solution.regions_worse_off if self.solution else None,
            "check": self.check.verdict() if self.check else None,
            "optimum_status": self.optimum.report.status.value if self.optimum else None,
            "optimum_welfare": opt.welfare if opt else None, "optimum_shortfall": opt.shortfall if opt else None,
            "welfare_gap": (opt.welfare - self.solution.welfare) if opt and self.solution else None,
            "shortfall_gap": (self.solution.shortfall - opt.shortfall) if opt and self.solution else None,
        }


def read_plan_csv(path: Path, issues: IssueCollector) -> pd.DataFrame | None:
    """A plan table as text cells; an empty, unreadable or badly quoted file is an input issue naming it."""
    try:
        text = read_text(path, "plan table", within=path.parent)
        header = text.split("\n", 1)[0]
        dutch = ";" in header and "," not in header  # written with --csv nl: semicolons, decimal commas
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=";" if dutch else ",")
        if dutch:
            numbers = [c for c in frame.columns if c not in ("region_id", "domain_id", "site_id", "ftype_id", "name",
                                                                "region_name", "decision")]
            frame[numbers] = frame[numbers].apply(lambda col: col.str.replace(",", ".", regex=False))
        return frame
    except InputError as err:
        for issue in err.issues:
            issues.add(issue.file, issue.message)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as err:
        issues.add(str(path), f"not a readable CSV table: {str(err).splitlines()[0] if str(err) else 'empty file'}")
    return None


def read_plan(folder: str | Path, data: InstanceData) -> Plan:
    """Read ``allocation.csv`` and ``facilities.csv`` from a plan folder; every problem is named."""
    folder = Path(folder)
    issues = IssueCollector()
    frames = {}
    for table in (PLAN_ALLOCATION, PLAN_FACILITIES):
        path = folder / table.file
        if not path.exists():
            issues.add(str(path), f"missing file: a plan needs {table.file}")
            continue
        raw = read_plan_csv(path, issues)
        if raw is None:
            continue
        raw = unquote_cells(raw)
        frames[table.name] = parse_table(raw, table, str(path), issues)
    issues.raise_if_any()
    alloc, fac = frames["allocation"], frames["facilities"]
    for frame, col, known, label in ((alloc, "region_id", data.regions.index, "allocation.csv"),
                                     (alloc, "domain_id", data.domains.index, "allocation.csv"),
                                     (fac, "site_id", data.sites.index, "facilities.csv")):
        bad = ~frame[col].isin(known)
        for r in np.flatnonzero(bad.to_numpy())[:20]:
            issues.add(str(folder / label), f"unknown {col} '{frame[col].iloc[r]}'", row=int(r) + 2, column=col)
    not_binary = ~fac["open"].isin([0, 1])
    for r in np.flatnonzero(not_binary.to_numpy())[:20]:
        issues.add(str(folder / "facilities.csv"), f"open must be 0 or 1, found {fac['open'].iloc[r]:g}", row=int(r) + 2, column="open")
    issues.raise_if_any()
    spend = alloc.set_index(["region_id", "domain_id"])["plan"].reindex(data.baseline.index, fill_value=0.0)
    opened = fac.set_index("site_id")["open"].reindex(data.sites.index)
    if opened.isna().any():
        missing = opened.index[opened.isna()][:10].tolist()
        raise InputError(InputIssue(str(folder / "facilities.csv"), f"{int(opened.isna().sum())} site(s) missing, e.g. {missing}"))
    return Plan(spend, opened.astype(int), str(folder))


def status_quo(data: InstanceData) -> Plan:
    """Baseline spending and the existing sites."""
    return Plan(data.baseline.copy(), data.sites["existing"].astype(int), "status quo")


def plan_violations(data: InstanceData, plan: Plan) -> list[Violation]:
    """Constraints the plan alone decides, recomputed directly (model.md 2, 3, 8)."""
    c = Checker(1e-6)
    sc, sites = data.scenario, data.sites
    y = plan.open.reindex(sites.index).to_numpy(float)
    site_cost = pd.Series(sites["unit_cost"].to_numpy() * y, index=sites.index)
    accounts = pd.MultiIndex.from_product([data.pools, data.domains.index], names=["pool", "domain_id"])
    spend_d = plan.spend.groupby(level="domain_id").sum()
    spend_d.index = pd.MultiIndex.from_product([[PROGRAMME_PAYER], spend_d.index])
    need = spend_d.reindex(accounts, fill_value=0.0) + \
        site_cost.groupby([sites["pool"], sites["domain_id"]]).sum().reindex(accounts, fill_value=0.0)
    st = data.streams
    own = st.groupby(["pool", "domain_id"])["amount"].sum().reindex(accounts, fill_value=0.0)
    movable = st["theta"] * st["amount"]
    inflow = pd.Series([float(movable[(st["pool"] == p) & (st["domain_id"] != d)].sum()) for p, d in accounts],
                       index=accounts)
    labels = [f"{p}/{d}" for p, d in accounts]
    c.leq("2 domain balance per payer (at most its own streams + its de-earmarkable money elsewhere + extra)", labels,
          need.to_numpy(), (own + inflow + sc.extra_budget).to_numpy())
    total = need.groupby(level="pool").sum()
    c.leq("2 total budget per payer (its streams + extra)", list(total.index), total.to_numpy(),
          (st.groupby("pool")["amount"].sum().reindex(total.index, fill_value=0.0) + sc.extra_budget).to_numpy())
    check_hold_harmless(c, data, plan.spend, site_cost)
    check_policy_limits(c, data, plan.open)
    return c.out


def evaluate(data: InstanceData, plan: Plan, compare_optimum: bool = True) -> Evaluation:
    """Steps 2-4 of the module docstring."""
    violations = plan_violations(data, plan)
    run = build(data)
    m, hm = run.model, run.highs
    fixed = [(m.budget.spend[k], float(plan.spend[k])) for k in m.budget.spend.keys()]
    fixed += [(m.facilities.open[j], float(plan.open[j])) for j in m.facilities.site]
    saved = [(v, hm.bounds(v)) for v, _ in fixed if hm.col_of(v) is not None]
    report = solution = result = None
    if not violations:
        for v, val in fixed:
            if hm.col_of(v) is not None:
                hm.set_bounds(v, val, val)
        solve(run, indicators=False)
        report, solution, result = run.report, run.solution, run.check
        if report.status == Status.INFEASIBLE:
            violations.append(Violation("2 streams and de-earmarking", "all domains",
                                        "the plan's domain spending cannot be financed within the de-earmarking limits "
                                        "of the streams (each domain alone could be, all together cannot)", 0.0))
    optimum = None
    if compare_optimum:
        for v, (lo, hi) in saved:
            hm.set_bounds(v, lo, hi)
        optimum = solve(run, indicators=False)
        optimum = Run(run.data, run.model, run.highs, run.build_seconds, run.report, run.solution, run.check)
    table = None
    if solution is not None and optimum is not None and optimum.solution is not None:
        table = _region_table(data, solution, optimum.solution)
    return Evaluation(plan.source, violations, report, solution, result, optimum, table)


def _region_table(data: InstanceData, plan: Solution, opt: Solution) -> pd.DataFrame:
    out = pd.DataFrame({"name": data.regions["name"], "population": data.regions["population"]})
    for label, sol in (("plan", plan), ("optimum", opt)):
        out[f"{label}_spending_meur"] = sol.allocation.groupby("region_id")["plan"].sum()
        cov = sol.region_coverage.groupby("region_id")["covered_share"].mean()
        out[f"{label}_coverage_share"] = cov
        out[f"{label}_shortfall_persons"] = sol.shortfall_table.groupby("region_id")["shortfall"].sum()
    out["spending_gap_meur"] = out["optimum_spending_meur"] - out["plan_spending_meur"]
    out["shortfall_gap_persons"] = out["plan_shortfall_persons"] - out["optimum_shortfall_persons"]
    return out.fillna(0.0).rename_axis("region_id").reset_index()
