"""What-ifs on a warm model: one built model per instance, re-solved while only costs and bounds change.

A planner's what-if usually changes one knob.  Knobs that enter only the objective or the solver's
options are applied to the model already built and handed to HiGHS — λ (``shortfall_price``), the
mode (weighted or lexicographic, which sets objectives and stage bounds itself), the time limit, the
MIP gap, the seed — and so is the extra money E_max, the right-hand side of Σ E ≤ E_max
(:data:`RIGHT_HAND_SIDES`); the last plan's site decisions are offered as the start.  Any other change
(α, welfare values, norms, hold-harmless, eligibility, forced sites) changes the matrix, the rows or
the reach sets, and the model is rebuilt: an answer is always the answer of the model its scenario
describes, which the checker re-verifies after every solve.

The fields re-applied without a rebuild are :data:`OBJECTIVE_ONLY`, :data:`SOLVER_ONLY` and
:data:`RIGHT_HAND_SIDES`; everything else is the model's *structure*, compared as the resolved scenario
without those fields.
"""

from __future__ import annotations

import copy
import json

from allocator import progress
from allocator.data import InstanceData
from allocator.procedures.modes import Run, build, solve
from allocator.scenario import Scenario

# scenario fields that enter only the objective or the solver's options (see the module docstring)
OBJECTIVE_ONLY = ("name", "description", "shortfall_price", "mode")
SOLVER_ONLY = ("time_limit", "mip_gap", "seed", "verbose")
# scenario field -> the row whose upper bound it is (formulations.budget: Σ_pd E_pd ≤ E_max)
RIGHT_HAND_SIDES = {"extra_budget": lambda m: m.budget.extra_limit}


def structure_key(scenario: Scenario) -> str:
    """The resolved scenario without the fields a warm model takes as they come (same key: same matrix)."""
    fields = scenario.model_dump(mode="json", exclude=set(OBJECTIVE_ONLY) | set(RIGHT_HAND_SIDES))
    fields["solver"] = {k: v for k, v in fields["solver"].items() if k not in SOLVER_ONLY}
    return json.dumps(fields, sort_keys=True)


class WhatIf:
    """Solve scenarios of one instance one after another, rebuilding only when the structure changes.

    ``rebuilt`` says whether the last :meth:`solve` built a new model.
    """

    def __init__(self) -> None:
        self.run: Run | None = None
        self.key: str | None = None
        self.rebuilt = False

    def solve(self, data: InstanceData, mode: str | None = None) -> Run:
        """The solved run of ``data`` (a snapshot: later what-ifs do not change it)."""
        key = f"{data.instance.name}\n{structure_key(data.scenario)}"
        self.rebuilt = self.run is None or key != self.key
        if self.rebuilt:
            progress.report(phase="building")
            self.run, self.key = None, None  # a failed build leaves no half-built model behind
            self.run, self.key = build(data), key
            progress.stop_if_requested("building the model")
        else:
            before = self.run.data.scenario
            for field, row in RIGHT_HAND_SIDES.items():
                value = getattr(data.scenario, field)
                if value != getattr(before, field):
                    self.run.highs.set_row_bounds(row(self.run.model), None, float(value))
                    self.run.w_max = None  # W_max (price of fairness) depends on the money; λ leaves it
            self.run.data = data
            self.run.build_seconds = 0.0
            self.run.highs.start_from_current_integers()
        progress.report(phase="solving", seconds=0.0, time_limit=data.scenario.solver.time_limit)
        solve(self.run, mode)
        return copy.copy(self.run)
