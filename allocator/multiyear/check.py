"""The programme's independent checker: every year's constraints and every dynamic rule, from the reported tables.

Like :mod:`allocator.check` it reads only the reported tables and the instance data, never the model:
each year is re-checked as a one-year plan (:func:`allocator.check.check` on the year's data) with the
year's opening costs and running projects recomputed here from ``facilities_by_year`` and ``projects``;
then the rules between years: a closed existing site stays closed; a candidate opens once, serves
only after its lead time and stays open at least L_k years (or to the end); programme changes within
φ·b per year; the envelope of extra money; projects start once, not before their earliest year; and the
discounted W and the summed Q recomputed.  In a monitored programme the realised years are checked too,
and a breach there is a *deviation* (reported, with the year), not a failure of the re-plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.check import Checker, CheckResult, Violation, check
from allocator.multiyear.results import ProgrammeSolution, opening_years, programme_outlays
from allocator.units import EUR_TO_MEUR


def check_programme(h, sol: ProgrammeSolution, tol: float = 1e-6) -> tuple[CheckResult, list[str]]:
    """(result over the planned years, deviations in the realised years)."""
    c = Checker(tol)
    deviations: list[str] = []
    outlays = programme_outlays(h, sol.facilities_by_year, sol.projects)
    fixed_until = h.fixed.from_year if h.fixed is not None else h.years[0]
    welfare_years = []
    for yr, d, s in zip(h.years, h.year_data, sol.years):
        ol = outlays[outlays["year"] == yr][["region_id", "pool", "domain_id", "amount"]]
        res = check(d, s, tol=tol, outlays=ol)
        welfare_years.append(res.welfare)
        for v in res.violations:
            if yr < fixed_until:
                if not v.constraint.startswith(("W ", "Q ", "people short")):
                    deviations.append(f"{yr}: {v}")
            else:
                c.out.append(type(v)(f"{yr} {v.constraint}", v.index, v.detail, v.amount))
    if h.fixed is not None:  # the lifted yearly cap, re-checked as a deviation
        cap = h.data.scenario.extra_budget
        for yr, s in zip(h.years, sol.years):
            if yr < fixed_until and float(s.extra["extra"].sum()) > cap * (1 + tol) + tol:
                deviations.append(f"{yr}: extra money {float(s.extra['extra'].sum()):.6g} M€ above the yearly cap {cap:g}")
    _check_sites(c, h, sol.facilities_by_year)
    _check_phase_in(c, h, sol.allocation_by_year, fixed_until)
    env = h.data.scenario.programme.extra_envelope
    if env is not None:
        total = float(sum(s.extra["extra"].sum() for s in sol.years))
        c.leq("programme envelope Σ_t Σ E ≤ E_total", "total", total, env)
    started = sol.projects.dropna(subset=["start_year"])
    early = started[started["start_year"].astype(int) < started["earliest_start"].astype(int)]
    c.leq("project starts on or after its earliest start", early["project_id"], np.ones(len(early)), 0.0)
    late = started[~started["start_year"].astype(int).isin(h.years)]
    c.leq("project starts within the horizon", late["project_id"], np.ones(len(late)), 0.0)

    W_years = _welfare_by_year(h, sol, welfare_years)
    kappa = h.data.scenario.site_change_cost * EUR_TO_MEUR
    W = float(np.dot(h.discount, W_years)) - kappa * site_changes(h, sol.facilities_by_year)
    c.leq("programme W recomputed equals reported W", "W", abs(W - sol.welfare), 1e-6 * max(1.0, abs(W)))
    for yr, w, reported in zip(h.years, W_years, sol.welfare_by_year):
        c.leq("W_t recomputed equals reported", str(yr), abs(w - reported), 1e-6 * max(1.0, abs(w)))
    Q = float(sum(s.shortfall for s in sol.years))
    c.leq("programme Q recomputed equals reported", "Q", abs(Q - sol.shortfall), 1e-6 * max(1.0, Q))
    return CheckResult(c.out, welfare=W, shortfall=Q), deviations


def _check_sites(c: Checker, h, fac: pd.DataFrame) -> None:
    sites = h.data.sites
    y = fac.pivot_table(index="site_id", columns="year", values="open", aggfunc="first").reindex(
        index=sites.index, columns=list(h.years)).fillna(0).to_numpy(float)
    existing = sites["existing"].to_numpy(bool)
    prev = np.column_stack([existing.astype(float), y[:, :-1]])
    reopened = (y - prev > 0.5) & existing[:, None]
    bad = np.flatnonzero(reopened.any(axis=1))
    c.leq("a closed existing site stays closed", sites.index[bad], np.ones(len(bad)), 0.0)
    cand = ~existing
    starts = ((y - prev) > 0.5) & cand[:, None]
    twice = np.flatnonzero(starts.sum(axis=1) > 1)
    c.leq("a candidate opens at most once (and a closed one stays closed)", sites.index[twice], np.ones(len(twice)), 0.0)
    T = h.T
    for n in np.flatnonzero(cand & (starts.sum(axis=1) == 1)):
        j, k = sites.index[n], sites["ftype_id"].iat[n]
        first = int(np.flatnonzero(starts[n])[0])  # 0-based year of first service
        lead, life = h.lead(k), h.min_open(k)
        if first < lead:
            c.out.append(_v("a new site serves only after its lead time", j, f"serves in {h.years[first]}, lead {lead} years"))
        need = min(life, T - first)
        if y[n, first:first + need].sum() < need - 0.5:
            c.out.append(_v("an opened site stays open at least L_k years (or to the end)", j,
                            f"open {int(y[n, first:first + need].sum())} of {need} years from {h.years[first]}"))


def _v(name, index, detail):
    return Violation(name, str(index), detail, 1.0)


def _check_phase_in(c: Checker, h, alloc: pd.DataFrame, fixed_until: int) -> None:
    phi = h.data.scenario.programme.phase_in
    if phi is None:
        return
    x = alloc.pivot_table(index=["region_id", "domain_id"], columns="year", values="plan", aggfunc="first")
    b = h.data.baseline.reindex(x.index).to_numpy(float)
    prev = b
    for yr in h.years:
        cur = x[yr].to_numpy(float)
        if yr >= fixed_until:
            idx = [f"{r}/{d}/{yr}" for r, d in x.index]
            c.leq("phase-in |x_t − x_t−1| ≤ φ b", idx, np.abs(cur - prev), phi * b)
        prev = cur


def _welfare_by_year(h, sol: ProgrammeSolution, block_welfare: list[float]) -> list[float]:
    """W_t = the year's one-year W (recomputed, κ aside) + the welfare of the projects finished before t."""
    started = sol.projects.dropna(subset=["start_year"])
    out = []
    for yr, w in zip(h.years, block_welfare):
        done = started[started["start_year"].astype(int) + started["duration"].astype(int) <= yr]
        out.append(w + float((done["project_id"].map(h.project_omega) * done["welfare_per_year"]).sum()))
    return out


def site_changes(h, fac: pd.DataFrame) -> float:
    """Every change over the horizon, each counted once: closures (of existing or opened sites) and openings."""
    sites = h.data.sites
    y = fac.pivot_table(index="site_id", columns="year", values="open", aggfunc="first").reindex(
        index=sites.index, columns=list(h.years)).fillna(0).to_numpy(float)
    existing = sites["existing"].to_numpy(bool)
    prev = np.column_stack([existing.astype(float), y[:, :-1]])
    closures = float(np.clip(prev - y, 0, None).sum())
    return closures + float(len(opening_years(h, fac)))
