"""The model's size before it is built: reach arcs counted without listing them, memory estimated, and a
model above the scenario's budget (``[solver] memory_limit_mb``) refused with the numbers.

    memory ≈ BASE_MB + KB_PER_ARC · arcs / 1024,   arcs = Σ_k |{(i, j): k(j) = k, j ∈ N_k(i)}|

Coverage, capacity and liveability rows all grow with the reach arcs.  Measured on nl: 68,617 arcs,
155,008 nonzeros, +80 MB for the build (1.2 KB per arc); KB_PER_ARC doubles that for HiGHS's copies and
the search.  A norm that puts every site in reach of every place (a typo of 1e9 minutes) is refused in
a second instead of building for minutes and swapping.
"""

from __future__ import annotations

from dataclasses import dataclass


from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue
from allocator.travel import count_within, norm_radius_km

BASE_MB = 150.0
KB_PER_ARC = 2.5
# a built model at rest between solves (Pyomo blocks and HiGHS's copy, no search), as a warm model keeps it:
# three nl builds in one process 264 → 333 → 407 MB (about 70 MB each for 68,617 arcs)
KB_PER_ARC_BUILT = 1.2


@dataclass(frozen=True)
class SizeEstimate:
    arcs: int
    memory_mb: float


def estimate(data: InstanceData) -> SizeEstimate:
    """Reach arcs per facility type (same region, a travel table, or coordinates) and the memory they imply."""
    points, sites, inst = data.points, data.instance.sites, data.instance
    t = inst.manifest.travel
    arcs = 0
    for k, row in data.ftypes.iterrows():
        of_type = sites[sites["ftype_id"] == k]
        if of_type.empty:
            continue
        unit, norm = row["norm_unit"], float(row["norm"])
        if unit == "region":
            per_region = of_type.groupby("region_id").size()
            arcs += int((points["region_id"].map(per_region).fillna(0)).sum())
        elif inst.travel is not None:
            travel = inst.travel[inst.travel["site_id"].isin(of_type.index)]
            arcs += int(((travel["minutes"] if unit == "min" else travel["km"]) <= norm + 1e-9).sum())
        else:
            arcs += count_within(points, of_type, norm_radius_km(norm, unit, t.detour_factor, t.speed_kmh))
    return SizeEstimate(arcs, BASE_MB + KB_PER_ARC * arcs / 1024.0)


def at_rest_mb(size: SizeEstimate) -> float:
    """Memory a built model of this size holds between solves: :data:`KB_PER_ARC_BUILT` · arcs."""
    return KB_PER_ARC_BUILT * size.arcs / 1024.0


def check_size(data: InstanceData, copies: int = 1) -> SizeEstimate:
    """The estimate (of ``copies`` one-year models, a programme's years), or an input error when it exceeds
    ``[solver] memory_limit_mb``."""
    one = estimate(data)
    size = SizeEstimate(one.arcs * copies, BASE_MB + KB_PER_ARC * one.arcs * copies / 1024.0)
    limit = data.scenario.solver.memory_limit_mb
    if size.memory_mb > limit:
        raise InputError(InputIssue(
            "[solver] memory_limit_mb", f"the model would need about {size.memory_mb:,.0f} MB ({size.arcs:,} reach arcs "
            f"between places and sites{f', over {copies} years' if copies > 1 else ''}) against a budget of "
            f"{limit:,.0f} MB; check the norms (a norm that puts "
            "every site in reach of every place builds a huge model), or raise solver.memory_limit_mb"))
    return size



