"""An OR-Library location problem handed to HiGHS: its model, the compiled HiGHS model and a start.

One path for ``regio orlib``, the tests and the benchmarks, so each solves what the others time.
"""

from __future__ import annotations

import pyomo.environ as pyo

from allocator.pmedian_start import greedy_interchange
from allocator.solve import HighsModel
from formulations.pmedian_radius import location_model
from instances.orlib import LocationProblem


def build_location(problem: LocationProblem, formulation: str = "auto") -> tuple[pyo.ConcreteModel, str, HighsModel]:
    """The model, the form used (``arc`` or ``radius``) and the HiGHS model, with a start for a p-median.

    The start (:func:`allocator.pmedian_start.greedy_interchange`) offers the open sites only; HiGHS
    completes the assignment (arc form) or the radius variables itself.
    """
    model, formulation = location_model(problem, formulation)
    hm = HighsModel(model)
    if problem.p is not None and problem.capacity is None:
        hm.start_from([model.open[j] for j in model.site], greedy_interchange(problem.cost, int(problem.p)))
    return model, formulation, hm
