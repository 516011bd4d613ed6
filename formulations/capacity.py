"""Optional capacity: people are assigned to open sites within reach and within capacity (model.md 7).

=================================  =========================  ==========================================
model.md                           attribute                  meaning
=================================  =========================  ==========================================
a_iG = pop_i · share_iG            ``share[point,group]``     fraction of point i served at site group G
Σ_G a_iG = pop_i u_ik              ``serve[point,ftype]``     Σ_{G ∈ N_k(i)} share_iG = u_ik
Σ_i a_iG ≤ Σ_{j∈G} cap_j y_j       ``limit[group]``           Σ_i pop_i share_iG ≤ Σ_{j∈G} cap_j y_j
(valid tightening)                 ``link[point,group]``      share_iG ≤ Σ_{j∈G} y_j
(valid, beside the model)          ``closures``               share_iG ≤ c + (f − c)·y_j, j ∈ G; u_ik ≤ c + (1 − c)·y_j
(for cuts, beside the model)       ``point_sites``            each point's sites, groups and places: u_ik ≤ g(open sites)
=================================  =========================  ==========================================

G is a group of capacitated sites of one type with the same reach set (``InstanceData.capacity_groups``;
mostly one site, a town's schools at its centre together): exact, as the group's share splits over its
open members in proportion to capacity, which is how the results report it per site.
Demand and capacity enter in thousands of persons (numerical scaling).
Built only with ``use_capacity = true`` and only for types with at least one
capacitated site; sites with an empty capacity are unlimited.  The same
assignment block serves the OR-Library warehouse and p-median models
(:mod:`formulations.location`).

The two closure rows are what a closed site leaves of a point's service (:func:`closure_rows`): point i's
group G serves at most f = min(1, cap_G / d_i) of its d_i people, and with member j closed at most
c = min(1, (cap_G − cap_j) / d_i); so share_iG ≤ c + (f − c)·y_j, the convex hull of the two cases.  Summed
over i's groups, with j closed: u_ik ≤ c_ij = min(1, Σ_G (f or c)), so u_ik ≤ c_ij + (1 − c_ij)·y_j.  Both
hold for every objective and every budget, so they change no optimum; they move the LP relaxation's bound
where HiGHS's root cuts would (nl: 1.9·10⁻⁴ → 3.5·10⁻⁵ above the default's optimum; the same rows are most
of the root cuts HiGHS adds itself).  ``point_sites`` lists, per point, the sites it reaches with their group
and places, from which :mod:`allocator.solver.coverage_cuts` separates what the closure rows leave: two sites
a point needs at once, or one whose places count for less once another is open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from allocator.data import InstanceData
from formulations.assignment import add_assignment
from formulations.facilities import open_columns
from formulations.min_service import PERSONS_PER_UNIT
from formulations.sparse import groups, linear, var_array


def add_capacity(m: pyo.ConcreteModel, data: InstanceData) -> None:
    """Σ_j share_ij = u_ik, Σ_i pop_i share_ij ≤ cap_j y_j, share_ij ≤ y_j, for capacitated types."""
    if not data.scenario.use_capacity:
        return
    sites = data.sites
    capped_types = set(sites.loc[sites["capacity"].notna(), "ftype_id"])
    arcs = data.model_reach[data.model_reach["ftype_id"].isin(capped_types)]
    if arcs.empty:
        return
    group = data.capacity_groups
    arcs = arcs.assign(group=arcs["site_id"].map(group).fillna(arcs["site_id"]))
    arcs = arcs.drop_duplicates(["point_id", "ftype_id", "group"])
    population = data.coverable.set_index(["point_id", "ftype_id"])["population"]  # a merged group's people
    demand = population.reindex(pd.MultiIndex.from_frame(arcs[["point_id", "ftype_id"]])).to_numpy(float)
    arcs = pd.DataFrame({"customer": list(zip(arcs["point_id"], arcs["ftype_id"])), "site": arcs["group"],
                         "cost": 0.0, "demand": demand / PERSONS_PER_UNIT})
    used = pd.unique(arcs["site"])
    # each used group's member sites (a site outside every group is its own group), as positions in ``sites``
    member_of = pd.Series(group.to_numpy(), index=group.index).reindex(sites.index)
    member_of = member_of.where(member_of.notna(), pd.Series(sites.index, index=sites.index))
    wanted = member_of.isin(used).to_numpy()
    rows = groups(member_of.to_numpy(dtype=object)[wanted])
    position = np.flatnonzero(wanted)
    y = var_array(m.facilities.open, sites.index.tolist())
    cap = (sites["capacity"] / PERSONS_PER_UNIT).to_numpy(float)
    grouped = set(group.to_numpy())
    capped = [g for g in used if g in grouped]
    m.capacity_open = pyo.Expression(capped, initialize={g: linear(cap[position[rows[g]]], y[position[rows[g]]])
                                                         for g in capped})
    _, columns = open_columns(m, data, list(used))
    link = dict(zip(used, columns))  # a group's count Σ_{j∈G} y_j, or a lone site's y_j
    b = add_assignment(m, "capacity", arcs, pd.Series(1.0, index=capped), m.capacity_open,
                       served=m.coverage.covered, link_var=link)
    members = pd.DataFrame({"group": member_of.to_numpy(dtype=object)[wanted], "position": position,
                            "cap": cap[position]})
    customer, customers = pd.factorize(arcs["customer"])
    share, cover = closure_rows(customer, arcs["site"].to_numpy(dtype=object), arcs["demand"].to_numpy(float),
                                members[members["group"].isin(capped)])
    shares = var_array(b.share, list(b.arc))[share["arc"].to_numpy(int)]
    covered = var_array(m.coverage.covered, [customers[c] for c in cover["customer"]])
    b.closures = Closures(np.concatenate([shares, covered]),
                          y[np.concatenate([share["position"], cover["position"]]).astype(int)],
                          np.concatenate([share["slope"], cover["slope"]]),
                          np.concatenate([share["level"], cover["level"]]))
    element = pd.DataFrame({"customer": customer, "group": arcs["site"].to_numpy(dtype=object)}).merge(
        members, on="group").sort_values("customer", kind="stable")
    first = np.searchsorted(element["customer"].to_numpy(), np.arange(len(customers) + 1))
    b.point_sites = PointSites(var_array(m.coverage.covered, list(customers)),
                               pd.Series(arcs["demand"].to_numpy(float)).groupby(customer).first().to_numpy(),
                               first, y[element["position"].to_numpy(int)],
                               pd.factorize(element["group"])[0], element["cap"].to_numpy(float))


@dataclass(frozen=True)
class Closures:
    """The closure rows, served_n − slope_n·y_n ≤ level_n: valid inequalities kept beside the model, not in it.

    In the MIP they slow HiGHS down (nl: 6,330 more rows; a λ what-if 2.0 → 4.1 s), as HiGHS finds the ones
    it needs at its root itself; in an LP relaxation of ours they give HiGHS's root bound without its cut rounds
    (:meth:`allocator.solver.highs.HighsModel.tightened`).
    """

    served: np.ndarray  # share_iG or u_ik, VarData
    opened: np.ndarray  # y_j, VarData
    slope: np.ndarray
    level: np.ndarray


@dataclass(frozen=True)
class PointSites:
    """Each capacitated point's sites, for :mod:`allocator.solver.coverage_cuts`: point n (u_n, ``served``, with
    ``demand`` d_n) has the elements ``start[n]:start[n+1]``, each a site (``opened``: y_j) with the code of its
    capacity group (``group``) and its capacity (``cap``, NaN: none), in thousands of persons like d_n."""

    served: np.ndarray  # u_ik, VarData, one per point
    demand: np.ndarray
    start: np.ndarray
    opened: np.ndarray  # y_j, VarData, one per element
    group: np.ndarray
    cap: np.ndarray


CLOSURE_MIN_STEP = 1e-3  # a closure row whose y_j coefficient is below this is left out (it adds next to nothing)


def closure_rows(customer: np.ndarray, group: np.ndarray, demand: np.ndarray,
                 members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The closure rows' terms, level + slope·y_j: share_iG's per (arc, member j) and u_i's per (customer, site j).

    One entry per arc: ``customer`` (code), ``group`` and ``demand`` d_i; ``members``: group, position (of the
    site j), cap.  A group that is not in ``members`` has no capacity and serves all of i.  Rows with a slope
    below :data:`CLOSURE_MIN_STEP` are left out, and so are the share rows of a group of one member (its
    capacity row already says share ≤ (cap_j/d_i)·y_j).
    """
    total = members.groupby("group")["cap"].agg(["sum", "size"])
    cap_g = pd.Series(group).map(total["sum"]).to_numpy(float)
    full = np.where(np.isnan(cap_g), 1.0, np.minimum(1.0, cap_g / demand))
    arcs = pd.DataFrame({"arc": np.arange(len(group)), "customer": customer, "group": group, "full": full,
                         "cap_g": cap_g, "demand": demand})
    pairs = arcs.merge(members, on="group")  # (arc, member j): what the arc's group serves with j closed
    pairs["level"] = np.minimum(1.0, (pairs["cap_g"] - pairs["cap"]) / pairs["demand"])
    pairs["slope"] = pairs["full"] - pairs["level"]
    many = pairs["group"].map(total["size"]).to_numpy() > 1
    share = pairs.loc[many & (pairs["slope"] >= CLOSURE_MIN_STEP), ["arc", "position", "level", "slope"]]
    reach = arcs.groupby("customer")["full"].sum()  # Σ_G f: what all of i's groups serve, open
    cover = pairs.groupby(["customer", "position"], sort=False, as_index=False)["slope"].sum()
    cover["level"] = np.minimum(1.0, cover["customer"].map(reach).to_numpy(float) - cover["slope"].to_numpy())
    cover["slope"] = 1.0 - cover["level"]
    cover = cover.loc[cover["slope"] >= CLOSURE_MIN_STEP, ["customer", "position", "level", "slope"]]
    return share.reset_index(drop=True), cover.reset_index(drop=True)
