"""Better starts for a what-if: the sites the new scenario favours, freed in a small sub-MIP.

After a what-if changes a cost or a bound, the last plan's sites are usually a few flips away from the new
optimum, and HiGHS finds those flips only late, in a sub-MIP after its root cuts.  Here, before the run:

1. with every site fixed at the last plan, the LP of the new scenario gives each site's reduced cost d_j,
   the first-order change of the objective per unit of y_j;
2. the :data:`FREED` sites whose flip it favours most (closed with d_j > 0, open with d_j < 0, the
   objective maximised) are freed, with their partners: the other sites of the same facility type in the same
   municipality, group by group in the order of their best site's d_j while at most a tenth of the sites
   (:data:`FREED_SHARE`) are free; every other site stays as it was.  A flip the LP favours often pays only
   with its partner's flip the other way (close a candidate centre, keep the existing one beside it), which a
   reduced cost alone scores as a loss: nl, λ 2,000 → 1,000, the optimum differs from the last plan in 18
   sites, 10 of them ranked past the 300th (up to the 9,723rd), every one a partner of a site in the top 300;
3. HiGHS solves that sub-MIP, from the last plan completed by step 1's LP (a whole plan: else HiGHS solves
   that LP again, from scratch; nl, λ 4,000 / 3,000 / 1,000 / 8,000, the neighbourhood 0.61-1.09 → 0.38-0.86 s),
   for at most :data:`SECONDS` (or a twentieth of the time limit), and its plan,
   every column, becomes the start of the full solve (without a sub-MIP plan, the last plan as step 1's LP
   completed it).  A whole plan HiGHS takes as it is; a plan of sites alone it
   completes by an LP of its own, from scratch, inside its run.  The whole model's LP relaxation, solved before
   the sub-MIP, bounds it: its reduced costs keep the freed sites that cannot pay where they are, and when the
   last plan completed is within the gap of its bound already, no sub-MIP runs; the bound goes with the start,
   which it proves without a second LP (nl, eight λ's after the default: 9.6 → 7.9 s in all);
4. when that plan is still not within the gap of the bound, a second sub-MIP frees the sites where the LP
   relaxation and the plan disagree (relaxation-induced, as in :func:`relaxation_start`), from the plan: the flips
   just past the :data:`FREED` most favoured, which the relaxation holds at 1 or at a fraction.

The full solve proves the answer as before, from a better incumbent: the neighbourhood changes where the
search starts, never what is proven.  If the last plan does not fit the new scenario (a bound moved, or
the LP with its sites is not solved), nothing is tried and the start stays the last plan.  A warm model
uses it after a change of λ only (:mod:`allocator.procedures.whatif` says why); after any other change of a
weighted scenario's costs or bounds the start is the last plan's sites, completed (:func:`completed_start`).
On nl, λ 2,000 → 4,000: the LP and the sub-MIP about 0.5 s together, its plan within 0.003 % of the optimum
(the last plan is 0.06 % away); the whole what-if then takes 1.9-2.2 s (about 6 s of HiGHS from the last plan).

A rebuilt model (a norm changed) has no last LP to price the last plan's sites in, and its optimum may lie
further away: at a GP norm of 4 km instead of 5, 55 sites from the last plan, and a plan 1.3 % below the
optimum.  There :func:`relaxation_start` frees the sites where the new model's LP relaxation and the last
plan disagree (relaxation-induced neighbourhood search, Danna, Rothberg and Le Pape 2005): 150-220 of nl's
10,030, whose sub-MIP finds the optimum in about 1.2 s, where HiGHS found it after 5-7 s of cut rounds and
sub-MIPs of its own.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np

from allocator.procedures.modes import Run, marginal_dual, relaxation_source
from allocator.solver.highs import HighsModel, KnownBound
from allocator.solver.reduced_costs import Relaxation, priced_bounds, relaxation_lp
from allocator.status import Status, relative_gap

FREED = 300  # sites freed in the sub-MIP for their reduced cost
# with their partners (same facility type, same municipality), at most this share of the sites (and FREED): nl's
# 10,030 sites, 1,003; on gen:M:0 (1,936 sites) partners beyond the 300 only lengthened the sub-MIP, 0.1-0.25 s
FREED_SHARE = 0.1
SECONDS = 2.0  # at most this long for the sub-MIP (and at most a twentieth of the scenario's time limit)
# the relaxation's neighbourhood is searched only when the start on offer is further than this below the LP bound
RELAXATION_GAP = 1e-3
RELAXATION_SECONDS = 3.0  # at most this long for its sub-MIP (and at most a twentieth of the time limit)
# a stage's search from a start far from its optimum (a front's point, a payoff point, a lexicographic stage) stops
# within the gap of the LP bound, or after this long: on nl a front point's sub-MIP got there after 2.4-3.1 s with
# two threads and 4.6-5.5 s with one, where HiGHS's own run needed 7-14 s
SEARCH_SECONDS = 6.0


def neighbourhood_start(run: Run) -> float:
    """Offer the sub-MIP's plan (or the last plan, completed) as the next solve's start; return the seconds spent.

    The objective of the coming solve must be set already.
    """
    t0 = time.perf_counter()
    hm = run.highs
    sites, cols, groups = site_columns(run)
    if hm.values is None or not len(cols):
        return 0.0
    last = np.round(hm.values[cols])
    seconds = start_seconds(run, SECONDS)
    lower, upper = hm.col_bounds(cols)
    if not (np.all(last >= lower - 1e-9) and np.all(last <= upper + 1e-9)):  # a bound moved: no neighbourhood
        hm.start_from(sites, last)
        return time.perf_counter() - t0
    found = _sub_mip(hm, sites, cols, groups, last, seconds, t0, run.data.scenario.solver.mip_gap)
    plan = None if found is None else found[0]
    if plan is None or not hm.start_whole(plan):  # its sites (or the last plan's), completed
        hm.start_from(sites, last if plan is None else np.round(plan[cols]))
        completed_start(run)
    elif found[1].bound is not None:
        run.relaxed_start = found[1]
    return time.perf_counter() - t0


def completed_start(run: Run) -> float:
    """Offer the start on offer (its sites) as a whole plan: completed by the LP over every other column with
    its integer columns fixed, from the last LP's basis; return the seconds spent (nothing changes when the
    LP is not solved within :func:`start_seconds` of :data:`SECONDS`).

    HiGHS completes a partial start by an LP of its own inside the run, from scratch (0.25-0.5 s on nl); this
    one starts from the basis of the LP with the last plan's sites fixed (the marginal-welfare LP), and takes
    0.03-0.11 s.  The objective of the coming solve must be set already.
    """
    t0 = time.perf_counter()
    hm = run.highs
    if hm.start is None:
        return 0.0
    offer, hm.start = hm.start, None  # the LP must not take the start as its own
    try:
        with hm.fixed_lp(*offer):
            lp = hm.solve(time_limit=start_seconds(run, SECONDS))
            if lp.status == Status.OPTIMAL:  # the marginal-welfare LP of a plan that keeps these columns
                run.completed_lp = (offer[0].copy(), offer[1].copy(), marginal_dual(run))
    finally:
        hm.start = offer
    if lp.status == Status.OPTIMAL:
        hm.start_whole(hm.values)
    return time.perf_counter() - t0


def start_seconds(run: Run, most: float) -> float:
    """The seconds a start may take: ``most``, and at most a twentieth of the scenario's time limit."""
    limit = run.data.scenario.solver.time_limit
    return most if limit is None else min(most, limit / 20)


def _sub_mip(hm, sites: list, cols: np.ndarray, groups: np.ndarray, last: np.ndarray, seconds: float,
             t0: float, mip_gap: float) -> tuple[np.ndarray, Relaxation] | None:
    """The best plan (every column) of the neighbourhood of ``last`` (steps 1–4 of the module docstring) with its
    value and the whole model's LP relaxation bound (:func:`~allocator.solver.reduced_costs.relaxation_lp`; None
    where no sub-MIP was tried); without one (no site worth freeing, or no plan within the time) ``last``
    completed by step 1's LP; None when that LP is not solved.

    The sub-MIP stops once its plan is within ``mip_gap`` (the scenario's) of that bound: the plan is the answer
    already (nl, λ 500 / 1,500 / 2,500 after the default: 1.7 / 1.9-2.0 / 1.3-1.4 → 1.5-1.6 / 1.1 / 1.0-1.1 s to
    the answer), and it does not run when ``last`` completed is within the gap already (nl λ 1,500 and 2,500
    after the default: HiGHS's presolve alone took 0.17 s to see it).  The freed sites that the bound's reduced
    costs rule out below ``last`` stay as they are (:func:`~allocator.solver.reduced_costs.priced_bounds`): HiGHS
    would fix them itself after its root LP and restart, presolve and root LP again (nl λ 3,000, the sub-MIP
    0.84 → 0.38 s; since it holds the relaxation rows too, about as fast without them).  The sub-MIP holds the
    relaxation rows (:meth:`~allocator.solver.highs.HighsModel.tightened`:
    the capacity closure rows and the coverage cuts found so far, valid for every plan): its root LP starts where
    the bound is, and its plan comes sooner (nl λ 1,000 0.78 → 0.27-0.29 s, λ 500, 4,000, 6,000 and 8,000
    0.33-0.41 → 0.26-0.30 s, λ 3,000 0.35 s either way).  In the relaxation's neighbourhood
    (:func:`relaxation_start`) they did not pay: the nl front 55.2 → 58.0 s, a GP norm of 4 km within noise.

    A plan not within the gap of the bound gets the second neighbourhood (step 4), for the time left.  Which plan
    the first sub-MIP ends at depends on the last plan: on nl, after λ 4,000 and 3,000 the default's plan found
    again was 10,351.19 (10,351.81 cold) and the next λ 4,000's sub-MIP ended 1.2·10⁻⁴ below its bound; the
    default then took 7.0-8.3 s and λ 4,000 2.4-2.5 s of HiGHS's runs.  With the second sub-MIP (58 sites where
    the relaxation disagreed) both are proven by the bound, at the cold optima: 2.3-2.4 s and 0.8-0.9 s.  Eight
    λ's after the cold default need no second sub-MIP (6.3-6.7 s in all, as before)."""
    with hm.fixed_lp(cols, last):
        lp = hm.solve(time_limit=seconds)
        reduced = hm.lp_reduced_costs()[cols] if lp.status == Status.OPTIMAL else None
    if reduced is None:
        return None
    completed = hm.values  # the last plan, completed by this LP: the sub-MIP's start, else the answer
    favour = np.where(last < 0.5, reduced, -reduced)
    freed = _freed(favour, groups)
    if not freed.any():
        return completed, Relaxation(lp.objective)
    lower, upper = hm.col_bounds(cols)
    free_lower, free_upper = lower, upper
    proven = Relaxation(lp.objective)
    with relaxation_lp(hm, max(seconds - (time.perf_counter() - t0), 0.1),
                       enough=lambda bound: Relaxation(lp.objective, bound).proves(mip_gap)) as bound:
        proven = Relaxation(lp.objective, bound)
        relaxed = hm.lp_values()[cols] if bound is not None else None
        if bound is not None and hm.h.getInfo().num_dual_infeasibilities == 0:
            tight = priced_bounds(lower, upper, relaxed, hm.lp_reduced_costs()[cols], bound,
                                  lp.objective, last)
            if tight is not None:
                free_lower, free_upper = tight
    if bound is None or proven.proves(mip_gap):
        return completed, proven
    found = completed, proven
    neighbourhoods = ((last, freed), None)  # the second: where the relaxation and the first's plan disagree
    for around in neighbourhoods:
        plan = np.round(found[0][cols])
        at, free = around or (plan, np.abs(relaxed - plan) > 1e-6)
        left = seconds - (time.perf_counter() - t0)
        if found[1].proves(mip_gap) or not free.any() or left <= 0:
            break
        hm.set_col_bounds(cols, np.where(free, free_lower, at), np.where(free, free_upper, at))
        try:
            if not hm.start_whole(found[0]):
                hm.start_from(sites, at)
            with hm.tightened():  # valid for every plan, the relaxation rows tighten its root
                sub = hm.solve(time_limit=max(left, 0.1), mip_gap=1e-6,
                               known_bound=KnownBound(bound, relaxation_source(hm), gap=mip_gap))
        finally:
            hm.set_col_bounds(cols, lower, upper)
        if sub.status.has_solution and sub.objective is not None and sub.objective > found[1].value:
            found = hm.values.copy(), Relaxation(sub.objective, bound)
    return found


def searched_start(run: Run) -> None:
    """The start on offer (its sites; a built model's greedy ones) searched in its relaxation's neighbourhood
    (:func:`relaxation_start`, with the sites the LP is nearly indifferent about) for the next stage, which then
    tries to prove it by the LP relaxation's bound (taken from the search, not solved again) instead of diving for
    a start; the search's seconds are the stage's.  The objective must be a maximisation, set already.

    The payoff points' first stages on nl, from the greedy's sites: P_Q's (max −Q + ε·W), whose LP relaxation is
    within 3·10⁻⁷ of the optimum that HiGHS found only in a sub-MIP after 7 s of root cut rounds, 8.7 s with the
    dive → 1.7 s; P_W's (max W) 3.9 → 3.1 s; the lexicographic mode's stages too
    (:func:`allocator.procedures.modes.shortfall_first`); all proven by that bound."""
    o = run.data.scenario.solver
    found = relaxation_start(run, near=o.mip_gap, indifferent=True, seconds=search_seconds(o.time_limit))
    run.head_start += found.seconds
    if found.value is None:
        return
    run.dive, run.prove_by_relaxation = False, True
    if found.bound is not None and run.highs.whole_start:  # the value is the whole plan's on offer
        run.relaxed_start = Relaxation(found.value, found.bound.value)


def last_plan_start(run: Run) -> None:
    """The last plan's sites as the next stage's start, completed for its objective (a maximisation, set already;
    :func:`completed_start`, whose seconds are the stage's), which the stage
    then tries to prove by the LP relaxation's bound.  A payoff point's second stage on nl: P_W's 1.2 → 0.06 s,
    P_Q's 1.3 → 0.05 s, both proven without HiGHS's run."""
    run.highs.start_from_current_integers()
    run.head_start += completed_start(run)
    run.prove_by_relaxation = True


def search_seconds(time_limit: float | None) -> float:
    """How long a stage's neighbourhood may be searched (:func:`searched_start`, a front's point):
    :data:`SEARCH_SECONDS`, at most a tenth of the time limit."""
    return SEARCH_SECONDS if time_limit is None else min(SEARCH_SECONDS, time_limit / 10)


class Searched(NamedTuple):
    """What :func:`relaxation_start` did: its seconds, whether its sub-MIP ran, the value of the start it left on
    offer (None when no LP valued it) and the LP relaxation's optimum, a bound of the whole model (None when the
    LP was not solved)."""

    seconds: float
    sub_mip: bool
    value: float | None
    bound: KnownBound | None

    def proves(self, mip_gap: float) -> bool:
        """Whether the start on offer is within ``mip_gap`` of the LP relaxation's bound: proven without HiGHS's run."""
        return self.value is not None and self.bound is not None and self.bound.proves(self.value, mip_gap)


def relaxation_start(run: Run, near: float | None = None, indifferent: bool = False,
                     seconds: float | None = None, hm: HighsModel | None = None,
                     mip_gap: float | None = None) -> Searched:
    """Offer the best plan of the relaxation-induced neighbourhood of the start on offer as the next solve's start.

    1. the LP with the sites fixed at the start on offer (the start's value z₀, money re-optimised around its
       sites) and, from its basis, the LP relaxation of the model (bound z_LP, each site's y_j and reduced cost d_j);
    2. when z₀ is within ``near`` (default :data:`RELAXATION_GAP`) of z_LP the start is near enough and stays,
       completed by that LP (a wider norm keeps everyone covered: nl at 6 km instead of 5);
    3. else every site where the relaxation agrees with the start is fixed there, the others are freed — with
       ``indifferent`` also the :func:`most_free` agreeing sites with the smallest
       |d_j|, those the relaxation nearly leaves to chance —, and HiGHS solves that sub-MIP from the start
       completed by step 1's LP (else it would solve that LP again, from scratch: nl GP 4 km sub-MIP 1.02 → 0.76 s),
       to the scenario's gap or to within it of z_LP, for at most ``seconds`` (default :data:`RELAXATION_SECONDS`,
       at most a twentieth of the time limit); its plan, every column, becomes the start.

    A rebuilt what-if (a norm changed) searches without ``indifferent`` and then fixes what that plan and the
    relaxation rule out (:mod:`allocator.solver.reduced_costs`; nl, the what-if to the page, six runs each way: GP
    4 km 4.5-6.2 → 3.8-4.7 s, 3 km 4.2-5.4 → 3.8-4.5 s, the same optima; at 6 km nothing is searched or fixed).
    A grid point of the Pareto front searches with them (:mod:`allocator.procedures.pareto` has the figures):
    there the optimum moves by whole blocks of sites the relaxation holds at 1 (nl: some 30 libraries between two
    points), which the disagreements alone never free.

    W_max (:func:`allocator.procedures.modes.welfare_max_on`) searches the same way, on ``hm`` (the run's model or
    its twin) and to its own ``mip_gap`` (default: the scenario's).

    The objective of the coming solve must be set already and the start on offer must give the sites (as
    :func:`allocator.procedures.whatif.start_from_last_sites` does).  The model is left as it was.
    """
    t0 = time.perf_counter()
    hm = run.highs if hm is None else hm
    if hm.start is None or not hm.maximize:
        return Searched(0.0, False, None, None)
    _, cols, _ = site_columns(run)
    offered = dict(zip(*hm.start))
    if not len(cols) or any(c not in offered for c in cols):
        return Searched(time.perf_counter() - t0, False, None, None)
    start = np.array([offered[c] for c in cols])
    o = run.data.scenario.solver
    seconds = start_seconds(run, RELAXATION_SECONDS) if seconds is None else seconds
    lower, upper = hm.col_bounds(cols)
    with hm.as_lp():
        hm.set_col_bounds(cols, start, start)
        value = hm.run_lp(seconds)
        completed = hm.lp_values()
        if value is not None:  # the marginal-welfare LP after the solve fixes the sites too: it starts here
            hm.lp_basis = hm.h.getBasis()
        hm.set_col_bounds(cols, lower, upper)
        close = RELAXATION_GAP if near is None else near
        # no coverage cuts: they would move the neighbourhood (nl GP 4 km: HiGHS's sub-MIP 0.73 → 0.85-0.99 s)
        with hm.relaxation_run(seconds, cuts=False) if value is not None else nullcontext() as bound:
            relaxed, reduced = hm.lp_values()[cols], hm.lp_reduced_costs()[cols]
    hm.release_solver_memory()
    offer = hm.start
    known = None if bound is None else KnownBound(bound, relaxation_source(hm))
    if bound is None or relative_gap(value, bound) <= close:
        if value is not None:
            hm.start_whole(completed)
        return Searched(time.perf_counter() - t0, False, value, known)
    free = np.abs(relaxed - start) > 1e-6
    if indifferent:
        free[_least(np.where(free, np.inf, np.abs(reduced)), most_free(len(cols)))] = True
    hm.set_col_bounds(cols, np.where(free, lower, start), np.where(free, upper, start))
    try:
        if not hm.start_whole(completed):  # the sub-MIP starts from the start completed by step 1's LP
            hm.start = offer
        sub = hm.solve(time_limit=seconds, mip_gap=o.mip_gap if mip_gap is None else mip_gap, known_bound=known)
    finally:
        hm.set_col_bounds(cols, lower, upper)
    hm.start = offer
    if sub.status.has_solution and sub.objective is not None and sub.objective > value:
        hm.start_whole(hm.values)
        value = sub.objective
    else:
        hm.start_whole(completed)
    return Searched(time.perf_counter() - t0, True, value, known)


def most_free(sites: int) -> int:
    """How many of ``sites`` a neighbourhood frees at most: max(:data:`FREED`, :data:`FREED_SHARE` · sites)."""
    return max(FREED, round(FREED_SHARE * sites))


def _least(score: np.ndarray, n: int) -> np.ndarray:
    """The indices of the ``n`` smallest finite scores (fewer when fewer are finite)."""
    order = np.argsort(score, kind="stable")[:n]
    return order[np.isfinite(score[order])]


def _freed(favour: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The sites the sub-MIP frees: the :data:`FREED` with the most favoured flips (favour > 0), and the groups
    (``groups``: one code per site) of those sites in the order of their best site's favour, while at most
    :func:`most_free` are free."""
    top = np.argsort(-favour, kind="stable")[:FREED]
    top = top[favour[top] > 0]
    freed = np.zeros(len(favour), dtype=bool)
    freed[top] = True
    first = np.unique(groups[top], return_index=True)[1]  # each group at its best site
    order = groups[top][np.sort(first)]
    groups_n = int(groups.max(initial=-1)) + 1
    partners = (np.bincount(groups, minlength=groups_n) - np.bincount(groups[top], minlength=groups_n))[order]
    freed |= np.isin(groups, order[np.cumsum(partners) <= most_free(len(favour)) - len(top)])
    return freed


def site_columns(run: Run) -> tuple[list, np.ndarray, np.ndarray]:
    """The sites' y_j that have a HiGHS column (in the order of ``run.data.sites``), those columns, and each one's
    partner group (its facility type and municipality, as a code)."""
    variables = [run.model.facilities.open[j] for j in run.data.sites.index]
    has = np.array([id(v) in run.highs.col for v in variables], dtype=bool)
    sites = [v for v, h in zip(variables, has) if h]
    groups = run.data.sites.groupby(["ftype_id", "region_id"], sort=False).ngroup().to_numpy()
    return sites, run.highs.cols_of(sites), groups[has]
