"""One programme end to end: horizon → build → solve → tables → independent check, as a typed result."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from allocator.data import InstanceData
from allocator.errors import InputError, InputIssue
from allocator.output import run_record, write_atomically
from allocator.multiyear.check import check_programme
from allocator.multiyear.horizon import Fixed, Horizon
from allocator.multiyear.model import ProgrammeRun, build_programme, solve_programme
from allocator.multiyear.results import ProgrammeSolution, extract_programme


def parse_years(text: str | tuple | list) -> tuple[int, int]:
    """``"2026-2035"`` (or ``"2026"``, or a pair) → (first, last).

    >>> parse_years("2026-2035"), parse_years("2030"), parse_years((2026, 2028))
    ((2026, 2035), (2030, 2030), (2026, 2028))
    """
    if isinstance(text, (tuple, list)):
        return int(text[0]), int(text[-1])
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*", str(text))
    if not m:
        raise InputError(InputIssue("--years", f"'{text}': expected FIRST-LAST, e.g. 2026-2035"))
    first = int(m.group(1))
    return first, int(m.group(2) or first)


@dataclass
class ProgrammeResult:
    """A solved programme: status, gap, discounted W, Q over the years, the checker's verdict and the tables."""

    run: ProgrammeRun
    solution: ProgrammeSolution | None = None
    check_result: object = None
    deviations: list[str] = field(default_factory=list)
    kind: str = "programme"

    @property
    def status(self) -> str:
        return self.run.report.status.value

    @property
    def mip_gap(self):
        return self.run.report.mip_gap

    @property
    def check(self):
        return self.check_result.verdict() if self.check_result is not None else None

    def __getattr__(self, name):
        sol = self.__dict__.get("solution")
        if sol is not None and (name in ProgrammeSolution.TABLES or name in ("welfare", "shortfall", "people_short",
                                                                               "objective", "welfare_by_year")):
            return getattr(sol, name)
        raise AttributeError(name)

    def summary(self) -> dict:
        """What ``regio programme --json`` prints."""
        h = self.run.horizon
        base = self.solution.headline() if self.solution else self.run.report.as_dict()
        out = {**base, "check": self.check, "instance": h.data.instance.source or h.data.instance.name,
               "scenario": h.data.scenario.name, "first_year": h.years[0], "last_year": h.years[-1],
               "discount_rate": h.data.scenario.programme.discount_rate}
        if self.kind == "monitor":
            out["from_year"] = h.fixed.from_year
            out["deviations"] = self.deviations
        return out

    def to_folder(self, path: str | Path, force: bool = False) -> Path:
        """Write the tables, the resolved scenario and ``summary.json`` to a new folder, atomically."""
        if self.solution is None:
            raise ValueError(f"no solution to write (status {self.status})")
        data = self.run.horizon.data
        record = run_record(self.kind, data)

        def write(folder: Path) -> None:
            (folder / "run.json").parent.mkdir(parents=True, exist_ok=True)
            (folder / "run.json").write_text(record, encoding="utf-8")
            self.solution.write(folder, data.scenario.to_toml(), self.summary())
            self.extra_tables(folder)

        write_atomically(Path(path), force, write)
        return Path(path)

    def extra_tables(self, folder: Path) -> None:
        """Hook for monitoring's comparison tables."""

    def report(self, path: str | Path, force: bool = False) -> Path:
        """Write the result folder ``path`` with its self-contained ``report.html``; return the HTML's path."""
        from allocator.reports.page import write_report

        return write_report(self.to_folder(path, force=force))


def run_programme(data: InstanceData, years, projects=None, fixed: Fixed | None = None,
                  result_class=ProgrammeResult) -> ProgrammeResult:
    """Build, solve, extract and check the programme of ``data`` over ``years``."""
    first, last = parse_years(years)
    h = Horizon.prepare(data, first, last, projects=projects, fixed=fixed)
    run = solve_programme(build_programme(h))
    result = result_class(run)
    if run.report.status.has_solution:
        result.solution = extract_programme(run)
        result.check_result, result.deviations = check_programme(h, result.solution)
    return result


def summary_json(result: ProgrammeResult) -> str:
    return json.dumps(result.summary(), indent=2, default=float)
