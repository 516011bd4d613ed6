"""The programme's links between years (model.md "Programme horizon"); the years themselves are the one-year blocks.

Year t's block ``m.year[t]`` is the one-year model of that year (its streams, θ, no opening cost in the
yearly site cost, no κ); these blocks add what makes the years one programme:

==========================================================  ==============================  ===============================
rule                                                        attribute                       meaning
==========================================================  ==============================  ===============================
s_jt ∈ [0,1], t ≤ T − ℓ_k                                   ``opening[site,t]``             candidate j's opening decided in t
Σ_t s_jt ≤ 1                                                ``open_once[site]``             a candidate opens at most once
y_jt ≤ Σ_{τ ≤ t−ℓ} s_jτ                                     ``serves_after[site,t]``        it serves ℓ_k years after the decision
y_jt ≥ Σ_{τ: τ+ℓ ≤ t < τ+ℓ+L} s_jτ                          ``stays_open[site,t]``          and stays open ≥ L_k years (or to T)
y_jt ≤ y_j,t−1 + s_j,t−ℓ                                    ``closed_stays[site,t]``        a closed candidate stays closed
y_jt ≤ y_j,t−1 (e_j = 1)                                    ``closure_final[site,t]``       a closed existing site stays closed
|x_rdt − x_rd,t−1| ≤ φ b_rd, x_rd0 = b_rd                  ``phase_up``, ``phase_down``    phase-in of programme changes
Σ_t Σ_pd E_pdt ≤ E_total                                    ``envelope``                    the horizon's extra money
z_pt ∈ {0,1}, Σ_t z_pt ≤ 1                                  ``project_start``, ``start_once``  an agenda project starts once
W = Σ_t δ^(t−1) (W_t + Σ_p ω_p w_p done_pt) − κ Σ_t changes_t  ``W``, ``welfare_year[t]``  discounted welfare
Q = Σ_t Q_t                                                 ``Q``                           shortfall over the horizon
max W − λ' Σ_t δ^(t−1) measure_t                            ``objective``                   the weighted objective
==========================================================  ==============================  ===============================

done_pt = Σ_{τ ≤ t − D_p} z_pτ (the project's welfare counts from the year after its last running year);
running_pt = Σ_{τ ∈ (t − D_p, t]} z_pτ, paid as an outlay of year t (formulations.outlays) at c_p, spread
over the project's regions by population.  changes_t = Σ_j s_jt (openings) + Σ_{e_j=1} (y_j,t−1 − y_jt)
+ Σ_{e_j=0} (y_j,t−1 + s_j,t−ℓ − y_jt) (closures), y_j0 = e_j; the disruption cost κ counts each change once,
undiscounted (:func:`total_changes`), so W_t (``welfare_year``) is the year's welfare before it.  The opening cost O_j = factor · o_j is an
outlay of the decision year.  s needs no integrality: y is binary, so the first s_jτ > 0 forces
y_j,τ+ℓ = 1 and hence Σ_{τ' ≤ τ} s_jτ' = 1 (an opening is whole).  With T = 1 every rule reduces to the
one-year model: y_j1 = s_j1, openings cost o_j, changes = κ's count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from allocator.instance import PROGRAMME_PAYER
from allocator.units import EUR_TO_MEUR
from formulations.min_service import measure_var
from formulations.objective import shortfall_cost
from formulations.outlays import COLUMNS
from formulations.sparse import linear


def add_programme_decisions(m: pyo.ConcreteModel, h) -> None:
    """The decisions the years share: openings s_jt of candidates and starts z_pt of agenda projects."""
    sites = h.data.sites
    cand = sites[~sites["existing"] & (sites["forced"] != 0.0)]
    keys = [(j, t) for j, k in zip(cand.index, cand["ftype_id"]) for t in range(1, h.T - h.lead(k) + 1)]
    m.opening = pyo.Var(keys, bounds=(0, 1))
    m.candidate = list(cand.index)
    p = h.projects
    pkeys = [(pid, t) for pid, (_, row) in zip(p["project_id"], p.iterrows()) for t in h.start_years(row)]
    m.project_start = pyo.Var(pkeys, domain=pyo.Binary)


def outlay_frame(m: pyo.ConcreteModel, h, t: int) -> pd.DataFrame:
    """Year t's outlays (formulations.outlays): opening costs decided in t, and the projects running in t."""
    sites = h.data.sites.loc[m.candidate]
    factor = h.data.scenario.programme.opening_cost_factor
    here = [(j, t) in m.opening for j in sites.index]
    paid = sites[np.array(here, dtype=bool) & (sites["opening_cost"].to_numpy(float) > 0)]
    frame = pd.DataFrame({"region_id": paid["region_id"].to_numpy(), "pool": paid["pool"].to_numpy(),
                          "domain_id": paid["domain_id"].to_numpy(),
                          "coef": factor * paid["opening_cost"].to_numpy(float),
                          "var": np.array([m.opening[j, t] for j in paid.index], dtype=object)})
    rows = []
    pr = h.project_regions
    for _, p in h.projects.iterrows():
        pid, dur = p["project_id"], int(p["duration"])
        running = [m.project_start[pid, tau] for tau in range(t - dur + 1, t + 1) if (pid, tau) in m.project_start]
        for _, r in pr[pr["project_id"] == pid].iterrows():
            for z in running:
                rows.append((r["region_id"], PROGRAMME_PAYER, p["domain_id"], float(p["cost_per_year"]) * r["share"], z))
    return pd.concat([frame, pd.DataFrame(rows, columns=COLUMNS)], ignore_index=True) if rows else frame


def add_programme_links(m: pyo.ConcreteModel, h) -> None:
    """Site dynamics, phase-in, envelope, project starts, and the discounted objective (see the module table)."""
    T, sites, sc = h.T, h.data.sites, h.data.scenario
    y = {t: m.year[t].facilities.open for t in range(1, T + 1)}
    years = range(1, T + 1)
    s = m.opening
    cand = sites.loc[m.candidate]
    lead = {j: h.lead(k) for j, k in zip(cand.index, cand["ftype_id"])}
    life = {j: h.min_open(k) for j, k in zip(cand.index, cand["ftype_id"])}

    def opened(j, taus):
        return [s[j, tau] for tau in taus if (j, tau) in s]

    def open_once(_, j):
        v = opened(j, years)
        return linear([1.0] * len(v), v) <= 1 if v else pyo.Constraint.Skip

    m.open_once = pyo.Constraint(m.candidate, rule=open_once)
    ct = [(j, t) for j in m.candidate for t in years]

    def serves_after(_, j, t):
        v = opened(j, range(1, t - lead[j] + 1))
        return y[t][j] - linear([1.0] * len(v), v) <= 0

    def stays_open(_, j, t):
        v = opened(j, [tau for tau in years if tau + lead[j] <= t < tau + lead[j] + life[j]])
        return y[t][j] - linear([1.0] * len(v), v) >= 0 if v else pyo.Constraint.Skip

    def closed_stays(_, j, t):
        v = opened(j, [t - lead[j]])
        return y[t][j] - y[t - 1][j] - linear([1.0] * len(v), v) <= 0

    m.serves_after = pyo.Constraint(ct, rule=serves_after)
    m.stays_open = pyo.Constraint(ct, rule=stays_open)
    m.closed_stays = pyo.Constraint([(j, t) for j, t in ct if t > 1], rule=closed_stays)
    existing = sites.index[sites["existing"]].tolist()
    m.closure_final = pyo.Constraint([(j, t) for j in existing for t in years if t > 1],
                                     rule=lambda _, j, t: y[t][j] - y[t - 1][j] <= 0)

    phi = sc.programme.phase_in
    if phi is not None:
        base = h.data.baseline
        pairs = list(base.index)
        bval = base.to_dict()

        def previous(r, d, t):
            return m.year[t - 1].budget.spend[r, d] if t > 1 else bval[(r, d)]

        keys = [(r, d, t) for r, d in pairs for t in years]
        m.phase_up = pyo.Constraint(keys, rule=lambda _, r, d, t: m.year[t].budget.spend[r, d] - previous(r, d, t)
                                    <= phi * bval[(r, d)])
        m.phase_down = pyo.Constraint(keys, rule=lambda _, r, d, t: m.year[t].budget.spend[r, d] - previous(r, d, t)
                                      >= -phi * bval[(r, d)])

    if sc.programme.extra_envelope is not None:
        extra = [v for t in years for v in m.year[t].budget.extra.values()]
        m.envelope = pyo.Constraint(expr=linear([1.0] * len(extra), extra) <= sc.programme.extra_envelope)

    z = m.project_start
    by_project: dict = {}
    for key in z:
        by_project.setdefault(key[0], []).append(z[key])
    m.start_once = pyo.Constraint(sorted(by_project), rule=lambda _, pid: linear(
        [1.0] * len(by_project[pid]), by_project[pid]) <= 1)

    kappa = sc.site_change_cost * EUR_TO_MEUR
    omega = h.project_omega
    m.welfare_year = pyo.Var(list(years))
    m.welfare_year_definition = pyo.Constraint(list(years), rule=lambda _, t: m.welfare_year[t] - m.year[t].welfare.W
                                               - _project_welfare(m, h, omega, t) == 0)
    delta = h.discount
    m.W = pyo.Var()
    m.W_definition = pyo.Constraint(expr=m.W - linear(delta, (m.welfare_year[t] for t in years))
                                    + kappa * total_changes(m, h) == 0)
    m.Q = pyo.Var()
    m.Q_definition = pyo.Constraint(expr=m.Q == sum(m.year[t].min_service.Q for t in years))
    lam = shortfall_cost(h.data)
    m.objective = pyo.Objective(expr=m.W - lam * sum(float(delta[t - 1]) * measure_var(m.year[t], sc) for t in years),
                                sense=pyo.maximize)


def _project_welfare(m, h, omega: pd.Series, t: int):
    """Σ_p ω_p w_p done_pt: the projects finished before year t."""
    z, coefs, variables = m.project_start, [], []
    for pid, w, dur in zip(h.projects["project_id"], h.projects["welfare_per_year"], h.projects["duration"]):
        for tau in range(1, t - int(dur) + 1):
            if (pid, tau) in z:
                coefs.append(float(omega[pid]) * float(w))
                variables.append(z[pid, tau])
    return linear(coefs, variables)


def total_changes(m, h):
    """Σ_t changes_t, telescoped: Σ_{e_j=1} (1 − y_jT) + Σ_{e_j=0} (2 Σ_t s_jt − y_jT) (y_j0 = e_j).

    Each change (an existing site closing, a candidate opening, an opened site closing) counts once.
    Only the last year's y and the openings appear, so HiGHS sees about as many binaries in the objective
    as in the one-year model; every year's y in it (a discounted κ) made HiGHS's clique partition of the
    objective's binaries take 440 s on a ten-year nl programme (docs/performance.md).
    """
    sites, T = h.data.sites, h.T
    y = m.year[T].facilities.open
    existing = sites.index[sites["existing"]].tolist()
    coefs, variables = [-1.0] * len(existing), [y[j] for j in existing]
    for j in m.candidate:
        for (site, tau) in [(j, tau) for tau in range(1, T + 1) if (j, tau) in m.opening]:
            coefs.append(2.0)
            variables.append(m.opening[site, tau])
        coefs.append(-1.0)
        variables.append(y[j])
    return linear(coefs, variables) + float(len(existing))
