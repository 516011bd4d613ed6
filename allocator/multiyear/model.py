"""Build and solve a programme: the one-year blocks per year on one model, the links, one HiGHS solve.

The build puts year t's one-year model on ``m.year[t]`` (:data:`formulations.BLOCKS`, each on the year's
data, the year's outlays attached first) and links the years (:mod:`formulations.dynamics`).  The
start offered to HiGHS is the one-year greedy plan (:func:`allocator.greedy.greedy_sites`) kept in every
year (new sites serve once their lead time has passed), or, when monitoring, the realised past and the
programme's own plan for the years after it; HiGHS completes it by an LP.  The reported gap is HiGHS's proven gap of the whole programme model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from allocator.greedy import greedy_sites
from allocator.model_size import check_size
from allocator.multiyear.horizon import Horizon
from allocator.solver.highs import HighsModel
from allocator.status import Deadline, SolveReport
from formulations import BLOCKS
from formulations.dynamics import add_programme_decisions, add_programme_links, outlay_frame


OVERSPEND_COST = 1e-6  # objective per M€ of realised extra money above the yearly cap (a tie-break, see fix_past)


@dataclass
class ProgrammeRun:
    horizon: Horizon
    model: pyo.ConcreteModel
    highs: HighsModel
    build_seconds: float
    report: SolveReport | None = None


def build_programme(h: Horizon) -> ProgrammeRun:
    """The programme model of ``h`` on a persistent HiGHS model, with a start and the realised past fixed."""
    check_size(h.data, copies=h.T)  # a programme is T one-year models
    t0 = time.perf_counter()
    deadline = Deadline(h.data.scenario.solver.time_limit)
    m = pyo.ConcreteModel(name=f"regio-programme:{h.data.instance.name}:{h.data.scenario.name}")
    with PauseGC():
        add_programme_decisions(m, h)
        m.year = pyo.Block(range(1, h.T + 1))
        for t, data in enumerate(h.year_data, start=1):
            yb = m.year[t]
            yb.outlay_terms = outlay_frame(m, h, t)
            for _, add in BLOCKS:
                add(yb, data)
            yb.objective.deactivate()
            deadline.check(f"year {h.years[t - 1]}")
        add_programme_links(m, h)
        if h.fixed is not None:
            fix_past(m, h)
    hm = HighsModel(m, verbose=h.data.scenario.solver.verbose)
    deadline.check("handing the model to HiGHS")
    seconds = time.perf_counter() - t0
    _offer_start(m, h, hm)
    return ProgrammeRun(h, m, hm, seconds)


def solve_programme(run: ProgrammeRun) -> ProgrammeRun:
    """One weighted solve of the whole programme with the scenario's solver settings."""
    o = run.horizon.data.scenario.solver
    run.report = run.highs.solve(time_limit=o.time_limit, mip_gap=o.mip_gap, threads=o.threads, seed=o.seed,
                                 build_seconds=run.build_seconds)
    return run


def _offer_start(m, h: Horizon, hm: HighsModel) -> None:
    greedy = greedy_sites(h.data)
    sites = h.data.sites
    lead = sites["ftype_id"].map(h.lead).to_numpy()
    existing = sites["existing"].to_numpy(bool)
    variables, values = [], []
    past = _past_sites(h)
    planned = None
    if h.fixed is not None and h.fixed.planned_sites is not None:
        planned = {yr: g.set_index("site_id")["open"] for yr, g in h.fixed.planned_sites.groupby("year")}
    for t in range(1, h.T + 1):
        y = greedy.to_numpy(float) * (existing | (t > lead))
        if past is not None and h.years[t - 1] < h.fixed.from_year:
            y = _realised_open(past, h.years[t - 1], sites.index)
        elif past is not None:  # after the realised past: the programme's plan (else the greedy plan), with
            last = _realised_open(past, h.fixed.from_year - 1, sites.index)  # every realised closure kept
            if planned is not None:
                y = _realised_open(planned, h.years[t - 1], sites.index)
            y = np.where(existing, np.minimum(y, last), np.maximum(y * (t > lead), last))
        variables.extend(m.year[t].facilities.open[j] for j in sites.index)
        values.extend(y)
    starts = h.fixed.project_starts if h.fixed is not None else {}  # the realised starts; none when planning
    for (pid, t), z in m.project_start.items():
        variables.append(z)
        values.append(1.0 if starts.get(pid) == h.years[t - 1] else 0.0)
    hm.start_from(variables, np.asarray(values, dtype=float))


def _realised_open(past: dict, year: int, index) -> np.ndarray:
    """Realised open (1) / closed (0) per site in ``year``, 0 where the realised table has no row."""
    state = past.get(year)
    return np.zeros(len(index)) if state is None else state.reindex(index).fillna(0).to_numpy(float)


def _past_sites(h: Horizon):
    if h.fixed is None:
        return None
    s = h.fixed.sites
    return {yr: g.set_index("site_id")["open"] for yr, g in s.groupby("year")}


def fix_past(m, h: Horizon) -> None:
    """Monitoring: the years before ``from_year`` take the realised spending, sites and project starts.

    Their hold-harmless rows are lifted and the yearly cap on extra money gets a slack ``overspend`` (what
    happened, happened: the checker reports any such breach as a deviation, :mod:`allocator.multiyear.check`);
    the slack costs ``OVERSPEND_COST`` per M€ in the objective, so it is used only where the realised money
    needs it, and is 0 when the realised past kept the cap.  The later years keep every rule, phase-in from
    the realised last year included.
    """
    f = h.fixed
    spend = f.spending.set_index(["region_id", "domain_id", "year"])["plan"]
    past = _past_sites(h)
    for t, year in enumerate(h.years, start=1):
        if year >= f.from_year:
            continue
        yb = m.year[t]
        for (r, d), v in zip(yb.budget.spend.keys(), spend.reindex(
                [(r, d, year) for r, d in yb.budget.spend.keys()]).to_numpy(float)):
            if v == v:  # fixed by bounds, not .fix(): a fixed Pyomo variable would leave the compiled model
                yb.budget.spend[r, d].setlb(float(v))
                yb.budget.spend[r, d].setub(float(v))
        open_ = past.get(year)
        if open_ is not None:
            for j, v in open_.items():
                if j in yb.facilities.open:
                    yb.facilities.open[j].setlb(int(round(float(v))))
                    yb.facilities.open[j].setub(int(round(float(v))))
        if hasattr(yb, "hold_harmless"):
            yb.hold_harmless.deactivate()
        b = yb.budget
        b.extra_limit.deactivate()
        b.overspend = pyo.Var(bounds=(0, None))
        b.extra_limit_realised = pyo.Constraint(expr=sum(b.extra.values()) - b.overspend <= h.data.scenario.extra_budget)
        m.objective.set_value(m.objective.expr - OVERSPEND_COST * b.overspend)
    for (pid, t), z in m.project_start.items():
        year = h.years[t - 1]
        if year < f.from_year:
            v = 1 if f.project_starts.get(pid) == year else 0
            z.setlb(v)
            z.setub(v)
