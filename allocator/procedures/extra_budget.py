"""The VNG question: the least *extra* money that brings the shortfall to ε with no region worse off.

All stages run on ONE built model (persistent HiGHS; only bounds and costs change):

0. floor:   Q_floor = min Q with unlimited extra money (what no budget can fix: no site within the norm);
1. price:   E* = min Σ_d E_d  s.t. hold-harmless (the scenario's mode) and Q ≤ target, target = max(ε, Q_floor);
2. plan:    max W  s.t. Σ_d E_d ≤ E*, Q ≤ target (the best plan at that price);
3. contrast (redistribution): max W  s.t. E = 0, hold-harmless rows switched off, Q ≤ target —
   who would lose how much if the minimum were paid by moving money between regions instead.
   It runs with HiGHS's presolve off: with the hold-harmless rows gone and Q held at its floor, the
   presolved model's root LP failed at once and HiGHS retried it with an LP presolve whose column
   stuffing ran past the time limit with no bound (nl: 86 s, bound 25,281 against W 10,525, 140 %
   "gap").  Without presolve the same stage is proven optimal in about 30 s.

The command's status is the worst status of every stage it reports, the contrast included, and
``mip_gap`` the largest gap; ``region_totals`` (plan and contrast) say who gains and who loses,
facilities included, and ``regions_worse_off`` counts the plan's regions below their baseline.

A stage's optimum bounds the next stage with a small slack (5 persons, €100);
if HiGHS calls the bounded stage infeasible on rounding, the slack grows tenfold
(at most twice) and the stage's name reports the slack used.  Stages that do not
maximise W leave the welfare curve's segment variables free, so W is only
reported for stages 2 and 3, which maximise it.

When Q_floor > ε the regions and facility types that block the minimum are listed
(:func:`allocator.prechecks.unservable`) and the price is that of the lowest
reachable shortfall, instead of a bare "infeasible".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from allocator.check import check
from allocator.data import InstanceData
from allocator.procedures.modes import Run, solve_stage, build, shortfall_slack
from allocator.prechecks import unservable
from allocator.results import Solution, extract
from allocator.status import SolveReport, Status, worst_status
from formulations.min_service import measure_scale, measure_var

def money_slack(amount: float) -> float:
    """Room above a stage's extra money: 10⁻⁶ relative, at least €100."""
    return max(1e-6 * amount, 1e-4)


SLACKS = (1.0, 10.0, 100.0)  # multiples of the shortfall slack tried in turn
CONTRAST_OPTIONS = {"presolve": "off"}  # see the module docstring, stage 3


@dataclass
class ExtraBudgetResult:
    extra_budget: float | None
    status: Status
    epsilon: float
    target_shortfall: float | None
    shortfall_floor: float | None
    blocked: pd.DataFrame
    plan: Solution | None
    plan_check: object
    contrast: Solution | None
    contrast_status: Status
    contrast_check: object
    region_effects: pd.DataFrame | None
    stages: list[tuple[str, SolveReport]]

    @property
    def losers_if_redistributed(self) -> int | None:
        if self.region_effects is None:
            return None
        return int((self.region_effects["redistribution_change_meur"] < -1e-6).sum())

    @property
    def regions_worse_off(self) -> int | None:
        """Regions whose plan total, facilities included, is below their baseline (0 under region rules)."""
        return self.plan.regions_worse_off if self.plan is not None else None

    @property
    def proven(self) -> bool:
        return all(s.status == Status.OPTIMAL for _, s in self.stages)

    def as_dict(self) -> dict:
        return {
            "extra_budget": self.extra_budget, "status": self.status.value, "epsilon": self.epsilon,
            "target_shortfall": self.target_shortfall, "shortfall_floor": self.shortfall_floor,
            "blocked": self.blocked.to_dict("records"),
            "welfare": self.plan.welfare if self.plan else None, "shortfall": self.plan.shortfall if self.plan else None,
            "shortfall_unit": "person-services",
            "people_short": self.plan.people_short if self.plan else None,
            "mip_gap": max((s.mip_gap or 0.0) for _, s in self.stages) if self.stages else None,
            "check": self.plan_check.verdict() if self.plan_check else None,
            "regions_worse_off": self.regions_worse_off,
            "losers_if_redistributed": self.losers_if_redistributed,
            "redistribution": {
                "status": self.contrast_status.value,
                "mip_gap": self.contrast.report.mip_gap if self.contrast else None,
                "proven": self.contrast_status == Status.OPTIMAL,
                "welfare": self.contrast.welfare if self.contrast else None,
                "check": self.contrast_check.verdict() if self.contrast_check else None,
                "moved_meur": float(self.region_effects["redistribution_change_meur"].clip(lower=0).sum())
                if self.region_effects is not None else None,
            },
            "stages": [{"stage": n, **s.as_dict()} for n, s in self.stages],
        }


def least_extra_budget(data: InstanceData, epsilon: float = 0.0) -> ExtraBudgetResult:
    """Stages 0-3 above on one built model; ε in persons (or as a share for shortfall_measure = worst)."""
    run = build(data)
    m, hm = run.model, run.highs
    hm.root_lp_without_presolve()  # the redistribution contrast frees the region totals on this model
    q = measure_var(m, data.scenario)
    unit = measure_scale(data.scenario)  # ε, floor and target are reported in persons (or a share)
    q_lo, q_hi = hm.bounds(q)
    extra = list(m.budget.extra.values())
    stages: list[tuple[str, SolveReport]] = []
    blocked = unservable(data)

    hm.set_row_bounds(m.budget.extra_limit, None, None)
    hm.set_objective([(q, 1.0)], maximize=False)
    floor_rep = solve_stage(run)
    stages.append(("shortfall floor (unlimited extra money)", floor_rep))
    if not floor_rep.status.has_solution:
        return _failed(floor_rep.status, epsilon, blocked, stages)
    q_floor = hm.value(q) * unit
    target = max(epsilon, q_floor)
    hm.set_objective([(e, 1.0) for e in extra], maximize=False)
    for room in SLACKS:  # HiGHS can call the exact floor infeasible on rounding: widen, and say so
        slack = room * (shortfall_slack(target) if unit > 1 else 1e-6)
        hm.set_bounds(q, q_lo, (target + slack) / unit)
        hm.start_from_current_integers()
        price_rep = solve_stage(run)
        if price_rep.status != Status.INFEASIBLE:
            break
    stages.append((f"least extra money (Q ≤ target + {slack:g})", price_rep))
    if not price_rep.status.has_solution:
        return _failed(price_rep.status, epsilon, blocked, stages, target, q_floor)
    e_star = sum(hm.value(e) for e in extra)
    e_cap = e_star + money_slack(e_star)

    hm.set_row_bounds(m.budget.extra_limit, None, e_cap)
    hm.set_objective([(m.welfare.W, 1.0)], maximize=True)
    hm.start_from_current_integers()
    plan_rep = solve_stage(run)
    stages.append(("best plan at that price", plan_rep))
    plan_data = InstanceData(data.instance, data.scenario.with_changes(extra_budget=e_cap))
    plan, plan_check = _extract(run, plan_data, plan_rep)

    hm.set_row_bounds(m.budget.extra_limit, None, 0.0)
    for con in m.hold_harmless.component_data_objects(pyo.Constraint, active=True):
        hm.set_row_bounds(con, None, None)
    hm.start_from_current_integers()  # the plan's sites are feasible here whenever E* = 0
    contrast_rep = solve_stage(run, CONTRAST_OPTIONS)
    stages.append(("redistribution (E = 0, no hold-harmless)", contrast_rep))
    contrast_data = InstanceData(data.instance, data.scenario.with_changes(extra_budget=0.0, hold_harmless="none"))
    contrast, contrast_check = _extract(run, contrast_data, contrast_rep)

    effects = region_effects(data, plan, contrast) if plan is not None else None
    status = worst_status(s.status for _, s in stages)
    return ExtraBudgetResult(e_star, status, epsilon, target, q_floor, blocked, plan, plan_check, contrast,
                             contrast_rep.status, contrast_check, effects, stages)


def _extract(run: Run, data: InstanceData, rep: SolveReport):
    if not rep.status.has_solution:
        return None, None
    sol = extract(run.model, run.highs, data, rep)
    result = check(data, sol)
    return sol, result


def _failed(status, epsilon, blocked, stages, target=None, q_floor=None) -> ExtraBudgetResult:
    return ExtraBudgetResult(None, status, epsilon, target, q_floor, blocked, None, None, None, Status.ERROR, None,
                             None, stages)


def region_effects(data: InstanceData, plan: Solution, contrast: Solution | None) -> pd.DataFrame:
    """Per region: baseline total and its change under the extra-money plan and under redistribution
    (M€ and €/inhabitant), facilities included (:mod:`allocator.region_totals`)."""
    mine = plan.region_totals
    out = mine[["region_id", "name", "province", "population", "baseline_total_meur"]].rename(
        columns={"baseline_total_meur": "baseline_meur"})
    out["plan_change_meur"] = mine["change_meur"].to_numpy()
    out["plan_change_per_inhabitant_eur"] = mine["change_per_inhabitant_eur"].to_numpy()
    if contrast is not None:
        theirs = contrast.region_totals
        out["redistribution_change_meur"] = theirs["change_meur"].to_numpy()
        out["redistribution_change_per_inhabitant_eur"] = theirs["change_per_inhabitant_eur"].to_numpy()
        out["redistribution_programme_change_meur"] = theirs["programme_change_meur"].to_numpy()
        out["redistribution_facilities_change_meur"] = theirs["facilities_change_meur"].to_numpy()
    return out
