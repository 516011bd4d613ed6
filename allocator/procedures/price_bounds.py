"""A weighted what-if proven from the solves before it: the optimum is convex in the shortfall price λ.

f(λ') = max_x W(x) − λ'·Q(x) over one feasible set is a maximum of lines in λ', so it is convex.  For two
solves of the same model and scenario (everything but λ, the mode and the solver settings the same) at
λ'₁ ≤ λ' ≤ λ'₂ with proven bounds B₁ ≥ f(λ'₁) and B₂ ≥ f(λ'₂):

    f(λ') ≤ ((λ'₂ − λ')·B₁ + (λ' − λ'₁)·B₂) / (λ'₂ − λ'₁)        (B₁ itself when λ'₁ = λ'₂ = λ')

and each plan those solves returned is a plan at λ' too, worth W − λ'·Q.  When the best of them is within
the asked MIP gap of the lowest such bound, the what-if is proven without HiGHS: a planner going back to a
scenario asked before (whatever knob moved in between), or moving λ between two prices asked before, gets
the answer at once.  nl, λ 3,000 after 2,000 and 4,000: 7.7·10⁻⁵ (asked: 10⁻⁴) when the solve at 2,000
ended 3.9·10⁻⁷ from its bound, so the whole what-if took 0.8-1.1 s where HiGHS needs 5-6 s; after a solve
at 2,000 that ended further from its bound, just above 10⁻⁴, and HiGHS ran.  Otherwise HiGHS gets the bound (:class:`~allocator.solver.highs.KnownBound`)
and stops at its first plan within the gap of it: nl, seven λ's (1,200-7,000) after 1,000, 2,000, 4,000 and
8,000 with the proofs above left out, 23.2 s without the bound and 15.8 s with it, the same optima.

The answer is the stored plan: the same extraction and independent check as any solve follow.  Only
weighted solves with a finite bound are kept, per built model, and for a few models built before (a norm
asked before finds its model kept, or is rebuilt with the same columns, checked by the matrix's
fingerprint): their bound is on f at their λ' over the very feasible set a later what-if with the same key
solves over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from allocator.solver.highs import HighsModel, KnownBound
from allocator.status import SolveReport, relative_gap


@dataclass(frozen=True)
class PricedPlan:
    """One weighted solve: its λ (€, as asked) and λ' (model units), its plan's value and bound, the plan."""

    price: float
    cost: float
    objective: float
    bound: float
    measure: float  # the plan's shortfall measure (model units): its value at λ' is objective + (cost − λ')·measure
    values: np.ndarray  # every column of the plan

    def value_at(self, cost: float) -> float:
        return self.objective + (self.cost - cost) * self.measure


@dataclass(frozen=True)
class Proof:
    """The best known plan at λ' and the bound convexity gives, with the two prices the bound comes from."""

    plan: PricedPlan
    value: float
    bound: float
    gap: float
    between: tuple[float, float]  # the asked prices (€) whose bounds give ``bound``

    def report(self, hm: HighsModel, seconds: float, time_limit: float | None) -> SolveReport:
        """A stage report for the proven what-if on ``hm``: optimal, with this bound and gap, no HiGHS run."""
        return hm.proven_without_run(self.value, self.bound, seconds, time_limit, source(self.between))


def source(between: tuple[float, float]) -> str:
    """Where a bound comes from, for a status line: the solves at these prices (€)."""
    lo, hi = between
    if lo == hi:
        return f"the bound of an earlier solve of this scenario (λ {lo:,.0f})"
    return f"the bounds of the solves at λ {lo:,.0f} and {hi:,.0f} (convexity in λ)"


MAX_PLANS = 32  # plans kept per model, the oldest dropped first: each holds every column (nl: 0.3 MB)


class PriceBounds:
    """The weighted solves of one built model, per scenario key (see the module docstring).

    ``fingerprint``: the model's (:meth:`HighsModel.fingerprint`): a later build of the same structure with the
    same fingerprint has the same columns, so these plans and bounds hold for it too.
    """

    def __init__(self, fingerprint: str = "") -> None:
        self.fingerprint = fingerprint
        self.plans: dict[str, list[PricedPlan]] = {}
        self.order: list[str] = []  # the key of each plan kept, oldest first

    def clear(self) -> None:
        self.plans.clear()
        self.order.clear()

    def record(self, key: str, plan: PricedPlan) -> None:
        if not (np.isfinite(plan.bound) and np.isfinite(plan.objective)):
            return
        self.plans.setdefault(key, []).append(plan)
        self.order.append(key)
        if len(self.order) > MAX_PLANS:
            oldest = self.order.pop(0)
            self.plans[oldest].pop(0)
            if not self.plans[oldest]:
                del self.plans[oldest]

    def bound(self, key: str, cost: float) -> tuple[float, tuple[float, float]] | None:
        """The lowest bound on f(λ' = ``cost``) the solves before give, with the prices (€) it comes from."""
        plans = self.plans.get(key, [])
        below = [p for p in plans if p.cost <= cost]
        above = [p for p in plans if p.cost >= cost]
        best = None
        for a in below:  # the lowest chord over every pair around λ': each is a valid bound
            for b in above:
                if a.cost == cost or b.cost == cost:  # a solve at λ' itself: its own bound
                    at = a if a.cost == cost else b
                    chord, prices = at.bound, (at.price, at.price)
                else:
                    chord = ((b.cost - cost) * a.bound + (cost - a.cost) * b.bound) / (b.cost - a.cost)
                    prices = (a.price, b.price)
                if best is None or chord < best[0]:
                    best = (chord, prices)
        return best

    def best(self, key: str, cost: float) -> PricedPlan | None:
        """The plan of these solves worth most at λ' = ``cost`` (None: none of this scenario)."""
        plans = self.plans.get(key, [])
        return max(plans, key=lambda p: p.value_at(cost)) if plans else None

    def known_bound(self, key: str, cost: float) -> KnownBound | None:
        """:meth:`bound` for HiGHS: its run stops once its plan is within the gap of it."""
        found = self.bound(key, cost)
        return None if found is None else KnownBound(found[0], source(found[1]))

    def prove(self, key: str, cost: float, mip_gap: float) -> Proof | None:
        """The proof of the what-if at λ' = ``cost`` to within ``mip_gap``, or None when the solves before do not give one."""
        found = self.bound(key, cost)
        if found is None:
            return None
        bound, between = found
        best = self.best(key, cost)
        value = best.value_at(cost)
        gap = relative_gap(value, bound)
        return Proof(best, value, bound, gap, between) if gap <= mip_gap else None


def proven_stage(bounds: PriceBounds, key: str, cost: float, mip_gap: float, hm: HighsModel,
                 time_limit: float | None) -> tuple[Proof, SolveReport] | None:
    """(proof, the stage's report) when the solves before prove the what-if at λ' = ``cost``; None: HiGHS must."""
    t0 = time.perf_counter()
    proof = bounds.prove(key, cost, mip_gap)
    return None if proof is None else (proof, proof.report(hm, time.perf_counter() - t0, time_limit))
