"""What-ifs on a warm model: one built model per instance, re-solved while only costs and bounds change.

A planner's what-if usually changes one knob. Knobs that enter only the objective or the solver's options
are applied to the model already built and handed to HiGHS — λ (``shortfall_price``), the mode (weighted
or lexicographic, which sets objectives and stage bounds itself), the time limit, the MIP gap, the seed —
and so is the extra money E_max, the right-hand side of Σ E ≤ E_max (:data:`RIGHT_HAND_SIDES`), and the
hold-harmless mode with its corridor and cap (:data:`HOLD_HARMLESS`): the modes that bound a region's
total share one row per region, so switching between them, or to ``none``, sets that row's bounds (a
model built under ``none`` has no such rows, and a switch to region-domain needs its domain rows: both
rebuild). The welfare weights — α (``equity_alpha``), the welfare curve's slopes and loss aversion, β
(``liveability_value``, while it stays positive or zero) — enter W only through the row W = Σ coef·var
(:func:`formulations.welfare.welfare_terms`), so they are applied by restating that row's coefficients in
HiGHS (:data:`WELFARE_WEIGHTS`). The start is the last plan's sites, in the weighted mode offered as a whole
plan (completed by an LP from the last LP's basis, so HiGHS skips its own); after a change of λ in the weighted
mode they are improved in their neighbourhood first (:mod:`allocator.procedures.neighbourhood`: on nl it
found the better plan after λ changes and nothing, in 0.85 s, after changes of α, the slopes, the money
or the hold-harmless rule, so it runs only for λ). Any other change (the curve's breakpoints, norms,
eligibility, forced sites) changes the bounds, the rows or the reach sets, and the model is rebuilt, with
the last plan's sites as its start (:func:`start_from_last_sites`), searched where the new model's LP
relaxation disagrees with them (:func:`allocator.procedures.neighbourhood.relaxation_start`), unless a
model of that structure built for an earlier what-if is still kept (:data:`KEPT_MODELS`): it then becomes
the live model and is re-solved like any warm one.  An answer is always the answer of the model its
scenario describes, which the checker re-verifies after every solve. W_max (for the price of fairness),
when a change moves it, is solved on a twin of the model beside the scenario's own solve (two cores: the what-if waits for the longer, not the sum), and kept per
scenario without λ, mode and solver settings, so going back to a scenario asked before does not solve it
again. A weighted what-if whose λ lies between (or on) λ's solved before on the model with the same other
settings may be proven by their bounds without HiGHS (:mod:`allocator.procedures.price_bounds`): so is
a scenario asked before, by its own.
HiGHS presolves the whole model again for each what-if; its MIP solves stop that presolve early
(:func:`resolve_presolve_limit`; a rebuilt model's too when it starts from the last plan), and in the
weighted mode a re-solve runs no RENS (:data:`RESOLVE_HEURISTICS`).
After a warm change the live model is the one in HiGHS; the Pyomo rows keep the coefficients they were built
with.

Everything outside :data:`OBJECTIVE_ONLY`, :data:`SOLVER_ONLY`, :data:`RIGHT_HAND_SIDES`,
:data:`HOLD_HARMLESS` and :data:`WELFARE_WEIGHTS` is the model's *structure*, compared as the resolved
scenario without those fields.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable

import numpy as np

from allocator import progress
from allocator.data import InstanceData
from allocator.model_size import SizeEstimate, at_rest_mb, estimate
from allocator.policy import Mode
from allocator.procedures.modes import Run, build, greedy_start, set_weighted_objective, solve
from allocator.procedures.neighbourhood import completed_start, neighbourhood_start, relaxation_start
from allocator.procedures.price_bounds import PriceBounds, PricedPlan, proven_stage
from allocator.results import Solution
from allocator.scenario import Scenario
from formulations.hold_harmless import bound_or_none, domain_floors, region_total_bounds
from formulations.min_service import measure_var
from formulations.objective import shortfall_cost
from formulations.welfare import welfare_coefficients, welfare_variables

# scenario fields that enter only the objective or the solver's options (see the module docstring)
OBJECTIVE_ONLY = ("name", "description", "shortfall_price", "mode")
SOLVER_ONLY = ("time_limit", "mip_gap", "seed", "verbose")
# scenario field -> the row whose upper bound it is (formulations.budget: Σ_pd E_pd ≤ E_max)
RIGHT_HAND_SIDES = {"extra_budget": lambda m: m.budget.extra_limit}
# fields that set the bounds of the hold-harmless rows (formulations.hold_harmless)
HOLD_HARMLESS = ("hold_harmless", "corridor_down", "corridor_up", "per_capita_cap")
# fields that change only the coefficients of W's row (formulations.welfare.welfare_terms)
WELFARE_WEIGHTS = ("equity_alpha", "liveability_value")
WELFARE_CURVE_WEIGHTS = ("slopes", "loss_aversion")
RESOLVE_PRESOLVE_SHARE = 0.4  # a what-if's presolve stops after this share of the rows in reductions
# HiGHS's RENS sub-MIP around the root LP is left out of a what-if's MIP solves: they start from the last plan,
# which RENS seldom improves and where it can take most of the solve.  nl, λ 2,000 → 3,000 from the last plan's
# neighbourhood (already the optimum): 20.2 s of HiGHS, 14.8 s of it in six nested sub-MIPs (depth 10), against
# 5.1-5.4 s without RENS.  Seven λ what-ifs (500-8,000) 57.0 → 39.3 s; α, slopes, money and hold-harmless
# what-ifs (one node each) and gen:M:0's and gen:L:0's λ what-ifs within noise; the same optima throughout.
# Only in the weighted mode: a lexicographic what-if's first stage (min Q) starts far from the last plan, and
# without RENS nl's took 20.2-23.6 s against 12.9-13.8 s (with α 2: 20.1-20.2 against 18.8-20.0 s).
RESOLVE_HEURISTICS = {"mip_heuristic_run_rens": False}
SHELVED_MODELS = 4  # structures whose stored solves a warm model keeps for a rebuild (each up to MAX_PLANS plans)
# built models of other structures a warm model keeps, newest last: going back to a norm asked before switches to
# its model instead of building it again (nl: a build 1.7-1.9 s, about 70 MB a model; the default after a GP norm
# of 4 km 3.0 → 1.1 s through the web app).  Two cover comparing a norm or two with the default; fewer are kept
# where they and the live model's estimate would exceed the scenario's memory budget (solver.memory_limit_mb).
KEPT_MODELS = 2
# answers a warm model keeps read (tables, check, CSV and page), newest last, for a scenario asked again: its own
# earlier solve proves it, and its reading is reused instead of made again: nl through the web app, request to view,
# α 2 asked again 0.45-0.48 → 0.13 s, a GP norm of 4 km asked again 0.52 → 0.17 s.  A reading of nl holds about
# 19 MB (tables 13.6, CSV 4.0, page 1.1): four cover going back and forth between a few scenarios
READINGS_KEPT = 4


def resolve_presolve_limit(hm) -> int:
    """⌈:data:`RESOLVE_PRESOLVE_SHARE` · rows⌉: the reductions HiGHS's presolve may make in a what-if's MIP solves.

    HiGHS presolves again after any change, and on nl the last fifth of its reductions takes most of that
    presolve (``perf``: dominated columns and dual fixing): a what-if's full presolve makes 12,394
    reductions in 1.1-1.2 s, the first 9,838 (0.4 of the 24,596 rows) in 0.3 s.  Thirteen nl what-ifs (α,
    λ, slopes, money, hold-harmless), each run twice: HiGHS 0.1-2.1 s faster in 25 of 26 runs, λ 3,000
    once 1.1 s slower; gen:L:0's 13 what-ifs faster in 25 of 26 runs, gen:M:0's 12 of 13 within noise or
    faster and λ 1,000 1.3 → 2.4 s.  A cold solve gains nothing (nl 7.4-8.1 s either way), nor does the
    W-Q front (150.5 / 154.4 s), and the extra-budget stages lose (24.5 → 41.5 s), so only what-ifs set it,
    and only for the scenario's and W_max's MIPs: the neighbourhood's sub-MIP and the LPs fix thousands of
    columns, each fixing one reduction.  A shorter presolve leaves HiGHS a bigger model, not a different
    one: the same optimum in every run.  A model rebuilt for a what-if (a norm) and started from the last plan's
    sites gains too: nl, GP norm 4 / 6 / 3 km, 20.5-23.0 s → 16.2-17.7 s for the three (three runs each way),
    the same optima; without RENS as well it lost again (22.2 s).  See docs/performance.md, "A what-if's presolve".
    """
    return math.ceil(RESOLVE_PRESOLVE_SHARE * hm.n_rows)


def scenario_fields(scenario: Scenario, exclude) -> dict:
    """The resolved scenario's fields without ``exclude`` and without the solver settings of :data:`SOLVER_ONLY`."""
    fields = scenario.model_dump(mode="json", exclude=set(exclude))
    fields["solver"] = {k: v for k, v in fields["solver"].items() if k not in SOLVER_ONLY}
    return fields


def answer_key(data: InstanceData, mode: str | None) -> str:
    """The instance, the mode and the whole resolved scenario: one key, one answer."""
    return f"{data.instance.name}\n{mode or data.scenario.mode}\n{data.scenario.model_dump_json()}"


def structure_key(scenario: Scenario) -> str:
    """The resolved scenario without the fields a warm model takes as they come (same key: same matrix)."""
    fields = scenario_fields(scenario, {*OBJECTIVE_ONLY, *RIGHT_HAND_SIDES, *WELFARE_WEIGHTS, *HOLD_HARMLESS})
    fields["welfare"] = {k: v for k, v in fields["welfare"].items() if k not in WELFARE_CURVE_WEIGHTS}
    fields["liveability"] = scenario.liveability_value > 0  # a positive β adds the liveability block
    return json.dumps(fields, sort_keys=True)


def welfare_max_key(data: InstanceData) -> str:
    """What W_max (max W with the minimum service ignored) depends on: the scenario without λ, mode and solver."""
    return f"{data.instance.name}\n{json.dumps(scenario_fields(data.scenario, OBJECTIVE_ONLY), sort_keys=True)}"


def hold_harmless_rows(data: InstanceData) -> set[str]:
    """The hold-harmless rows the scenario needs: ``region_total`` unless none, ``domain_floor`` for region-domain."""
    needed = {"region_total": region_total_bounds(data), "domain_floor": domain_floors(data)}
    return {name for name, bounds in needed.items() if bounds is not None}


def restate_hold_harmless(run: Run, data: InstanceData) -> None:
    """Bounds of the built hold-harmless rows as ``data``'s mode says; a row the mode does not need is left free."""
    b, hm = run.model.hold_harmless, run.highs
    if hasattr(b, "region_total"):
        lower, upper = region_total_bounds(data) or (None, None)  # none: every region total free
        for r, con in b.region_total.items():
            hm.set_row_bounds(con, None if lower is None else bound_or_none(lower[r]),
                              None if upper is None else bound_or_none(upper[r]))
    if hasattr(b, "domain_floor"):
        floor = domain_floors(data)
        for key, con in b.domain_floor.items():
            hm.set_row_bounds(con, None if floor is None else floor[key], None)


def start_from_last_sites(run: Run, facilities) -> bool:
    """Offer a rebuilt model the last plan's sites (``facilities``: site_id, open) as its start; whether it did.

    A norm changes who is within reach of a site, not which sites may open: the last plan stays a plan, and
    a near one, instead of the greedy's.  A site the new model fixes (one nobody is within reach of any more
    is closed; a forced one open or closed) takes its fixed value; the dive for a start is then left out,
    unless a site had to open, which costs money the last plan may not have (the dive keeps whichever start
    is better).  nl, gp_practice 4 / 6 / 4 / 6 km, each after going back to the default (itself a rebuild):
    47.4 s with the greedy's start and the dive, 33.0 s from the last plan with the dive, 30.0 s without it;
    every answer optimal and checked.
    """
    m, hm = run.model, run.highs
    last = facilities.set_index("site_id")["open"].reindex(run.data.sites.index).to_numpy(float)
    y = [m.facilities.open[j] for j in run.data.sites.index]
    cols = np.array([-1 if c is None else c for c in map(hm.col_of, y)], dtype=np.int64)
    known = (cols >= 0) & ~np.isnan(last)  # a site of the last plan with a column in the new model
    if not known.any():
        return False
    values, columns = last[known], cols[known].astype(np.int32)
    lower, upper = hm.col_bounds(columns)
    fixed = np.clip(values, lower, upper)
    hm.start = (columns, fixed)  # what hm.start_from would offer, without looking the columns up again
    run.dive = bool((fixed > values).any())
    return True


def welfare_weights(scenario: Scenario) -> tuple:
    """The fields of :data:`WELFARE_WEIGHTS` and the curve's slopes and loss aversion, to compare two scenarios."""
    curve = scenario.welfare
    return (*(getattr(scenario, f) for f in WELFARE_WEIGHTS), tuple(curve.slopes), curve.loss_aversion)


def restate_welfare(run: Run, data: InstanceData) -> None:
    """Put W's coefficients under ``data``'s weights into HiGHS: row W − Σ coef·var = constant (the columns of
    its variables found once per built model)."""
    m, hm = run.model, run.highs
    if run.welfare_columns is None:
        run.welfare_columns = hm.cols_in_order(welfare_variables(m, data))
    coefs = welfare_coefficients(data, list(m.liveability.point))
    sign = hm.coefficient(m.welfare.definition, m.welfare.W)  # the compiled row may be stored negated
    hm.set_coefficients(m.welfare.definition, run.welfare_columns, -sign * coefs)


class WhatIf:
    """Solve scenarios of one instance one after another, rebuilding only when the structure changes.

    ``rebuilt`` says whether the last :meth:`solve` built a new model.
    """

    def __init__(self) -> None:
        self.run: Run | None = None
        self.key: str | None = None
        self.rebuilt = False
        self.welfare_max: dict[str, tuple[float, float | None]] = {}  # W_max and its gap per welfare_max_key
        self.prices = PriceBounds()  # the built model's weighted solves, per welfare_max_key
        self.shelf: dict[str, PriceBounds] = {}  # those of the last few structures built, newest last
        self.last_key: str | None = None  # the welfare_max_key of the last what-if
        self.models: dict[str, Run] = {}  # built models of other structures, newest last (:data:`KEPT_MODELS`)
        self.readings: dict[str, tuple] = {}  # per answer_key, the reading of its answer, newest last (READINGS_KEPT)
        # the page's sections of an answer, drawn while HiGHS proves it (modes.read_ahead; the API sets it)
        self.draw_page: Callable[[InstanceData, Solution], str] | None = None

    def solve(self, data: InstanceData, mode: str | None = None, indicators: bool = True) -> Run:
        """The solved run of ``data`` (a snapshot: later what-ifs do not change it).

        ``indicators``: inequality, price of fairness (W_max) and marginal welfare (off: a sweep's row).
        """
        key = f"{data.instance.name}\n{structure_key(data.scenario)}"
        self._switch_to_kept(key, data)
        if self.run is not None and key == self.key:
            data.share_frames(self.run.data)
        self.rebuilt = self.run is None or key != self.key or not hold_harmless_rows(data) <= self._built_rows()
        weighted = Mode(mode or data.scenario.mode) == Mode.WEIGHTED
        w_key, cost = welfare_max_key(data), shortfall_cost(data)
        last, moved = None, False
        if self.rebuilt:
            progress.report(phase="building")
            last = self.run.solution if self.run is not None else None
            self.models.pop(key, None)  # one kept without the hold-harmless rows this scenario needs: replaced
            if self.run is not None and key != self.key:  # trimmed to the budget before the new model takes memory
                self._keep(self.key, self.run, estimate(data), data.scenario.solver.memory_limit_mb)
            self.run, self.key = None, None  # a failed build leaves no half-built model behind
            self.run, self.key = build(data, greedy=last is None), key
            self.run.highs.root_lp_without_presolve()  # a what-if may free the region totals at any time
            self.prices = self._shelved_prices(key)
            progress.stop_if_requested("building the model")
        else:
            moved = self._restate(data, weighted)
            self.run.mip_options = {"presolve_reduction_limit": resolve_presolve_limit(self.run.highs),
                                    **(RESOLVE_HEURISTICS if weighted else {})}
        self.run.completed_lp = self.run.relaxed_start = None  # a stopped what-if's start is not this one's
        o = data.scenario.solver
        proven = proven_stage(self.prices, w_key, cost, o.mip_gap, self.run.highs, o.time_limit) if weighted else None
        # after a move of λ alone, the best stored plan at the new λ; after any other change the last plan is nearer
        base = self.prices.best(w_key, cost) if weighted and w_key == self.last_key else None
        if proven is not None:
            self.run.highs.values, self.run.dive = proven[0].plan.values, False
        elif self.rebuilt and last is not None:  # without a last plan the greedy's start, as a cold solve
            self._start_rebuilt(last, weighted)
        elif not self.rebuilt:
            self._start(moved, base, weighted)
        if proven is None and weighted:
            self.run.known_bound = self.prices.known_bound(w_key, cost)
        if self.run.w_max is None and w_key in self.welfare_max:  # a scenario asked before: W_max is known
            self.run.w_max, self.run.w_max_gap = self.welfare_max[w_key]
        progress.report(phase="solving", seconds=0.0, time_limit=data.scenario.solver.time_limit)
        answer = answer_key(data, mode)
        solve(self.run, mode, indicators=indicators, beside=True, draw=self.draw_page,
              stages=None if proven is None else [("weighted", proven[1])],
              reading=self.readings.get(answer) if proven is not None and indicators else None)
        self._keep_reading(answer, indicators)
        if self.run.w_max is not None:
            self.welfare_max[w_key] = (self.run.w_max, self.run.w_max_gap)
        if weighted and proven is None:
            self._record(w_key)
        self.last_key = w_key
        return copy.copy(self.run)

    def _switch_to_kept(self, key: str, data: InstanceData) -> None:
        """Make the kept model of ``key``'s structure the live one (the live one is kept in its place), when
        there is one with the hold-harmless rows ``data`` needs; it is then re-solved like any warm model."""
        run = self.models.get(key)
        if key == self.key or run is None or not hold_harmless_rows(data) <= built_rows(run):
            return
        del self.models[key]
        if self.run is not None:
            self._keep(self.key, self.run, run.size, data.scenario.solver.memory_limit_mb)
        self.run, self.key = run, key
        self.prices = self._shelved_prices(key)

    def _keep(self, key: str, run: Run, live: SizeEstimate | None, limit_mb: float) -> None:
        """Keep a built model for a later what-if of its structure, beside the ``live`` one; the oldest go while
        more than :data:`KEPT_MODELS` are kept or they would take the live model's estimate over ``limit_mb``
        (the scenario's memory budget; each kept model at :func:`allocator.model_size.at_rest_mb`)."""
        self.models.pop(key, None)
        self.models[key] = run
        room = limit_mb - (live.memory_mb if live is not None else 0.0)
        while self.models and (len(self.models) > KEPT_MODELS
                               or sum(at_rest_mb(r.size) for r in self.models.values() if r.size) > room):
            self.models.pop(next(iter(self.models)))

    def _shelved_prices(self, key: str) -> PriceBounds:
        """The stored solves of this structure's last build if the new build has its matrix, else none."""
        fingerprint = self.run.highs.fingerprint()
        prices = self.shelf.pop(key, None)
        if prices is None or prices.fingerprint != fingerprint:
            prices = PriceBounds(fingerprint)
        self.shelf[key] = prices
        while len(self.shelf) > SHELVED_MODELS:
            self.shelf.pop(next(iter(self.shelf)))
        return prices

    def forget_solves(self) -> None:
        """Drop every stored solve, every stored W_max, every kept reading and every kept model but the live one (a
        benchmark's what-ifs then start from the same point: a scenario asked before solves its W_max again; the
        live model keeps the W_max of its last scenario)."""
        self.prices.clear()
        self.welfare_max.clear()
        self.readings.clear()
        self.shelf = {k: v for k, v in self.shelf.items() if v is self.prices}
        self.models.clear()

    def _keep_reading(self, answer: str, indicators: bool) -> None:
        """Keep the reading of the answer just made (tables, check, CSV and page: ``Run.reading``) for ``answer``."""
        reading = self.run.reading
        if not indicators or reading is None or reading[1].page_sections is None:
            return
        self.readings.pop(answer, None)
        self.readings[answer] = reading
        while len(self.readings) > READINGS_KEPT:
            self.readings.pop(next(iter(self.readings)))

    def _record(self, w_key: str) -> None:
        """Keep the weighted solve just made, its bound and its plan, for :mod:`allocator.procedures.price_bounds`."""
        run, rep = self.run, self.run.report
        if run.plan_values is None or rep.bound is None or rep.objective is None:
            return
        measure = run.plan_values[run.highs.col_of(measure_var(run.model, run.data.scenario))]
        self.prices.record(w_key, PricedPlan(run.data.scenario.shortfall_price, shortfall_cost(run.data),
                                             rep.objective, rep.bound, float(measure), run.plan_values))

    def _start(self, moved: bool, base: PricedPlan | None, weighted: bool) -> None:
        """The next solve's start: from ``base`` (the best plan at this λ among this scenario's solves at other λ's)
        or else the last plan; after a move of λ from its neighbourhood, else its sites, in the weighted mode
        completed into a whole plan (:func:`completed_start`: HiGHS then skips the LP that completes a start).

        nl, eight λ's one after another (8,000, 2,500, 1,000, 6,000, 1,500, 3,000, 500, 5,000 after the default):
        48.4 s from the last plan, 28.7-34.2 s from ``base`` (λ 500 8.3 → 2.3 s, 5,000 9.1 → 3.0 s: the last plan
        was the far end's), the same optima.  Only after a move of λ alone: after a change of α the last plan (same
        λ) is the nearer one; the sweep benchmark's λ × α grid took 33.3 s with ``base`` there, 25.0 s without.

        After a move of λ the run also fixes what the neighbourhood's plan and the LP relaxation rule out
        (:mod:`allocator.solver.reduced_costs`): HiGHS would fix them itself after its root LP and restart.  nl,
        the what-if to the page, six runs each way: λ 3,000 3.9-5.2 → 2.7-3.2 s, λ 1,000 5.9-7.6 → 5.5-6.3 s,
        λ 4,000 unchanged, the same optima.  After α, the slopes, the money or the hold-harmless rule HiGHS
        proves the last plan's neighbour at the root without a restart, and the fixing's LP only cost 0.05-0.3 s.
        """
        if base is not None:
            self.run.highs.values = base.values
        if not weighted:  # a lexicographic stage sets its own objective and bounds: HiGHS completes its start
            self.run.highs.start_from_current_integers()
            return
        set_weighted_objective(self.run)  # the starts below are made for the coming solve's objective
        self.run.prove_by_relaxation = True
        if moved:  # λ moves the sites at the margin of the minimum service
            self.run.head_start = neighbourhood_start(self.run)
            self.run.fix_by_reduced_costs = True
        else:
            self.run.highs.start_from_current_integers()
            self.run.head_start = completed_start(self.run)

    def _start_rebuilt(self, last, weighted: bool) -> None:
        """A rebuilt model's start: the last plan's sites (else the greedy's), in the weighted mode searched
        around where the new model's LP relaxation disagrees with them (:func:`relaxation_start`).

        nl, GP norm 4 / 6 / 3 km after the default, HiGHS's seconds with the start's (two runs each): 5.1-6.0 /
        1.6-1.7 / 6.6-6.7 s from the last plan's sites, 3.6-4.0 / 1.5-2.1 / 2.4-2.5 s from the relaxation's
        neighbourhood (its sub-MIP runs at 4 and 3 km, where the last plan is more than 0.1 % below the LP
        bound); the same optima.
        """
        run = self.run
        if not start_from_last_sites(run, last.facilities):
            greedy_start(run.highs, run.model, run.data)
            return
        # near its start like a re-solve: stop presolve early too (RENS stays: it finds the new norm's plan)
        run.mip_options = {"presolve_reduction_limit": resolve_presolve_limit(run.highs)}
        if weighted and not run.dive:  # a site that had to open: the dive looks for the start instead
            set_weighted_objective(run)
            searched = relaxation_start(run)
            run.head_start, run.fix_by_reduced_costs = searched.seconds, searched.sub_mip
            run.prove_by_relaxation = True

    def _restate(self, data: InstanceData, weighted: bool) -> bool:
        """Carry ``data``'s costs, bounds and weights into the built model; whether λ moved in the weighted mode."""
        before = self.run.data.scenario
        for field, row in RIGHT_HAND_SIDES.items():
            value = getattr(data.scenario, field)
            if value != getattr(before, field):
                self.run.highs.set_row_bounds(row(self.run.model), None, float(value))
                self.run.w_max = None  # W_max (price of fairness) depends on the money; λ leaves it
        if welfare_weights(data.scenario) != welfare_weights(before):
            restate_welfare(self.run, data)
            self.run.w_max = None  # W changed: so did W_max (price of fairness)
        if any(getattr(data.scenario, f) != getattr(before, f) for f in HOLD_HARMLESS):
            restate_hold_harmless(self.run, data)
            self.run.w_max = None  # W_max is solved under the same hold-harmless rule
        self.run.data = data
        self.run.build_seconds = 0.0
        return weighted and data.scenario.shortfall_price != before.shortfall_price

    def _built_rows(self) -> set[str]:
        """The hold-harmless rows the live model has (a mode needing others is a rebuild)."""
        return built_rows(self.run) if self.run is not None else set()


def built_rows(run: Run) -> set[str]:
    """The hold-harmless rows ``run``'s model has."""
    block = run.model.hold_harmless
    return {name for name in ("region_total", "domain_floor") if hasattr(block, name)}
