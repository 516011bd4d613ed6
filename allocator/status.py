"""Typed solve status and the report every solve returns (status, objective, bound, gap, times, size)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import Enum


class Status(str, Enum):
    """What a solve ended with; never a bare string (a time-limited incumbent is not 'optimal')."""

    OPTIMAL = "optimal"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE)


@dataclass(frozen=True)
class SolveReport:
    """One HiGHS run: status, objective, best bound, relative MIP gap, seconds and model size."""

    status: Status
    objective: float | None
    bound: float | None
    mip_gap: float | None
    solve_seconds: float
    build_seconds: float = 0.0
    rows: int = 0
    columns: int = 0
    nonzeros: int = 0
    binaries: int = 0
    nodes: int = 0
    highs_status: str = ""
    time_limit: float | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
