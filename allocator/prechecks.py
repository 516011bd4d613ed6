"""Cheap diagnostics before (or after) a solve that explain impossible policy settings.

``unservable``: (region, type) pairs where even with every candidate site open
fewer people are within the norm than the minimum requires:
Σ_{i∈r, N_k(i)≠∅} pop_i < σ_k Σ_{i∈r} pop_i.  In hard mode any such pair makes
the model infeasible; in soft mode it is the shortfall no budget can remove.
"""

from __future__ import annotations

import pandas as pd

from allocator.data import InstanceData


def unservable(data: InstanceData) -> pd.DataFrame:
    """Rows (region_id, ftype_id, population, reachable, required, missing) with missing > 0."""
    need = data.demand.set_index(["region_id", "ftype_id"])
    cov = data.coverable
    reachable = cov.groupby(["region_id", "ftype_id"])["population"].sum().reindex(need.index, fill_value=0.0)
    out = need.assign(reachable=reachable, missing=need["required"] - reachable)
    out = out[out["missing"] > 1e-6].reset_index()
    out.insert(1, "name", out["region_id"].map(data.regions["name"]))
    return out[["region_id", "name", "ftype_id", "population", "reachable", "required", "missing"]]
