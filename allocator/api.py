"""The Python entry point: load an instance, solve it, ask the three users' questions, write results.

The command line is a thin layer over these calls, and both resolve a scenario the same way: model
defaults < the instance's ``[defaults]`` < a scenario file (or :class:`~allocator.scenario.Scenario`) <
keyword overrides, validated together (an unknown key or a bad value raises
:class:`~allocator.errors.InputError` naming it).

>>> import allocator
>>> inst = allocator.load_instance("gen:S:0")
>>> r = allocator.solve(inst, shortfall_price=4000)
>>> r.status, r.check
('optimal', 'passed')
>>> list(r.region_totals.columns[:3])
['region_id', 'name', 'province']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from allocator.procedures.compare import Comparison
from allocator.procedures.compare import compare as _compare_scenarios
from allocator.data import InstanceData
from allocator.procedures.evaluate import Evaluation, read_plan, status_quo
from allocator.procedures.evaluate import evaluate as _evaluate_plan
from allocator.procedures.extra_budget import ExtraBudgetResult, least_extra_budget
from allocator.instance import Instance, load_instance
from allocator.procedures.modes import Run, build
from allocator.procedures.modes import solve as _run_mode
from allocator.output import run_record, write_atomically
from allocator.procedures.pareto import pareto_front
from allocator.procedures.whatif import WhatIf
from allocator.result_folders import write_extra_budget, write_pareto
from allocator.scenario import Scenario, deep_merge, resolve_scenario

__all__ = ["load_instance", "scenario_for", "prepare", "solve", "extra_budget", "evaluate", "compare", "pareto", "programme",
           "monitor", "SolveResult", "WarmModel", "Answer"]


def scenario_for(instance: Instance, scenario: str | Path | Scenario | dict | None = None, **overrides) -> Scenario:
    """The resolved scenario: instance defaults < ``scenario`` < ``overrides``.

    Parameters
    ----------
    instance : Instance
        The instance whose ``[defaults]`` apply first.
    scenario : str, Path, Scenario, dict or None
        A scenario file, a :class:`~allocator.scenario.Scenario`, or a dict of scenario keys.
    **overrides
        Scenario keys and values (``shortfall_price=4000``, ``norms={"gp": 3}``), applied last.

    Returns
    -------
    Scenario
        Validated; an unknown key or a bad value raises :class:`~allocator.errors.InputError` naming it.

    Examples
    --------
    >>> inst = load_instance("gen:S:0")
    >>> scenario_for(inst, norms={"gp": 3.0}).norms
    {'gp': 3.0}
    """
    if isinstance(scenario, Scenario):
        return resolve_scenario(instance, None, deep_merge(scenario.model_dump(exclude_none=True), overrides))
    if isinstance(scenario, dict):
        return resolve_scenario(instance, None, deep_merge(scenario, overrides))
    return resolve_scenario(instance, scenario, overrides)


def prepare(instance: Instance | str | None = None, scenario=None, label: str | None = None, **overrides) -> InstanceData:
    """The instance with its resolved scenario, checked against each other: what every procedure takes.

    Parameters
    ----------
    instance : Instance, str or None
        An instance, a shipped name (``"nl"``), a folder or workbook, or ``gen:SIZE:SEED``; None is ``nl``.
    scenario : str, Path, Scenario, dict or None
        As in :func:`scenario_for`.
    label : str, optional
        How error messages name the scenario.
    **overrides
        Scenario keys and values.

    Returns
    -------
    InstanceData

    Examples
    --------
    >>> data = prepare("gen:S:0", hold_harmless="region")
    >>> data.scenario.hold_harmless.value, len(data.regions) > 0
    ('region', True)
    """
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    return InstanceData.prepare(inst, scenario_for(inst, scenario, **overrides),
                                label=label or (str(scenario) if isinstance(scenario, (str, Path)) else "scenario"))


@dataclass
class SolveResult:
    """One solved scenario: status, gap, W, Q, people short, the checker's verdict and the tables.

    Attributes
    ----------
    status : str
        ``optimal``, ``time_limit_feasible``, ``infeasible``, ... (the worst stage's).
    mip_gap : float or None
        The proven relative gap.
    welfare, shortfall, people_short : float
        W (M€-eq/yr), Q (person-services), distinct persons short of a basic-package service.
    check : str
        The independent checker's verdict (``passed``).
    region_totals, allocation, facilities, coverage, ... : pandas.DataFrame
        The result tables, with municipality names.
    run : Run
        The built model on its persistent solver; ``run.data`` holds the instance and scenario.

    Examples
    --------
    >>> r = solve("gen:S:0")
    >>> r.status, r.check, "name" in r.region_totals.columns
    ('optimal', 'passed', True)
    """

    run: Run

    @property
    def status(self) -> str:
        return self.run.report.status.value

    @property
    def mip_gap(self) -> float | None:
        return self.run.report.mip_gap

    @property
    def check(self):
        return self.run.check.verdict() if self.run.check else None

    def __getattr__(self, name):
        sol = self.__dict__["run"].solution
        if sol is not None and name in ("welfare", "shortfall", "people_short", "shortfall_unreachable",
                                        "shortfall_by_choice", "objective", "regions_worse_off", *sol.TABLES):
            return getattr(sol, name)
        raise AttributeError(name)

    def summary(self) -> dict:
        """What ``regio solve --json`` prints."""
        sol = self.run.solution
        return {**(sol.headline() if sol else self.run.report.as_dict()), "check": self.check,
                "warnings": list(self.run.warnings)}

    def to_folder(self, path: str | Path, force: bool = False, excel: bool = False) -> Path:
        """Write every table (CSV), the resolved scenario and ``summary.json`` to a new folder, atomically."""
        if self.run.solution is None:
            raise ValueError(f"no solution to write (status {self.status})")
        record, summary = run_record("solve", self.run.data), self.summary()
        write_atomically(Path(path), force, lambda folder: self.run.solution.write(folder, excel=excel, run_record=record,
                                                                                   summary=summary))
        return Path(path)

    def report(self, path: str | Path, force: bool = False) -> Path:
        """Write the result folder ``path`` with its self-contained ``report.html``; return the HTML's path."""
        from allocator.reports.page import write_report

        return write_report(self.to_folder(path, force=force))


def solve(instance: Instance | str | None = None, scenario=None, mode: str | None = None, **overrides) -> SolveResult:
    """Build and solve one scenario.

    Parameters
    ----------
    instance, scenario, **overrides
        As in :func:`prepare`; the instance's defaults apply exactly as on the command line.
    mode : {"weighted", "lexicographic"}, optional
        Default: the scenario's.

    Returns
    -------
    SolveResult

    Examples
    --------
    >>> r = solve("gen:S:0", hold_harmless="region")
    >>> r.regions_worse_off
    0
    """
    data = prepare(instance, scenario, **overrides)
    return SolveResult(_run_mode(build(data), mode))


def _draw_page(data: InstanceData, sol) -> str:
    """:func:`allocator.reports.page.drawn_sections`, imported on a what-if's first page: Altair and the report
    take 0.34 s to import, which a command that draws no page should not wait for."""
    from allocator.reports.page import drawn_sections

    return drawn_sections(data, sol)


class WarmModel:
    """What-ifs on one instance with the model kept built between them (see :mod:`allocator.procedures.whatif`).

    A change of λ (``shortfall_price``), α, the welfare curve's slopes or loss aversion, β, the extra money
    (``extra_budget``), the hold-harmless rule (while the built model has the rows it needs), the mode or
    the solver's limits re-solves the model already built, starting from the last plan; any other change
    rebuilds it.  Each answer is checked either way.

    Parameters
    ----------
    instance : Instance, str or None
        As in :func:`prepare`.

    Attributes
    ----------
    rebuilt : bool
        Whether the last :meth:`solve` built a new model.

    Examples
    --------
    >>> warm = WarmModel("gen:S:0")
    >>> first = warm.solve(shortfall_price=2000)
    >>> second = warm.solve(shortfall_price=8000)
    >>> warm.rebuilt, second.shortfall <= first.shortfall
    (False, True)
    """

    def __init__(self, instance: Instance | str | None = None):
        self.instance = instance if isinstance(instance, Instance) else load_instance(instance)
        self._whatif = WhatIf()
        self._whatif.draw_page = _draw_page  # a what-if's page drawn while HiGHS proves its plan

    @property
    def rebuilt(self) -> bool:
        return self._whatif.rebuilt

    def solve(self, scenario=None, mode: str | None = None, **overrides) -> SolveResult:
        """Solve ``scenario`` with ``overrides`` (resolved as :func:`solve` does) on the warm model.

        Returns
        -------
        SolveResult
            A snapshot: later what-ifs do not change it.
        """
        return SolveResult(self._whatif.solve(prepare(self.instance, scenario, **overrides), mode))


class Answer:
    """A procedure's result (the VNG question's, a front's) with its instance and scenario, writable.

    Every attribute of the result is read through (``answer.extra_budget``, ``answer.table()``), and the
    answer writes the same result folder as the command line, which ``regio report`` reads.

    Attributes
    ----------
    result : ExtraBudgetResult or Front
        What the procedure returned.
    data : InstanceData
        The instance with the resolved scenario it was asked on.
    """

    def __init__(self, result, data: InstanceData, write):
        self.result, self.data, self._write = result, data, write

    def __getattr__(self, name):
        return getattr(self.__dict__["result"], name)

    def to_folder(self, path: str | Path, force: bool = False, excel: bool = False) -> Path:
        """Write the result folder (CSV tables, optionally one Excel workbook, scenario, run record) atomically."""
        self._write(Path(path), self.data, self.result, force=force, excel=excel)
        return Path(path)

    def report(self, path: str | Path, force: bool = False) -> Path:
        """Write the result folder ``path`` with its self-contained ``report.html``; return the HTML's path."""
        from allocator.reports.page import write_report

        return write_report(self.to_folder(path, force=force))


def _extra_budget_folder(out: Path, data: InstanceData, res: ExtraBudgetResult, force: bool, excel: bool) -> None:
    if res.plan is None:
        raise ValueError(f"no plan to write (status {res.status.value})")
    write_extra_budget(out, data, res, force=force, excel=excel)


def extra_budget(instance: Instance | str | None = None, scenario=None, epsilon: float = 0.0,
                 **overrides) -> Answer:
    """The VNG question: the least extra money for Q ≤ ε with no region worse off, and the redistributive contrast.

    Parameters
    ----------
    instance, scenario, **overrides
        As in :func:`prepare`; the scenario's ``hold_harmless`` says who may not be worse off.
    epsilon : float
        The shortfall Q allowed (person-services).

    Returns
    -------
    Answer
        Of an :class:`~allocator.procedures.extra_budget.ExtraBudgetResult`: ``extra_budget`` (M€/yr),
        ``status``, ``stages`` (each with status and gap), ``plan``, ``region_effects``; ``.to_folder``, ``.report``.

    Examples
    --------
    >>> vng = extra_budget("gen:S:0", hold_harmless="region")
    >>> vng.status.value, vng.extra_budget >= 0, vng.regions_worse_off
    ('optimal', True, 0)
    >>> import tempfile, pathlib
    >>> sorted(p.name for p in vng.to_folder(pathlib.Path(tempfile.mkdtemp()) / "vng").glob("*.json"))
    ['run.json', 'summary.json']
    """
    data = prepare(instance, scenario, **overrides)
    return Answer(least_extra_budget(data, epsilon), data, _extra_budget_folder)


def evaluate(instance: Instance | str | None = None, plan: str | Path = "status-quo", scenario=None,
             **overrides) -> Evaluation:
    """A regiotoets: score a plan folder (or ``"status-quo"``) and compare it with the optimum.

    Parameters
    ----------
    instance, scenario, **overrides
        As in :func:`prepare`.
    plan : str or Path
        A result folder of ``regio solve --out``, or ``"status-quo"``.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> ev = evaluate("gen:S:0")
    >>> d = ev.as_dict()
    >>> d["plan"], d["feasible"], d["welfare"] <= d["optimum_welfare"]
    ('status quo', True, True)
    """
    data = prepare(instance, scenario, **overrides)
    return _evaluate_plan(data, status_quo(data) if str(plan) == "status-quo" else read_plan(plan, data))


def compare(instance: Instance | str | None, scenarios: list, **overrides) -> Comparison:
    """Solve several scenarios and set them side by side (the first is the baseline).

    Parameters
    ----------
    instance : Instance, str or None
    scenarios : list
        Files, :class:`~allocator.scenario.Scenario` objects or dicts.
    **overrides
        Applied to every scenario.

    Returns
    -------
    Comparison
        ``table`` (one row per scenario) and ``regions`` (per municipality and scenario).

    Examples
    --------
    >>> c = compare("gen:S:0", [{}, {"shortfall_price": 8000}])
    >>> len(c.table)
    2
    """
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    return _compare_scenarios([prepare(inst, s, **overrides) for s in scenarios])


def pareto(instance: Instance | str | None = None, scenario=None, points: int = 7, workers: int = 1,
           **overrides) -> Answer:
    """The W–Q Pareto front (AUGMECON2).

    Parameters
    ----------
    instance, scenario, **overrides
        As in :func:`prepare`.
    points : int
        Grid values of ε, the two ends included.
    workers : int
        Processes solving the points (each builds the model once).

    Returns
    -------
    Answer
        Of a :class:`~allocator.procedures.pareto.Front`: ``table()`` has W, Q, status, gap and the checker's
        verdict per point; ``.to_folder``, ``.report``.

    Examples
    --------
    >>> front = pareto("gen:S:0", points=3)
    >>> front.status.value, len(front.table()) >= 2
    ('optimal', True)
    """
    data = prepare(instance, scenario, **overrides)
    return Answer(pareto_front(data, points=points, workers=workers), data, write_pareto)


def programme(instance: Instance | str | None = None, scenario=None, years="2026-2030", **overrides):
    """A multi-year programme (model.md "Programme horizon").

    Parameters
    ----------
    instance, scenario, **overrides
        As in :func:`prepare`; ``[programme]`` holds the horizon's settings.
    years : str or tuple
        Calendar years, ``"2026-2035"`` or a pair.

    Returns
    -------
    ProgrammeResult

    Examples
    --------
    >>> r = programme("gen:S:0", years="2026-2027", extra_budget=5)
    >>> r.status, r.check, [y["year"] for y in r.summary()["years"]]
    ('optimal', 'passed', [2026, 2027])
    """
    from allocator.multiyear.run import run_programme

    return run_programme(prepare(instance, scenario, **overrides), years)


def monitor(programme_folder: str | Path, realised_folder: str | Path, from_year: int):
    """Monitoring: fix what was realised before ``from_year`` and re-plan the rest of a programme's horizon.

    Parameters
    ----------
    programme_folder : str or Path
        A result folder of :func:`programme` (``.to_folder``) or ``regio programme --out``.
    realised_folder : str or Path
        The same tables with what was realised (a programme folder edited, or the plan itself).
    from_year : int
        The first year still to plan.

    Returns
    -------
    ProgrammeResult
        Its ``summary()["deviations"]`` lists where the realised years broke a rule.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = programme("gen:S:0", years="2026-2027").to_folder(pathlib.Path(tempfile.mkdtemp()) / "p")
    >>> monitor(folder, folder, 2027).status
    'optimal'
    """
    from allocator.multiyear.monitor import monitor as _monitor

    return _monitor(Path(programme_folder), Path(realised_folder), from_year)
