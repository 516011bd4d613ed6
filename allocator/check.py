"""The independent checker: recompute every constraint and both objectives from a reported solution.

It reads only the reported tables of a :class:`~allocator.results.Solution` and
the instance data (never ``formulations/``, never the Pyomo model) and
recomputes model.md's constraints with pandas/numpy.  Coverage is re-derived
from scratch: a point counts as coverable for a type only if an *open* site of
that type lies within the norm by a brute-force distance computation (or the
given travel table, or the same region), independent of the KD-tree that
built the model's reach sets.

Each violation names the constraint (with its model.md number) and the index.
Tolerance: ``tol · max(1, |right-hand side|)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allocator.data import InstanceData, values_at
from allocator.instance import PROGRAMME_PAYER
from allocator.travel import EARTH_RADIUS_KM, great_circle_km, unit_vectors
from allocator.units import EUR_TO_MEUR
from allocator.policy import HoldHarmless, MinService
from allocator.scipy_parts import cKDTree



@dataclass(frozen=True)
class Violation:
    constraint: str
    index: str
    detail: str
    amount: float

    def __str__(self) -> str:
        return f"{self.constraint} [{self.index}]: {self.detail} (by {self.amount:.6g})"


class CheckFailed(AssertionError):
    """Raised by :meth:`CheckResult.raise_if_failed`: a reported solution breaks the model."""


@dataclass
class CheckResult:
    violations: list[Violation] = field(default_factory=list)
    welfare: float = float("nan")
    shortfall: float = float("nan")

    @property
    def passed(self) -> bool:
        return not self.violations

    def verdict(self):
        return "passed" if self.passed else [str(v) for v in self.violations[:50]]

    def raise_if_failed(self) -> None:
        if self.violations:
            shown = "\n".join(str(v) for v in self.violations[:20])
            more = f"\n... and {len(self.violations) - 20} more" if len(self.violations) > 20 else ""
            raise CheckFailed(f"{len(self.violations)} violation(s):\n{shown}{more}")


class Checker:
    def __init__(self, tol: float):
        self.tol = tol
        self.out: list[Violation] = []

    def leq(self, name: str, index, lhs, rhs, what: str = "") -> None:
        """Record every position where lhs > rhs beyond tolerance.

        ``index`` names the positions: one label, a sequence of labels, or a tuple of sequences whose items
        are joined by "/" (e.g. point and facility type); labels are made only for the violations recorded.
        """
        lhs, rhs = np.broadcast_arrays(np.atleast_1d(np.asarray(lhs, float)), np.atleast_1d(np.asarray(rhs, float)))
        excess = lhs - rhs
        bad = np.flatnonzero(excess > self.tol * np.maximum(1.0, np.abs(rhs)))[:200]
        for n, label in zip(bad, _labels(index, bad)):
            self.out.append(Violation(name, label, f"{what}{lhs[n]:.6g} > {rhs[n]:.6g}", float(excess[n])))


def _labels(index, positions: np.ndarray) -> list[str]:
    """The labels of ``index`` (see :meth:`Checker.leq`) at ``positions``."""
    if not len(positions):
        return []
    if isinstance(index, tuple):
        return ["/".join(parts) for parts in zip(*(_labels(part, positions) for part in index))]
    if np.ndim(index) == 0:
        return [str(index)] * len(positions)
    if isinstance(index, pd.Series):
        return [str(v) for v in index.iloc[positions]]  # by position, whatever the Series' own index
    if isinstance(index, pd.Index):
        return [str(v) for v in index[positions]]
    return [str(v) for v in np.asarray(list(index), dtype=object)[positions]]


def check(data: InstanceData, sol, tol: float = 1e-6, outlays: pd.DataFrame | None = None) -> CheckResult:
    """Recompute model.md constraints 1-8 and W, Q from ``sol``; return every violation.

    ``outlays`` (a programme year's opening costs and agenda projects: region_id, pool, domain_id, amount,
    recomputed by the programme's checker from its reported tables) are paid like the sites: from their
    account, in their region and domain.
    """
    outlays = outlays if outlays is not None else pd.DataFrame(columns=["region_id", "pool", "domain_id", "amount"])
    c = Checker(tol)
    sc = data.scenario
    alloc, flows, extra, fac = sol.allocation, sol.flows, sol.extra, sol.facilities
    sites = data.sites.join(fac.set_index("site_id")[["open"]])
    y = sites["open"].to_numpy(float)

    # variable domains
    c.leq("domain: x ≥ 0", (alloc["region_id"], alloc["domain_id"]), -alloc["plan"], 0.0)
    c.leq("domain: g ≥ 0", (flows["stream_id"], flows["domain_id"]), -flows["amount"], 0.0)
    c.leq("domain: E ≥ 0", (extra["payer"], extra["domain_id"]), -extra["extra"], 0.0)
    c.leq("domain: y ∈ {0,1}", sites.index, np.abs(y - np.round(y)), 0.0)

    # 1 streams and de-earmarking
    st = data.streams
    spent = flows.groupby("stream_id")["amount"].sum().reindex(st.index, fill_value=0.0)
    c.leq("1 stream limit Σ_d g_sd ≤ A_s", st.index, spent, st["amount"])
    off = flows[flows["domain_id"].to_numpy() != flows["stream_id"].map(st["domain_id"]).to_numpy()]
    moved = off.groupby("stream_id")["amount"].sum().reindex(st.index, fill_value=0.0)
    c.leq("1 de-earmarking Σ_{d≠d(s)} g_sd ≤ θ_s A_s", st.index, moved, st["theta"] * st["amount"])

    # 2 each payer's account per domain, and extra money; the accounts recomputed here from the payers
    unit = sites["operating_cost"] + sites["opening_cost"] * (~sites["existing"])
    site_cost = unit * y
    domains = data.domains.index
    site_pool = _account(sites["ftype_id"].map(data.instance.facility_types["payer"]), sc)
    flow_pool = _account(flows["stream_id"].map(data.instance.streams["payer"]), sc)
    accounts = pd.MultiIndex.from_product([sorted(set(site_pool) | set(flow_pool) | {PROGRAMME_PAYER}), domains],
                                          names=["pool", "domain_id"])
    spend_d = alloc.groupby("domain_id")["plan"].sum()
    spend_d.index = pd.MultiIndex.from_product([[PROGRAMME_PAYER], spend_d.index])
    uses = spend_d.reindex(accounts, fill_value=0.0) + \
        site_cost.groupby([site_pool, sites["domain_id"]]).sum().reindex(accounts, fill_value=0.0) + \
        outlays.groupby(["pool", "domain_id"])["amount"].sum().reindex(accounts, fill_value=0.0)
    income_pd = flows["amount"].groupby([flow_pool, flows["domain_id"]]).sum().reindex(accounts, fill_value=0.0)
    e_pd = extra.set_index(["payer", "domain_id"])["extra"].reindex(accounts, fill_value=0.0)
    c.leq("2 domain balance per payer (what it pays ≤ its streams + extra)", [f"{p}/{d}" for p, d in accounts],
          uses.to_numpy(), (income_pd + e_pd).to_numpy())
    c.leq("2 extra money Σ E ≤ E_max", "total", float(e_pd.sum()), sc.extra_budget)
    if sc.extra_eligible_tags:
        inel = data.regions.index[~data.regions["eligible"]]
        elig = data.regions.index[data.regions["eligible"]]
        out = sites["region_id"].isin(inel)
        sp = alloc[alloc["region_id"].isin(inel)].groupby("domain_id")["plan"].sum()
        sp.index = pd.MultiIndex.from_product([[PROGRAMME_PAYER], sp.index])
        fc = site_cost[out].groupby([site_pool[out], sites["domain_id"][out]]).sum()
        base_t = data.baseline[data.baseline.index.get_level_values("region_id").isin(elig)].groupby(level="domain_id").sum()
        base_t.index = pd.MultiIndex.from_product([[PROGRAMME_PAYER], base_t.index])
        ex = sites["existing"] & sites["region_id"].isin(elig)
        sq = sites.loc[ex, "operating_cost"].groupby([site_pool[ex], sites["domain_id"][ex]]).sum()
        ol = outlays[outlays["region_id"].isin(inel)].groupby(["pool", "domain_id"])["amount"].sum()
        need = sum(v.reindex(accounts, fill_value=0.0) for v in (sp, fc, base_t, sq, ol))
        c.leq("2 extra money only for eligible regions (additionality, per payer account)",
              [f"{p}/{d}" for p, d in accounts], need.to_numpy(), income_pd.to_numpy())

    # 3 hold-harmless
    check_hold_harmless(c, data, alloc.set_index(["region_id", "domain_id"])["plan"], site_cost, outlays)

    # 4 coverage, recomputed from scratch against open sites
    cov = sol.coverage.merge(data.points[["region_id", "population"]], left_on="point_id", right_index=True)
    cov["population"] = data.persons(cov["region_id"], cov["ftype_id"], cov["population"])  # who needs the type
    c.leq("domain: 0 ≤ u ≤ 1", (cov["point_id"], cov["ftype_id"]), np.abs(cov["covered"] - 0.5), 0.5)
    served = cov[cov["covered"] > tol]
    reachable = _open_in_reach(data, sites[sites["open"] > 0.5], served)
    c.leq("4 coverage u_ik ≤ Σ_{j∈N_k(i)} y_j", (served["point_id"], served["ftype_id"]),
          served["covered"], reachable)

    # 5 minimum service (recomputed from covered persons, not from the reported covered_persons)
    sf = sol.shortfall_table
    persons = (cov["covered"] * cov["population"]).groupby([cov["region_id"], cov["ftype_id"]]).sum()
    need = data.demand.set_index(["region_id", "ftype_id"])
    got = persons.reindex(need.index, fill_value=0.0)
    q = sf.set_index(["region_id", "ftype_id"])["shortfall"].reindex(need.index, fill_value=0.0)
    idx = [f"{r}/{k}" for r, k in need.index]
    c.leq("5 minimum service Σ pop u + q ≥ σ pop", idx, need["required"], got + q)
    c.leq("domain: q ≥ 0", idx, -q, 0.0)
    if sc.min_service == MinService.HARD:
        c.leq("5 hard minimum service q = 0", idx, q, 0.0)

    # 6 liveability
    basic = data.basic_types
    if len(sol.liveability) and basic:
        lv = sol.liveability.set_index("point_id")["keeps_basic"]
        u = sol.coverage.set_index(["point_id", "ftype_id"])["covered"]
        for k in basic:
            uk = u.reindex(pd.MultiIndex.from_product([lv.index, [k]]), fill_value=0.0).to_numpy()
            c.leq(f"6 liveability h_i ≤ u_i,{k}", lv.index, lv.to_numpy(), uk)

    # 8 policy limits
    check_policy_limits(c, data, sites["open"])

    # 7 capacity
    if sc.use_capacity:
        _check_capacity(c, data, sites, cov, sol)

    # objectives
    changed = np.where(sites["existing"].to_numpy(bool), 1.0 - np.round(y), np.round(y))
    W = _welfare(data, alloc, cov, sol.liveability, float(changed.sum()))
    Q = float(q.sum())
    c.leq("W recomputed equals reported W", "W", abs(W - sol.welfare), 1e-6 * max(1.0, abs(W)))
    c.leq("Q recomputed equals reported Q", "Q", abs(Q - sol.shortfall), 1e-6 * max(1.0, Q))
    short = _people_short(data, sol.coverage)
    if sol.people_short == sol.people_short:  # reported (not NaN)
        c.leq("people short recomputed equals reported", "people_short", abs(short - sol.people_short),
              1e-6 * max(1.0, short))
    return CheckResult(c.out, welfare=W, shortfall=Q)


def _people_short(data: InstanceData, coverage: pd.DataFrame) -> float:
    """Σ_i pop_i (1 − min over basic types of u_ik), a missing (point, type) pair counting as u = 0."""
    ftypes = data.ftypes
    basic = ftypes.index[ftypes["basic_package"]].tolist() or ftypes.index[ftypes["required_share"] > 0].tolist()
    if not basic:
        return 0.0
    worst = pd.Series(1.0, index=data.points.index)
    for k in basic:
        u = coverage[coverage["ftype_id"] == k].groupby("point_id")["covered"].max()
        worst = np.minimum(worst, u.reindex(worst.index, fill_value=0.0).clip(0.0, 1.0))
    return float((data.points["population"] * (1.0 - worst)).sum())


def _account(payer: pd.Series, sc) -> pd.Series:
    """The account a payer's money is in, recomputed here from the instance's payers (not data.sites['pool']):
    the payer's own, or the municipality's when the scenario pools it."""
    return payer.where(~payer.isin([PROGRAMME_PAYER, *sc.pooled_payers]), PROGRAMME_PAYER)


def municipal_account(data: InstanceData) -> pd.Series:
    """Per site: paid from the municipal account (the municipality, or a payer the scenario pools with it)."""
    return _account(data.sites["ftype_id"].map(data.instance.facility_types["payer"]), data.scenario) == PROGRAMME_PAYER


def check_hold_harmless(c: Checker, data: InstanceData, spend: pd.Series, site_cost: pd.Series,
                        outlays: pd.DataFrame | None = None) -> None:
    """Model.md 3 for every mode: region totals T_r (programme + the region's municipal-account sites) against
    B_r; under ``region-domain`` also, per region and domain, programme money plus the sites that domain pays.

    ``spend`` is x_rd indexed by (region_id, domain_id); ``site_cost`` each site's cost in the plan
    (c_j + o_j (1 − e_j)) · y_j, indexed by site; ``outlays`` a programme year's other payments (:func:`check`).
    """
    sc = data.scenario
    regions = data.regions.index
    sites = data.sites[municipal_account(data)]
    fac = site_cost.reindex(sites.index, fill_value=0.0)
    own = outlays[outlays["pool"] == PROGRAMME_PAYER] if outlays is not None else None
    if own is not None and len(own):
        spend = spend.add(own.groupby(["region_id", "domain_id"])["amount"].sum().rename_axis(spend.index.names),
                          fill_value=0.0)
    plan_r = spend.groupby(level="region_id").sum().add(fac.groupby(sites["region_id"]).sum(), fill_value=0.0)
    plan_r = plan_r.reindex(regions, fill_value=0.0)
    base_r = data.baseline.groupby(level="region_id").sum().reindex(regions, fill_value=0.0)
    base_r += sites.loc[sites["existing"], "operating_cost"].groupby(sites["region_id"]).sum().reindex(regions, fill_value=0.0)
    if sc.hold_harmless.floors_baseline:
        c.leq("3 hold-harmless (region total incl. municipal facilities ≥ baseline total)", regions, base_r, plan_r)
    if sc.hold_harmless == HoldHarmless.CORRIDOR:
        c.leq("3 corridor floor (1 − δ)·baseline", regions, (1 - sc.corridor_down) * base_r, plan_r)
        c.leq("3 corridor ceiling (1 + γ)·baseline", regions, plan_r, (1 + sc.corridor_up) * base_r)
    elif sc.hold_harmless == HoldHarmless.PER_CAPITA_CAP:
        cap = sc.per_capita_cap * EUR_TO_MEUR * data.regions["population"]
        c.leq("3 per-capita cap on losses", regions, base_r - cap, plan_r)
        c.leq("3 per-capita cap on gains", regions, plan_r, base_r + cap)
    elif sc.hold_harmless == HoldHarmless.REGION_DOMAIN:
        key = [sites["region_id"], sites["domain_id"]]
        existing = sites["operating_cost"].where(sites["existing"], 0.0)
        pairs = data.baseline.index
        base_rd = data.baseline + existing.groupby(key).sum().reindex(pairs, fill_value=0.0).to_numpy()
        plan_rd = spend.reindex(pairs, fill_value=0.0) + fac.groupby(key).sum().reindex(pairs, fill_value=0.0).to_numpy()
        c.leq("3 hold-harmless per domain (programme + facilities it pays ≥ baseline)",
              [f"{r}/{d}" for r, d in pairs], base_rd.to_numpy(), plan_rd.to_numpy())


def check_policy_limits(c: Checker, data: InstanceData, open_: pd.Series) -> None:
    """Model.md 8: forced sites, the last site of a type in a region, maximum closures (``open_`` by site)."""
    sc, sites = data.scenario, data.sites
    y = open_.reindex(sites.index).astype(float)
    forced = sites["forced"].dropna()
    c.leq("8 forced sites", forced.index, np.abs(y[forced.index] - forced).to_numpy(), 0.0)
    if sc.keep_last_site:
        had = sites[sites["existing"]].groupby(["region_id", "ftype_id"]).size().index
        still = y.groupby([sites["region_id"], sites["ftype_id"]]).sum().reindex(had)
        c.leq("8 keep the last site of a type in a region", [f"{r}/{k}" for r, k in had], 1.0, still.to_numpy())
    if sc.max_closures is not None:
        c.leq("8 maximum closures", "total", float(((1 - y) * sites["existing"]).sum()), sc.max_closures)


def _open_in_reach(data: InstanceData, open_sites: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """For each (point, type) row of ``pairs``: how many open sites of the type lie within the norm."""
    out = np.zeros(len(pairs))
    ftypes = data.ftypes
    travel = data.instance.travel
    t = data.instance.manifest.travel
    points = data.points
    for k, rows in pairs.groupby("ftype_id").indices.items():
        cand = open_sites[open_sites["ftype_id"] == k]
        pts = pairs["point_id"].to_numpy()[rows]
        unit = ftypes.loc[k, "norm_unit"]
        norm = data.region_norms[k].reindex(points.loc[pts, "region_id"]).to_numpy(float)  # per point (tailoring)
        if cand.empty:
            continue
        if unit == "region":
            per_region = cand.groupby("region_id").size()
            out[rows] = points.loc[pts, "region_id"].map(per_region).fillna(0).to_numpy()
        elif travel is not None:
            arcs = travel[travel["site_id"].isin(cand.index)]
            limit = arcs["point_id"].map(pd.Series(norm, index=pts).groupby(level=0).first())
            arcs = arcs[(arcs["minutes"] if unit == "min" else arcs["km"]) <= limit + 1e-9]
            out[rows] = pd.Series(pts).map(arcs.groupby("point_id").size()).fillna(0).to_numpy()
        else:
            limit_km = norm if unit == "km" else norm / 60.0 * t.speed_kmh
            out[rows] = _count_within_km(points.loc[pts, ["lat", "lon"]].to_numpy(float),
                                         cand[["lat", "lon"]].to_numpy(float), limit_km, t.detour_factor)
    return out


RADIUS_BAND = 1.25  # points whose search radii differ by less than this factor share one k-d tree query


def _count_within_km(points: np.ndarray, sites: np.ndarray, limit_km: np.ndarray, detour: float) -> np.ndarray:
    """Per point (lat, lon): how many sites have detour × haversine km ≤ its limit.

    k-d trees on the unit sphere only propose candidates (chord radius with a 10⁻⁶ margin, so no pair
    within the limit is missed): the points whose radii lie within :data:`RADIUS_BAND` of each other (one
    norm, or a region's tailored one) are paired with the sites in one query at the band's largest radius,
    and each pair is kept only within its point's own radius; each candidate is then decided by the
    haversine distance itself.
    """
    arc = np.minimum(limit_km / detour / EARTH_RADIUS_KM, np.pi)
    chord = 2 * np.sin(arc / 2) * (1 + 1e-6) + 1e-9
    tree = cKDTree(unit_vectors(sites[:, 0], sites[:, 1]))
    found = [(np.empty(0, np.int64), np.empty(0, np.int64))]
    order = np.argsort(chord, kind="stable")
    band = np.floor(np.log(chord[order] / chord[order[0]]) / np.log(RADIUS_BAND)) if len(order) else order
    for rows in np.split(order, np.flatnonzero(np.diff(band)) + 1):
        if not len(rows):
            continue
        pairs = cKDTree(unit_vectors(points[rows, 0], points[rows, 1])).sparse_distance_matrix(
            tree, chord[rows].max(), output_type="ndarray")
        near = pairs["v"] <= chord[rows[pairs["i"]]]
        found.append((rows[pairs["i"][near]], pairs["j"][near].astype(np.int64)))
    p, s = (np.concatenate(part) for part in zip(*found))
    km = detour * great_circle_km(points[p, 0], points[p, 1], sites[s, 0], sites[s, 1])
    inside = km <= limit_km[p] * (1 + 1e-9) + 1e-9
    return np.bincount(p[inside], minlength=len(points)).astype(float)


def _pair_within_norm(data: InstanceData, pairs: pd.DataFrame) -> np.ndarray:
    """Whether each (point_id, site_id) pair lies within the norm of the site's type."""
    t = data.instance.manifest.travel
    s = data.sites.loc[pairs["site_id"]]
    p = data.points.loc[pairs["point_id"]]
    unit = s["ftype_id"].map(data.ftypes["norm_unit"]).to_numpy()
    norms = data.region_norms  # per region (tailoring)
    norm = norms.to_numpy()[norms.index.get_indexer(p["region_id"]), norms.columns.get_indexer(s["ftype_id"])]
    if data.instance.travel is not None:
        arcs = data.instance.travel.set_index(["point_id", "site_id"])
        key = pd.MultiIndex.from_arrays([pairs["point_id"], pairs["site_id"]])
        km, minutes = arcs["km"].reindex(key).to_numpy(), arcs["minutes"].reindex(key).to_numpy()
    else:
        km = t.detour_factor * great_circle_km(p["lat"].to_numpy(), p["lon"].to_numpy(), s["lat"].to_numpy(), s["lon"].to_numpy())
        minutes = km / t.speed_kmh * 60.0
    same_region = p["region_id"].to_numpy() == s["region_id"].to_numpy()
    return np.where(unit == "region", same_region, np.where(unit == "km", km, minutes) <= norm * (1 + 1e-9) + 1e-9)


def _check_capacity(c: Checker, data: InstanceData, sites: pd.DataFrame, cov: pd.DataFrame, sol) -> None:
    """Σ_j share_ij = u_ik;  share_ij ≤ y_j;  Σ_i pop_i share_ij ≤ cap_j y_j;  arcs within the norm."""
    a = sol.assignment
    if a is None:
        return
    u = cov.set_index(["point_id", "ftype_id"])["covered"]
    total = a.groupby(["point_id", "ftype_id"])["share"].sum()
    diff = (total - u.reindex(total.index)).abs()
    pairs = (total.index.get_level_values(0), total.index.get_level_values(1))
    c.leq("7 assignment Σ_j a_ij = pop_i u_ik", pairs, diff, 0.0)
    y = values_at(sites["open"], a["site_id"]).astype(float)
    c.leq("7 assignment only to open sites", (a["point_id"], a["site_id"]), a["share"], y)
    used = a[a["share"] > c.tol]
    c.leq("7 assignment within the norm", (used["point_id"], used["site_id"]), 1.0,
          _pair_within_norm(data, used).astype(float))
    people = data.persons(values_at(data.points["region_id"], a["point_id"]), values_at(sites["ftype_id"], a["site_id"]),
                          values_at(data.points["population"], a["point_id"]))
    load = (a["share"] * people).groupby(a["site_id"]).sum()
    cap = sites.loc[load.index, "capacity"]
    has = cap.notna()
    c.leq("7 capacity Σ_i a_ij ≤ cap_j y_j", load.index[has], load[has], cap[has] * sites.loc[load.index[has], "open"])


def curve_value(curve, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """f(x)/mw: the concave piecewise welfare curve evaluated directly at x around baseline b."""
    above, below = np.maximum(x - b, 0.0), np.maximum(b - x, 0.0)
    f = -curve.loss_aversion * curve.slopes[0] * below
    lower = 0.0
    for bp, slope in zip(curve.breakpoints, curve.slopes):
        f += slope * np.clip(above - lower * b, 0.0, (bp - lower) * b)
        lower = bp
    return f


def _welfare(data: InstanceData, alloc: pd.DataFrame, cov: pd.DataFrame, live: pd.DataFrame, changes: float) -> float:
    """W recomputed: concave f evaluated at x, plus coverage and liveability terms, minus κ per site change."""
    omega = data.regions["omega"]
    f = curve_value(data.scenario.welfare, alloc["baseline"].to_numpy(float), alloc["plan"].to_numpy(float))
    weight = (alloc["region_id"].map(omega).to_numpy() * alloc["domain_id"].map(data.domains["marginal_welfare"]).to_numpy()
              * data.priorities.reindex(pd.MultiIndex.from_frame(alloc[["region_id", "domain_id"]])).to_numpy())
    W = float(weight @ f)
    v = values_at(data.ftypes["welfare_value"], cov["ftype_id"]).astype(float)
    W += float((values_at(omega, cov["region_id"]) * v * cov["population"].to_numpy(float) * cov["covered"].to_numpy()).sum()) * EUR_TO_MEUR
    W -= data.scenario.site_change_cost * EUR_TO_MEUR * changes
    if len(live):
        pts = data.points.loc[live["point_id"]]
        W += float((pts["region_id"].map(omega).to_numpy() * pts["population"].to_numpy(float) * live["keeps_basic"].to_numpy()).sum()) \
            * data.scenario.liveability_value * EUR_TO_MEUR
    return W


def check_location(problem, open_sites: np.ndarray, share: np.ndarray, objective: float, tol: float = 1e-6) -> CheckResult:
    """Re-check an OR-Library location solution: serve, link, capacity, p, integrality and the objective.

    ``share`` is customers × sites (fraction of demand served); ``open_sites`` the y vector.
    """
    c = Checker(tol)
    y = np.asarray(open_sites, float)
    sites = np.arange(len(y))
    customers = np.arange(share.shape[0])
    c.leq("domain: y ∈ {0,1}", sites, np.abs(y - np.round(y)), 0.0)
    c.leq("domain: x ≥ 0", customers, -share.min(axis=1), 0.0)
    served = share.sum(axis=1)
    c.leq("serve Σ_j x_ij = 1", customers, np.abs(served - 1.0), 0.0)
    c.leq("link x_ij ≤ y_j", customers, (share - y[None, :]).max(axis=1), 0.0)
    if problem.capacity is not None:
        c.leq("capacity Σ_i d_i x_ij ≤ s_j y_j", sites, problem.demand @ share, problem.capacity * y)
    if problem.p is not None:
        c.leq("cardinality Σ_j y_j = p", "p", abs(y.sum() - problem.p), 0.0)
    recomputed = float(problem.fixed_cost @ y + (problem.cost * share).sum())
    c.leq("objective recomputed equals reported", "objective", abs(recomputed - objective), 1e-6 * max(1.0, abs(recomputed)))
    return CheckResult(c.out, welfare=recomputed)
