"""Greedy start: the status quo's sites, plus candidates that pay for themselves, minus sites that do not.

open  j while value_j > price of paying c_j,     best value_j / c_j first
close j while value of spending o_j > loss_j,    largest saving − loss first
value_j (loss_j) = Σ_{pairs j alone covers (would cover)} pop_i ω_r v_k 10⁻⁶ + λ 10⁻⁶ · Δ persons short

Values change as sites open and close, so both passes use a lazy heap (a candidate's value only falls
as others are taken).  Where the money comes from and goes to depends on the hold-harmless rule:

* a site another payer pays (not pooled with the municipality's money) is paid from what that payer's
  streams leave unspent, at no welfare price, and its closure's saving goes back there, worth nothing.
* ``none``: money is pooled.  A new site is paid by cutting programme spending anywhere (or from money
  the streams leave unspent; the pool is both together), priced at the loss-averse first slope
  c_j · mw_d · slope_1 · loss_aversion; a closure's saving is spent at the first slope o_j · mw_d · slope_1.
* any hold-harmless rule: money stays in the site's region and domain, so no region total moves
  (``region``, ``corridor``, ``per-capita-cap``) and no domain balance either.  Prices are read off
  that region's own curve, ω_r p_rd mw_d (f_rd(b + Δ_rd ± amount) − f_rd(b + Δ_rd)), where Δ_rd is what
  the greedy has moved so far; the region is cut at most to Δ_rd ≥ −b_rd (every rule counts the site's
  cost in its region and domain, so paying it from (r, d)'s own programme money moves no total) and the
  rest comes from unspent money at the pooled price.

Closures respect the last-site rule and the cap on closures; with capacity on, capacitated sites do not
close (the loss counted here ignores capacity: their people might find the other sites full).  Only
site decisions are proposed; an LP over the other columns completes the rest (spending, coverage,
shortfall): the dive's first LP before a cold solve (:mod:`allocator.procedures.dive`), else HiGHS's own;
the proposal is dropped if no completion is feasible.

The starts' quality on every instance size is in docs/performance.md.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from formulations.sparse import groups
from allocator.units import EUR_TO_MEUR
from allocator.policy import HoldHarmless, ShortfallMeasure


def greedy_sites(data: InstanceData) -> pd.Series:
    """1/0 per site (indexed by site_id): the status quo (forced sites as forced), greedy openings, then closures."""
    g = _Greedy(data)
    g.open_paying()
    g.close_unpaying()
    return pd.Series(g.open.astype(float), index=data.sites.index)


class _Greedy:
    """Coverage counts per pair and persons served per minimum-service row, updated as sites open or close."""

    def __init__(self, data: InstanceData):
        sites, sc = data.sites, data.scenario
        self.open = sites["forced"].fillna(sites["existing"].astype(float)).to_numpy(float) > 0.5
        self.free = sites["forced"].isna().to_numpy()
        # a closure's loss is counted as the coverage only it gives, which ignores capacity: with capacity
        # on, the people of a closed capacitated site may find the others full, so those never close
        self.closable = self.free & ~(sites["capacity"].notna().to_numpy() & sc.use_capacity)
        self.existing = sites["existing"].to_numpy(bool)
        self.operating = sites["operating_cost"].to_numpy(float)
        self.cost = sites["unit_cost"].to_numpy(float)
        self.money = _Money(data)

        cov, reach = data.coverable, data.model_reach
        arc_pair = data.model_reach_pair
        arc_site = sites.index.get_indexer(reach["site_id"])
        by_site, none = groups(arc_site), np.array([], dtype=np.int64)
        self.pairs_of = [arc_pair[by_site.get(j, none)] for j in range(len(sites))]
        self.pop = cov["population"].to_numpy(float)
        omega = cov["region_id"].map(data.regions["omega"]).to_numpy(float)
        self.worth = omega * cov["ftype_id"].map(data.ftypes["welfare_value"]).to_numpy(float) * EUR_TO_MEUR * self.pop
        demand = data.demand.set_index(["region_id", "ftype_id"])
        self.row = demand.index.get_indexer(pd.MultiIndex.from_frame(cov[["region_id", "ftype_id"]]))
        self.required = demand["required"].to_numpy(float)
        self.price = sc.shortfall_price * EUR_TO_MEUR if sc.shortfall_measure == ShortfallMeasure.TOTAL else 0.0
        self.count = np.bincount(arc_pair[self.open[arc_site]], minlength=len(cov))
        rows = self.row >= 0
        self.served = np.bincount(self.row[rows & (self.count > 0)], weights=self.pop[rows & (self.count > 0)],
                                  minlength=len(self.required))
        self.keep_last = sc.keep_last_site
        self.closures_left = np.inf if sc.max_closures is None else sc.max_closures
        self.group = pd.MultiIndex.from_frame(sites[["region_id", "ftype_id"]]).factorize()[0]

    def _shortfall_change(self, pairs: np.ndarray, sign: float) -> float:
        """Change in persons short when ``pairs`` gain (sign −1) or lose (sign +1) their coverage."""
        pairs = pairs[self.row[pairs] >= 0]
        if not len(pairs):
            return 0.0
        rows, moved = np.unique(self.row[pairs], return_inverse=True)
        delta = np.bincount(moved, weights=self.pop[pairs])
        before = np.maximum(self.required[rows] - self.served[rows], 0.0)
        after = np.maximum(self.required[rows] - (self.served[rows] - sign * delta), 0.0)
        return float((after - before).sum())

    def value_of_opening(self, j: int) -> float:
        new = self.pairs_of[j][self.count[self.pairs_of[j]] == 0]
        return float(self.worth[new].sum()) - self.price * self._shortfall_change(new, -1.0)

    def loss_of_closing(self, j: int) -> float:
        lost = self.pairs_of[j][self.count[self.pairs_of[j]] == 1]
        return float(self.worth[lost].sum()) + self.price * self._shortfall_change(lost, +1.0)

    def _flip(self, j: int, opening: bool) -> None:
        p = self.pairs_of[j]
        changed = p[self.count[p] == (0 if opening else 1)]
        self.count[p] += 1 if opening else -1
        self.open[j] = opening
        rows = self.row[changed]
        keep = rows >= 0
        np.add.at(self.served, rows[keep], (1.0 if opening else -1.0) * self.pop[changed][keep])

    def open_paying(self) -> None:
        """Open free candidates by value per M€ while value > the price of paying for them."""
        def per_meur(j: int) -> float:
            return self.value_of_opening(j) / max(self.cost[j], 1e-9)

        for j in _lazy_best(np.flatnonzero(self.free & ~self.existing & ~self.open), per_meur):
            if self.value_of_opening(j) > self.money.price_of_paying(j, self.cost[j]):
                self._flip(j, True)
                self.money.pay(j, self.cost[j])

    def close_unpaying(self) -> None:
        """Close free existing sites whose coverage is worth less than spending their operating cost."""
        def saving_first(j: int) -> float:
            return self.money.value_of_spending(j, self.operating[j]) - self.loss_of_closing(j)

        open_in_group = np.bincount(self.group[self.open], minlength=len(self.group))
        for j in _lazy_best(np.flatnonzero(self.closable & self.existing & self.open), saving_first):
            if self.closures_left < 1 or (self.keep_last and open_in_group[self.group[j]] <= 1):
                continue
            if self.loss_of_closing(j) < self.money.value_of_spending(j, self.operating[j]):
                self._flip(j, False)
                self.money.spend(j, self.operating[j])
                open_in_group[self.group[j]] -= 1
                self.closures_left -= 1


def _lazy_best(candidates: np.ndarray, score):
    """Yield candidates best score first, re-scoring lazily: scores only fall as earlier ones are taken."""
    heap = [(-score(j), j) for j in candidates]
    heapq.heapify(heap)
    while heap:
        s, j = heapq.heappop(heap)
        now = score(j)
        if heap and now < -heap[0][0] - 1e-12 and now < -s - 1e-12:
            heapq.heappush(heap, (-now, j))
            continue
        yield j


class _Money:
    """Where the greedy's openings are paid from and closures' savings go (see the module docstring)."""

    def __init__(self, data: InstanceData):
        sites, sc = data.sites, data.scenario
        self.curve = sc.welfare
        mw = sites["domain_id"].map(data.domains["marginal_welfare"]).to_numpy(float)
        self.gain_price = mw * self.curve.slopes[0]
        self.cut_price = self.gain_price * self.curve.loss_aversion
        self.regional = sc.hold_harmless != HoldHarmless.NONE
        base = data.baseline
        # money that may pay for a site wherever it is: what the streams leave unspent, and without a
        # hold-harmless rule every region's programme spending too
        unspent = _unspent(data)
        self.pool = unspent.pop(PROGRAMME_PAYER, 0.0) + (0.0 if self.regional else float(base.sum()))
        # another payer's sites are paid from what its own streams leave unspent, and their savings go back there
        self.account = unspent
        self.payer = np.where(sites["pool"].to_numpy() == PROGRAMME_PAYER, None, sites["pool"].to_numpy())
        self.pair = base.index.get_indexer(pd.MultiIndex.from_frame(sites[["region_id", "domain_id"]]))
        self.b = base.to_numpy(float)
        self.weight = (base.index.get_level_values(0).map(data.regions["omega"]).to_numpy(float)
                       * base.index.get_level_values(1).map(data.domains["marginal_welfare"]).to_numpy(float)
                       * data.priorities.reindex(base.index).to_numpy(float))
        self.floor = -self.b  # every rule counts facility money: a site paid from its own (r, d) moves no total
        self.moved = np.zeros_like(self.b)  # Δ_rd

    def _change(self, j: int, amount: float) -> float:
        """ω_r p_rd mw_d (f_rd(b + Δ + amount) − f_rd(b + Δ)) for the site's region and domain."""
        n = self.pair[j]
        if amount == 0.0 or n < 0:
            return 0.0
        now = self.moved[n]
        return float(self.weight[n]) * (self._curve(n, now + amount) - self._curve(n, now))

    def _curve(self, n: int, delta: float) -> float:
        """f_rd(b + Δ)/mw_d − f_rd(b)/mw_d for one pair, in plain floats (called ~10⁵ times on gen:XL)."""
        c = self.curve
        if delta <= 0.0:
            return c.loss_aversion * c.slopes[0] * delta
        b, value, lower = float(self.b[n]), 0.0, 0.0
        for bp, slope in zip(c.breakpoints, c.slopes):
            value += slope * min(max(delta - lower * b, 0.0), (bp - lower) * b)
            lower = bp
        return value

    def _split(self, j: int, cost: float) -> tuple[float, float]:
        """(from the site's own region and domain, down to the rule's floor; from the pool)."""
        n = self.pair[j]
        own = min(cost, max(self.moved[n] - self.floor[n], 0.0)) if self.regional and n >= 0 else 0.0
        return own, cost - own

    def price_of_paying(self, j: int, cost: float) -> float:
        """Welfare given up to pay ``cost`` for site j (inf if it cannot be paid)."""
        if self.payer[j] is not None:
            return 0.0 if cost <= self.account.get(self.payer[j], 0.0) + 1e-9 else np.inf
        own, pooled = self._split(j, cost)
        if pooled > self.pool + 1e-9:
            return np.inf
        return -self._change(j, -own) + pooled * self.cut_price[j]

    def pay(self, j: int, cost: float) -> None:
        if self.payer[j] is not None:
            self.account[self.payer[j]] -= cost
            return
        own, pooled = self._split(j, cost)
        if own:
            self.moved[self.pair[j]] -= own
        self.pool -= pooled

    def value_of_spending(self, j: int, saving: float) -> float:
        """Welfare of spending a closure's ``saving`` (in the site's region and domain under hold-harmless)."""
        if self.payer[j] is not None:
            return 0.0  # back to its payer's account, which pays no programme
        return self._change(j, saving) if self.regional else saving * self.gain_price[j]

    def spend(self, j: int, saving: float) -> None:
        if self.payer[j] is not None:
            self.account[self.payer[j]] += saving
        elif self.regional and self.pair[j] >= 0:
            self.moved[self.pair[j]] += saving


def _unspent(data: InstanceData) -> dict[str, float]:
    """Per account, stream money the status quo leaves unspent (≥ 0): its streams − its existing sites' operating
    costs (− Σ b_rd for the municipality's, which also gets E_max)."""
    s, st = data.sites, data.streams
    used = s.loc[s["existing"], "operating_cost"].groupby(s.loc[s["existing"], "pool"]).sum()
    have = st["amount"].groupby(st["pool"]).sum()
    out = {}
    for p in data.pools:
        left = float(have.get(p, 0.0)) - float(used.get(p, 0.0))
        if p == PROGRAMME_PAYER:
            left += data.scenario.extra_budget - float(data.baseline.sum())
        out[p] = max(left, 0.0)
    return out
