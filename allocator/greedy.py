"""Greedy start: the status quo's sites, plus candidates that pay for themselves, minus sites that do not.

open  j while value_j > c_j · mw_d · slope_1 · loss_aversion,   best value_j / c_j first
close j while o_j · mw_d · slope_1 > loss_j,                    largest saving − loss first
value_j (loss_j) = Σ_{pairs j alone covers (would cover)} pop_i ω_r v_k 10⁻⁶ + λ 10⁻⁶ · Δ persons short

Values change as sites open and close, so both passes use a lazy heap (a candidate's value only falls
as others are taken).  A new site is paid for by cutting programme spending somewhere (the status quo
spends the streams), so it is priced at the loss-averse first slope; a closure's saving is spent at
the first slope.  Closures respect the last-site rule and the cap on closures.  With a hold-harmless
rule nothing closes and openings are capped by the money the streams leave unspent, so that no region
has to be cut to pay for them.

Only site decisions are proposed; HiGHS completes the rest (spending, coverage, shortfall) with an LP
over the other columns, and ignores the proposal if no completion is feasible.  Measured (weighted
objective, HiGHS's completion): gen:S:0 −3,057.0 against the optimum −3,055.0 (status quo −3,774.7);
gen:M:0 −6,185.8 against −6,171.9; gen:L:0 −5,801.0 against −5,783.3; gen:XL:0 22,914 against 23,118
(status quo 11,898).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from allocator.data import InstanceData
from formulations.sparse import groups
from formulations.welfare import EUR_TO_MEUR



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
        self.existing = sites["existing"].to_numpy(bool)
        self.operating = sites["operating_cost"].to_numpy(float)
        self.cost = sites["unit_cost"].to_numpy(float)
        curve = sc.welfare
        self.gain_price = sites["domain_id"].map(data.domains["marginal_welfare"]).to_numpy(float) * curve.slopes[0]
        self.cut_price = self.gain_price * curve.loss_aversion

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
        self.price = sc.shortfall_price * EUR_TO_MEUR if sc.shortfall_measure == "total" else 0.0
        self.count = np.bincount(arc_pair[self.open[arc_site]], minlength=len(cov))
        rows = self.row >= 0
        self.served = np.bincount(self.row[rows & (self.count > 0)], weights=self.pop[rows & (self.count > 0)],
                                  minlength=len(self.required))
        self.hold_harmless = sc.hold_harmless != "none"
        self.unspent = _unspent(data) if self.hold_harmless else np.inf
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
        """Open free candidates by value per M€ while value > cost · cut price (and the money lasts)."""
        def per_meur(j: int) -> float:
            return self.value_of_opening(j) / max(self.cost[j], 1e-9)

        for j in _lazy_best(np.flatnonzero(self.free & ~self.existing & ~self.open), per_meur):
            if self.value_of_opening(j) > self.cost[j] * self.cut_price[j] and self.cost[j] <= self.unspent:
                self._flip(j, True)
                self.unspent -= self.cost[j]

    def close_unpaying(self) -> None:
        """Close free existing sites whose coverage is worth less than their operating cost at the gain price."""
        if self.hold_harmless:
            return  # a closure moves money between regions; leave hold-harmless plans to HiGHS
        def saving_first(j: int) -> float:
            return self.operating[j] * self.gain_price[j] - self.loss_of_closing(j)

        open_in_group = np.bincount(self.group[self.open], minlength=len(self.group))
        for j in _lazy_best(np.flatnonzero(self.free & self.existing & self.open), saving_first):
            if self.closures_left < 1 or (self.keep_last and open_in_group[self.group[j]] <= 1):
                continue
            if self.loss_of_closing(j) < self.operating[j] * self.gain_price[j]:
                self._flip(j, False)
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


def _unspent(data: InstanceData) -> float:
    """Stream money the status quo leaves unspent (≥ 0): Σ A_s + E_max − Σ b_rd − Σ existing operating costs."""
    s = data.sites
    status_quo = float(data.baseline.sum()) + float(s.loc[s["existing"], "operating_cost"].sum())
    return max(float(data.streams["amount"].sum()) + data.scenario.extra_budget - status_quo, 0.0)
