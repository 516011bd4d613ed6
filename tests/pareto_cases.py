"""A hand-made instance whose Pareto front has a point no weighted sum can find.

One region R (5,000 people, one domain, linear welfare, baseline 100 M€ paid by one stream) and
two candidate GP sites, each the only one within the 10-minute norm of its village:

=====  ===================  ====================  ======================
plan   money for sites      W = −cost (M€)         Q = people uncovered
=====  ===================  ====================  ======================
none   0                    0                      5,000
A      2 (village a, 1,000)  −2                     4,000
B      3 (village b, 4,000)  −3                     1,000
A + B  5                    −5                     0
=====  ===================  ====================  ======================

All four are Pareto optimal.  ``A`` is not supported: W − μQ at A beats "none" only if
2 < 1000μ (μ > 0.002) and beats B only if 3000μ < 1 (μ < 0.000333) — impossible together, so no
weight μ ≥ 0 (no shortfall price λ = 10⁶μ €/person) selects it.
"""

from __future__ import annotations

import pandas as pd

from tests.helpers import instance

FRONT = [(0.0, 5000.0), (-2.0, 4000.0), (-3.0, 1000.0), (-5.0, 0.0)]  # (W, Q) of every Pareto-optimal plan
NON_SUPPORTED = (-2.0, 4000.0)


def knapsack_front_instance():
    return instance({
        "regions": pd.DataFrame([{"region_id": "R", "name": "R", "population": 5000, "bw_index": 1.0, "province": "P",
                                  "tags": "", "lat": 52.2, "lon": 5.0}]),
        "domains": pd.DataFrame([{"domain_id": "care", "name": "care", "marginal_welfare": 1.0}]),
        "streams": pd.DataFrame([{"stream_id": "s", "name": "s", "domain_id": "care", "amount": 100.0,
                                  "deearmark_share": 0.0}]),
        "baseline": pd.DataFrame([{"region_id": "R", "domain_id": "care", "amount": 100.0}]),
        "facility_types": pd.DataFrame([{"ftype_id": "gp", "name": "GP", "domain_id": "care", "norm": 10.0,
                                         "norm_unit": "min", "required_share": 1.0, "welfare_value": 0.0,
                                         "basic_package": True}]),
        "demand_points": pd.DataFrame([
            {"point_id": "a", "region_id": "R", "name": "a", "population": 1000, "lat": 52.0, "lon": 5.0},
            {"point_id": "b", "region_id": "R", "name": "b", "population": 4000, "lat": 52.5, "lon": 5.0}]),
        "sites": pd.DataFrame([
            {"site_id": "A", "ftype_id": "gp", "region_id": "R", "name": "A", "lat": 52.0, "lon": 5.0, "existing": False,
             "operating_cost": 2.0, "opening_cost": 0.0, "capacity": ""},
            {"site_id": "B", "ftype_id": "gp", "region_id": "R", "name": "B", "lat": 52.5, "lon": 5.0, "existing": False,
             "operating_cost": 3.0, "opening_cost": 0.0, "capacity": ""}]),
    })
