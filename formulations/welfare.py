"""Broad welfare W: concave returns on programme spending, coverage and liveability, equity-weighted.

W = Σ_{r,d} ω_r p_rd f_rd(x_rd) + Σ_{i,k} ω_{r(i)} v_k pop_i u_ik + Σ_i ω_{r(i)} β pop_i h_i
    − κ (Σ_{j: e_j=1} (1 − y_j) + Σ_{j: e_j=0} y_j)                                        (M€-equivalent/yr)

κ (``site_change_cost``, € per site closed or opened, default 0) is the disruption of a change: pupils
and patients move, staff go.  Without it, a closure that another payer's account cannot reuse is worth
exactly nothing either way, and the optimum is one of many plans that close sites for no gain; a small κ
keeps every site whose closure gains nothing.

f_rd is piecewise linear and concave around the baseline b_rd (model.md):
x_rd = b_rd + Σ_s gain_rds + excess_rd − cut_rd, gain_rds ∈ [0, w_s b_rd] with
slope mw_d·slope_s (falling), excess ≥ 0 with slope 0 (beyond the last
breakpoint), and cut_rd ∈ [0, b_rd] with slope −loss_aversion·mw_d·slope_1, so a
euro cut costs at least as much as the first euro gained.  As W is maximised
and f is concave, no binaries are needed.

======================  ==========================  ============================================
model.md                attribute                   meaning
======================  ==========================  ============================================
ω_r                     (data.regions.omega)        bw_r^-α, population-weighted mean 1
p_rd                    (data.priorities)           kansenagenda multiplier (1 if none)
f_rd(x_rd)              ``gain``, ``excess``, ``cut``, ``level[region,domain]``
W                       ``W``, ``definition``       broad welfare (one column: modes change its cost)
======================  ==========================  ============================================
v_k and β are in € per person per year; they enter W divided by 10⁶ (M€).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from allocator.data import InstanceData
from allocator.units import EUR_TO_MEUR
from formulations.sparse import linear



def add_welfare(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """W = Σ ω p f(x) + Σ ω v pop u + Σ ω β pop h, with f concave piecewise linear around baseline."""
    b = m.welfare = pyo.Block()
    curve = data.scenario.welfare
    nseg = len(curve.slopes)
    base = data.baseline
    keys = list(base.index)
    widths = np.diff([0.0, *curve.breakpoints])
    b.pair = pyo.Set(initialize=keys, dimen=2, ordered=True)
    b.segment = pyo.RangeSet(nseg)
    b_val = base.to_dict()
    b.gain = pyo.Var(b.pair, b.segment, bounds=lambda _, r, d, s: (0, widths[s - 1] * b_val[(r, d)]))
    b.excess = pyo.Var(b.pair, bounds=(0, None))
    b.cut = pyo.Var(b.pair, bounds=lambda _, r, d: (0, b_val[(r, d)]))
    x = m.budget.spend
    b.level = pyo.Constraint(b.pair, rule=lambda _, r, d: x[r, d] - linear([1.0] * nseg, (b.gain[r, d, s] for s in b.segment))
                             - b.excess[r, d] + b.cut[r, d] == b_val[(r, d)])

    coefs, variables, constant = welfare_terms(m, data)
    b.W = pyo.Var()
    b.definition = pyo.Constraint(expr=b.W - linear(coefs, variables) == constant)


def welfare_terms(m: pyo.ConcreteModel, data: InstanceData) -> tuple[np.ndarray, list, float]:
    """W's terms: coefficients, variables and constant of W = Σ coef·var + constant (the row ``definition``).

    α, the welfare curve's slopes and loss aversion, v_k and β enter W only here, so a warm model changes
    them by restating this row's coefficients (:mod:`allocator.procedures.whatif`), in the order of
    :func:`welfare_variables`: per (region, domain) its segments' gains and its cut; coverage; liveability; sites.
    """
    kappa = data.scenario.site_change_cost * EUR_TO_MEUR
    constant = -kappa * float(data.sites["existing"].sum()) if kappa > 0 else 0.0
    return welfare_coefficients(data, list(m.liveability.point)), welfare_variables(m, data), constant


def welfare_coefficients(data: InstanceData, live: list) -> np.ndarray:
    """The coefficients of :func:`welfare_terms`: ω_r p_rd mw_d slope_s per gain, −ω_r p_rd mw_d λ_loss slope_1 per
    cut, ω_r v_k pop_ik per coverage, ω_r β pop_i per point of ``live`` (the model's liveability points: β is a
    weight once they exist), ±κ per site (+ existing, − candidate)."""
    curve = data.scenario.welfare
    base = data.baseline
    omega = data.regions["omega"]
    mw = data.domains["marginal_welfare"]
    weight = (omega.reindex(base.index.get_level_values(0)).to_numpy() * mw.reindex(base.index.get_level_values(1)).to_numpy()
              * data.priorities.reindex(base.index).to_numpy())
    slopes = np.asarray(curve.slopes, dtype=float)
    per_pair = np.column_stack([np.outer(weight, slopes), -weight * curve.loss_aversion * slopes[0]]).ravel()

    cov = data.coverable
    value = cov["ftype_id"].map(data.ftypes["welfare_value"]).to_numpy(float)
    w_cov = omega.reindex(cov["region_id"]).to_numpy() * value * cov["population"].to_numpy(float) * EUR_TO_MEUR
    parts = [per_pair, w_cov]

    if len(live):
        pts = data.points.loc[live]
        parts.append(omega.reindex(pts["region_id"]).to_numpy() * data.scenario.liveability_value
                     * pts["population"].to_numpy(float) * EUR_TO_MEUR)

    kappa = data.scenario.site_change_cost * EUR_TO_MEUR
    if kappa > 0:
        parts.append(np.where(data.sites["existing"].to_numpy(bool), kappa, -kappa))
    return np.concatenate(parts).astype(float)


def welfare_variables(m: pyo.ConcreteModel, data: InstanceData) -> list:
    """The variables of :func:`welfare_terms`, in the order of :func:`welfare_coefficients`."""
    b = m.welfare
    nseg = len(data.scenario.welfare.slopes)
    variables = []
    for r, d in data.baseline.index:
        variables.extend(b.gain[r, d, s] for s in range(1, nseg + 1))
        variables.append(b.cut[r, d])
    cov = data.coverable
    variables.extend(m.coverage.covered[i, k] for i, k in zip(cov["point_id"], cov["ftype_id"]))
    variables.extend(m.liveability.keeps_basic[i] for i in m.liveability.point)
    if data.scenario.site_change_cost > 0:
        variables.extend(m.facilities.open[j] for j in data.sites.index)
    return variables
