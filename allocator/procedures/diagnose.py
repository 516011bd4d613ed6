"""Explain an infeasible policy instead of reporting "infeasible".

Cheap checks first (:mod:`allocator.prechecks`): (region, type) pairs that no
candidate site can serve within the norm, hold-harmless floors the money cannot
pay, forced closures that leave people without any site.  Then the elastic
model: the same scenario with the minimum service soft, solved by
:func:`allocator.procedures.extra_budget.least_extra_budget`, which gives the least
shortfall any budget can reach per region and type, and the least extra money
that reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from allocator.data import InstanceData
from allocator.procedures.extra_budget import least_extra_budget
from allocator.prechecks import forced_closures_breaking_norms, unfundable_floors, unservable


@dataclass
class Diagnosis:
    unservable: pd.DataFrame
    floors: list[str]
    forced: pd.DataFrame
    least_shortfall: pd.DataFrame | None   # per (region, type) at the lowest reachable level
    extra_money: float | None              # to reach that level with the hold-harmless rules
    elastic_status: str

    def as_dict(self) -> dict:
        return {
            "unservable": self.unservable.to_dict("records"), "unfundable_floors": self.floors,
            "forced_closures_breaking_norms": self.forced.to_dict("records"),
            "least_shortfall": None if self.least_shortfall is None else self.least_shortfall.to_dict("records"),
            "extra_money_to_reach_it": self.extra_money, "elastic_status": self.elastic_status,
        }

    def lines(self) -> list[str]:
        out = []
        if len(self.unservable):
            out.append(f"{len(self.unservable)} (region, type) pair(s) cannot reach the minimum even with every candidate "
                       "site open (no site within the norm):")
            for r in self.unservable.head(25).itertuples():
                out.append(f"  {r.region_id} {r.name}: {r.ftype_id} needs {r.required:,.0f} persons within the norm, "
                           f"at most {r.reachable:,.0f} can be ({r.missing:,.0f} short): needs a new site within the norm")
            if len(self.unservable) > 25:
                out.append(f"  ... and {len(self.unservable) - 25} more (see --json)")
        out += [f"money: {f}" for f in self.floors]
        for r in self.forced.head(10).itertuples():
            out.append(f"forced closure of {r.site_id} leaves {r.point_id} ({r.population:,.0f} persons) without any {r.ftype_id} site")
        if self.least_shortfall is not None:
            total = self.least_shortfall["shortfall"].sum()
            out.append(f"elastic model (minimum service soft): the least shortfall any budget reaches is {total:,.0f} persons "
                       f"in {self.least_shortfall['region_id'].nunique()} region(s); reaching it takes "
                       f"{self.extra_money:,.2f} M€/yr extra under hold-harmless '{self._hh}'")
        return out

    _hh: str = ""


def explain_infeasible(data: InstanceData) -> Diagnosis:
    soft = InstanceData(data.instance, data.scenario.with_changes(min_service="soft"))
    eb = least_extra_budget(soft, epsilon=0.0)
    least = None
    if eb.plan is not None:
        sf = eb.plan.shortfall_table
        least = sf[sf["shortfall"] > 0.5].copy()  # the table names each region already
    d = Diagnosis(unservable(data), unfundable_floors(data), forced_closures_breaking_norms(data), least,
                  eb.extra_budget, eb.status.value)
    d._hh = data.scenario.hold_harmless
    return d
