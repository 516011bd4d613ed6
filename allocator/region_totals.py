"""Who gains and who loses: each region's total spending, programme and facilities, baseline against plan.

    T_r = Σ_d x_rd + Σ_{j in r} (c_j + o_j (1 − e_j)) y_j     (plan)
    B_r = Σ_d b_rd + Σ_{j in r, e_j = 1} c_j                  (baseline)

``change_meur`` = T_r − B_r splits into ``programme_change_meur`` (Σ_d x_rd − b_rd) and
``facilities_change_meur`` (the sites' part, whoever pays them).  ``baseline_municipal_meur`` and
``plan_municipal_meur`` are what the municipal account pays: programmes plus the sites whose payer is the
municipality (or a payer the scenario pools with it); other payers' sites, e.g. the insurers' emergency
departments, are left out.  The baseline is comparable to the municipality's own budget (CBS Iv3 lasten).
``people_short`` counts the region's persons short of at
least one basic-package service.  A region is *worse off* when its municipal total falls below its
baseline (``municipal_change_meur`` < 0): the hold-harmless rules ``region`` and ``region-domain`` forbid
exactly that.  Money in M€/yr,
per inhabitant in €/yr.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.data import InstanceData
from allocator.instance import PROGRAMME_PAYER
from allocator.units import EUR_PER_MEUR

WORSE_OFF_TOL = 1e-6  # M€: a region is worse off when its total falls more than €1 below baseline

COLUMNS = ["region_id", "name", "province", "population", "baseline_total_meur", "plan_total_meur", "change_meur",
           "change_per_inhabitant_eur", "programme_change_meur", "facilities_change_meur", "baseline_municipal_meur",
           "plan_municipal_meur", "municipal_change_meur", "sites_opened",
           "sites_closed", "people_short"]


def region_totals(data: InstanceData, allocation: pd.DataFrame, facilities: pd.DataFrame,
                  people_short: pd.Series | None = None) -> pd.DataFrame:
    """One row per region (columns :data:`COLUMNS`) from a plan's ``allocation`` and ``facilities`` tables and
    the persons short of a basic-package service per region (``people_short``, by region_id)."""
    regions, sites = data.regions, data.sites
    y = facilities.set_index("site_id")["open"].reindex(sites.index).fillna(0).to_numpy(float)
    existing = sites["existing"].to_numpy(bool)
    by_region = sites["region_id"]
    fac_plan = pd.Series(sites["unit_cost"].to_numpy(float) * y, index=sites.index).groupby(by_region).sum()
    fac_base = sites["operating_cost"].where(sites["existing"], 0.0).groupby(by_region).sum()
    own = sites["pool"] == PROGRAMME_PAYER
    own_plan = pd.Series(sites["unit_cost"].to_numpy(float) * y, index=sites.index)[own].groupby(by_region[own]).sum()
    own_base = sites["operating_cost"].where(sites["existing"] & own, 0.0).groupby(by_region).sum()
    opened = pd.Series((~existing) & (y > 0.5), index=sites.index).groupby(by_region).sum()
    closed = pd.Series(existing & (y < 0.5), index=sites.index).groupby(by_region).sum()
    prog_plan = allocation.groupby("region_id")["plan"].sum()
    prog_base = data.baseline.groupby(level="region_id").sum()

    def per_region(s: pd.Series) -> np.ndarray:
        return s.reindex(regions.index, fill_value=0.0).to_numpy(float)

    out = pd.DataFrame({"region_id": regions.index, "name": regions["name"].to_numpy(),
                        "province": regions["province"].to_numpy() if "province" in regions else "",
                        "population": regions["population"].to_numpy()})
    out["baseline_total_meur"] = per_region(prog_base) + per_region(fac_base)
    out["plan_total_meur"] = per_region(prog_plan) + per_region(fac_plan)
    out["change_meur"] = out["plan_total_meur"] - out["baseline_total_meur"]
    out["change_per_inhabitant_eur"] = out["change_meur"] * EUR_PER_MEUR / out["population"].where(out["population"] > 0)
    out["programme_change_meur"] = per_region(prog_plan) - per_region(prog_base)
    out["facilities_change_meur"] = per_region(fac_plan) - per_region(fac_base)
    out["baseline_municipal_meur"] = per_region(prog_base) + per_region(own_base)
    out["plan_municipal_meur"] = per_region(prog_plan) + per_region(own_plan)
    out["municipal_change_meur"] = out["plan_municipal_meur"] - out["baseline_municipal_meur"]
    money = ["baseline_total_meur", "plan_total_meur", "change_meur", "programme_change_meur", "facilities_change_meur",
             "baseline_municipal_meur", "plan_municipal_meur", "municipal_change_meur"]
    out[money] = out[money].round(6) + 0.0  # to the euro; + 0.0 turns −0.0 into 0.0
    out["change_per_inhabitant_eur"] = out["change_per_inhabitant_eur"].round(2) + 0.0
    out["sites_opened"] = per_region(opened).astype(int)
    out["sites_closed"] = per_region(closed).astype(int)
    out["people_short"] = per_region(people_short).round(1) if people_short is not None else np.nan
    return out[COLUMNS]


def regions_worse_off(totals: pd.DataFrame) -> int:
    """How many regions end with a municipal total (its facilities included) below their baseline."""
    return int((totals["municipal_change_meur"] < -WORSE_OFF_TOL).sum())
