"""Typed solve status and the report every solve returns (status, objective, bound, gap, times, size)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import Enum


class Status(str, Enum):
    """What a solve ended with; never a bare string (a time-limited incumbent is not 'optimal').

    ``FEASIBLE_UNPROVEN``: HiGHS says "optimal" for a MIP but gives no finite dual bound, i.e. it kept a
    feasible incumbent while its search ran into numerical trouble; the solution is valid (and checked),
    its optimality is not proven.
    """

    OPTIMAL = "optimal"
    FEASIBLE_UNPROVEN = "feasible_unproven"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NUMERICAL = "numerical_trouble"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE_UNPROVEN, Status.TIME_LIMIT_FEASIBLE)

    @property
    def exit_code(self) -> int:
        """The command's exit code for this status (README: When things go wrong)."""
        return EXIT_CODES[self]


# Every exit code of the ``regio`` command, in one place (README: When things go wrong).
EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_CHECK_FAILED = 0, 1, 2, 3, 4
EXIT_USAGE = 64          # the command line itself is wrong (unknown option, missing argument): nothing ran
EXIT_INTERNAL = 70       # a bug: an unexpected error, reported in one line (REGIO_DEBUG=1 shows the traceback)
EXIT_IO = 74             # reading or writing a file failed on the way (disk full, permissions changed)
EXIT_INTERRUPTED = 130   # Ctrl-C or SIGTERM
EXIT_CODES = {Status.OPTIMAL: 0, Status.INFEASIBLE: 2, Status.TIME_LIMIT_NO_SOLUTION: 3, Status.TIME_LIMIT_FEASIBLE: 5,
              Status.UNBOUNDED: 6, Status.NUMERICAL: 7, Status.ERROR: 8, Status.FEASIBLE_UNPROVEN: 9}
SEVERITY = [Status.OPTIMAL, Status.FEASIBLE_UNPROVEN, Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION, Status.UNBOUNDED,
            Status.INFEASIBLE, Status.NUMERICAL, Status.ERROR]


def worst_status(statuses) -> Status:
    """The most severe of several stages' statuses (:data:`SEVERITY`); ``error`` when there are none."""
    statuses = list(statuses)
    return max(statuses, key=SEVERITY.index) if statuses else Status.ERROR


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


def relative_gap(value: float, bound: float) -> float:
    """A maximisation's relative gap, as HiGHS's MIP gap is measured: (bound − value) / max(|value|, 1)."""
    return max(bound - value, 0.0) / max(abs(value), 1.0)


class BuildTimeLimit(Exception):
    """The build of a model took longer than the solve's time limit: time limits bound the build as well, so the
    command stops with ``time_limit_no_solution`` (exit 3) before handing anything to HiGHS."""

    status = Status.TIME_LIMIT_NO_SOLUTION

    def __init__(self, what: str, seconds: float, limit: float):
        self.seconds, self.limit = seconds, limit
        super().__init__(f"the build ({what}) took {seconds:.1f} s, more than the time limit of {limit:g} s; no model was "
                         "solved. Raise --time-limit (solver.time_limit) or make the model smaller (fewer years, "
                         "narrower norms, a smaller instance)")


class Deadline:
    """The moment a build must be done by: ``check`` raises :class:`BuildTimeLimit` once it has passed."""

    def __init__(self, limit: float | None):
        import time

        self.limit, self.start = limit, time.perf_counter()

    def check(self, what: str) -> None:
        import time

        if self.limit is not None and (spent := time.perf_counter() - self.start) > self.limit:
            raise BuildTimeLimit(what, spent, self.limit)
