"""The only solver-facing module: a persistent HiGHS model compiled once from a Pyomo model.

Why not Pyomo's own solver interfaces: the model is compiled once into Pyomo's linear standard form
(sparse CSC matrix, row and column maps; :func:`allocator.solver.compile.standard_form` gives what Pyomo's
``LinearStandardFormCompiler`` gives, without its expression walker) and
passed to ``highspy.Highs`` in a single ``passModel`` call, which is the fastest
Pyomo route to HiGHS we measured (docs/performance.md).  The HiGHS model is then
kept: every mode re-solves it by changing column costs and bounds or row
bounds (λ, ε, Q* + tolerance, E_max, θ, fixings), never by rebuilding.  Before a
re-solve the model, as changed, moves to a fresh ``Highs`` object (0.01 s at XL),
whose run clock starts at zero (:meth:`HighsModel._renew_clock`).

Starting points: sparse ones (:meth:`HighsModel.start_from`, e.g. the status
quo's site decisions), which HiGHS completes itself by an LP over the other
columns, or whole plans computed on this very model (:meth:`HighsModel.start_whole`: a what-if's start,
:mod:`allocator.procedures.neighbourhood`; W_max from the scenario's plan), which it takes as they are.  They are
held here and handed to HiGHS just before the run: HiGHS discards a user solution
whenever the model changes (a cost, a bound), and every mode changes costs after
the start is chosen.  A full column vector offered with ``setSolution`` was once
seen to come back as "optimal" from a bounded re-solve that HiGHS otherwise called
infeasible; the checker caught it, and it re-checks every answer.

Pyomo variables that appear in no row and no objective have no column; their
value is their lower bound (0 for every variable of this model).
"""

from __future__ import annotations

import copy
import ctypes
import hashlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from allocator import progress
from allocator.errors import Cancelled
from allocator.progress import SolveTicker
from allocator.solver.compile import standard_form
from allocator.solver.coverage_cuts import CoverageCuts
from allocator.solver.threads import POOL
from allocator.status import SolveReport, Status, relative_gap

INF = highspy.kHighsInf
# HiGHS presolve rule 12, the aggregator: it substitutes each region's spending out of the welfare-curve
# rows into its domain's budget row, leaving rows of thousands of singleton columns whose "column
# stuffing" is quadratic and ignores the time limit (gen:XL:0, HiGHS 1.15.1: presolve 150-230 s; without
# the aggregator 7 s).  Measured on every instance size before it was made the default (docs/performance.md).
PRESOLVE_RULES_OFF = 1 << 12
# HiGHS's root reduced-cost heuristic: with a good start (the greedy's is within 0.1 % on nl) HiGHS fixes
# columns by reduced cost, restarts, and then spends 10-15 s in this sub-MIP on the nl instance in half
# of the random seeds (nl solve 17-23 s against 6 s).  Off: nl 5.8-6.9 s over seeds 0-7; gen:M/L/XL:0
# unchanged within noise (docs/performance.md).
HIGHS_OPTIONS = {"presolve_rule_off": PRESOLVE_RULES_OFF, "mip_heuristic_run_root_reduced_cost": False}
# HiGHS's feasibility jump looks for a first feasible plan before the root LP, and runs even when the start
# is one; it does not watch the time limit.  A run that starts from a whole plan (every column) goes without
# it: nl's MIPs alone, three runs each, GP norm 4 km 1.50-1.57 → 1.35-1.41 s, λ 3,000 2.69-3.03 →
# 2.61-2.74 s, α 2 within noise; a λ 3,000 MIP limited to 1.9 s stopped at 4.6-5.1 s with it, 2.0 s
# without (docs/performance.md).
WHOLE_START_OPTIONS = {"mip_heuristic_run_feasibility_jump": False}
# rounds of coverage cuts in an LP relaxation (nl: one round proves λ 4,000; later ones add a cut or two)
CUT_ROUNDS = 1
# coverage cuts kept at most (a web worker's model answers what-if after what-if; nl keeps a few a what-if, 17
# after seven λ's): past it no more are sought, so the LP relaxation does not grow without end
POOLED_CUTS = 2_000


class HighsModel:
    """A compiled Pyomo model held in a persistent ``highspy.Highs``."""

    def __init__(self, model: pyo.ConcreteModel, verbose: bool = False):
        t0 = time.perf_counter()
        with PauseGC():  # the whole compile: its lists and arrays would set off full collections of the model
            info = standard_form(model)
            lp, self.row, self.integer = _highs_lp(info)
            self.columns = info.columns
            self.col = {id(v): n for n, v in enumerate(info.columns)}
            self.nonzeros = int(info.A.nnz)
            self.options: dict = {"output_flag": verbose, **HIGHS_OPTIONS}  # every option set, for a renewal
            self.h = self._new_highs()
            self.h.passModel(lp)
            self.relaxed = False  # integer columns made continuous (LP re-solves for duals)
        self.compile_seconds = time.perf_counter() - t0
        self.values: np.ndarray | None = None
        self._by_key: dict[int, tuple] = {}  # id(component) -> (component, keys, columns, lower bounds)
        self.start: tuple[np.ndarray, np.ndarray] | None = None  # (columns, values) for the next solve
        # The last LP optimum's basis on this model: the next LP (sites fixed or relaxed) starts there, and HiGHS
        # then skips its presolve.  nl what-ifs: the marginal-welfare LP 0.24-0.38 → 0.07-0.16 s, the
        # neighbourhood's LP after a λ change 0.22 → 0.07 s; the same optima and duals.  MIP solves ignore it.
        self.lp_basis: highspy.HighsBasis | None = None
        # The last LP relaxation's basis (:func:`allocator.procedures.neighbourhood.relaxation_start`, reduced-cost
        # fixing): the fixing's LP starts there.  nl, the LP after a GP norm's relaxation start 0.14-0.17 s → 0.03-0.06 s
        # (no iteration), after a move of λ 0.07-0.10 → 0.04-0.07 s; the same optima.
        self.relaxation_basis: highspy.HighsBasis | None = None
        # valid inequalities for the LP relaxations of :meth:`tightened`, kept out of the MIP (addRows' arguments):
        # the closure rows, then the coverage cuts found so far; the basis above holds the first basis_rows of them
        self.relaxation_rows: tuple | None = None
        self.basis_rows = 0
        self.coverage_cuts: CoverageCuts | None = None  # their separation (:meth:`keep_coverage_cuts`)
        self.pooled_cuts = 0  # coverage cuts among the relaxation rows
        self.quiet = False  # a twin's solves report no progress (:meth:`twin`)

    def _new_highs(self) -> highspy.Highs:
        with _silenced_stdout(not self.options["output_flag"]):
            h = highspy.Highs()  # highspy ≥ 1.16 prints a banner here, before any option can be set
        for option, value in self.options.items():
            h.setOptionValue(option, value)
        return h

    def root_lp_without_presolve(self) -> None:
        """Solve the MIP's first root LP without HiGHS's LP presolve (``mip_root_presolve_only``), from now on.

        HiGHS presolves that LP again, and its singleton-column stuffing is quadratic when the region totals
        are free (hold-harmless ``none``: every region's spending columns hang off W's row alone).  nl under
        none: 11.7 s between the end of presolve and the root LP's 4,204 iterations (the same LP alone: 0.4 s);
        solve 23.1 → 5.2 s; gen:M:0 3.6 → 0.7 s, gen:L:0 5.3 → 1.0 s, gen:XL:0 83 → 70 s.  Under a
        hold-harmless rule one solve of nl changes within noise and holds about 20 MB more (486 → 507 MB
        peak), so it is set where region totals are or may become free: a model built under ``none``, a warm
        model (a what-if may switch to ``none``), the extra-budget stages (their contrast frees the totals;
        nl VNG scenario 29.7 → 19.1 s, 469 → 423 MB).  See docs/performance.md.
        """
        self.set_option("mip_root_presolve_only", True)

    def set_option(self, option: str, value) -> None:
        """Set a HiGHS option for this and every later solve (kept across :meth:`_renew_clock`)."""
        self.options[option] = value
        self.h.setOptionValue(option, value)

    def _renew_clock(self) -> None:
        """Move the current model (costs, bounds, integrality as changed) to a fresh ``Highs``.

        HiGHS's run clock adds up over every run of one ``Highs`` object (ERGO-Code/HiGHS#1477), and
        its LP solves compare it with the time limit: once the earlier solves of a model add up to
        more than the limit, an LP (the completion of a start, the marginal-welfare LP with the sites
        fixed) stops at once with "time limit reached".  The MIP search has a clock of its own.  Seen
        on gen:XL:0: the re-solve's start was dropped ("Timeout" after 206 s of earlier runs).  A copy
        of the model takes 0.01 s at XL; only the simplex basis is lost.
        """
        model = self.h.getModel()
        self.h = self._new_highs()
        self.h.passModel(model)

    def release_solver_memory(self) -> None:
        """Move the model to a fresh ``Highs`` now and hand the memory its runs held back to the system.

        glibc keeps freed memory for the process; the LPs of a dive (:mod:`allocator.procedures.dive`) left
        about 25 MB on nl that the MIP solve after them did not reuse (``regio solve`` peak 485 → 511 MB;
        with this, 485 MB).  Only where the C library has ``malloc_trim`` (glibc); elsewhere only the move.
        """
        self._renew_clock()
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):
            pass

    def twin(self) -> "HighsModel":
        """The model as it stands, in a ``Highs`` of its own, for a solve beside this one's (in another thread).

        Same columns and rows (so the same Pyomo variables address it); its own costs, bounds and start from
        here on.  The next start offered here is offered there too.  Its solves report no progress.
        """
        twin = copy.copy(self)
        twin.options = dict(self.options)
        twin.h = twin._new_highs()
        twin.h.passModel(self.h.getModel())
        twin.values, twin.quiet = None, True
        return twin

    def fingerprint(self) -> str:
        """The matrix's shape and pattern of nonzeros (not its values): equal for two builds of one structure, whose
        columns then mean the same, so a plan of one is a plan of the other (nl: 0.02 s)."""
        a = self.h.getLp().a_matrix_
        digest = hashlib.sha1(np.asarray(a.start_, dtype=np.int64).tobytes())
        digest.update(np.asarray(a.index_, dtype=np.int64).tobytes())
        digest.update(np.flatnonzero(self.integer).astype(np.int64).tobytes())
        return f"{self.n_rows}x{self.n_cols}:{digest.hexdigest()}"

    # --- size ---------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return self.h.getNumRow()

    @property
    def n_cols(self) -> int:
        return self.h.getNumCol()

    # --- changes on the live model -----------------------------------------
    def col_of(self, var) -> int | None:
        return self.col.get(id(var))

    def set_cost(self, var, cost: float) -> None:
        self.h.changeColCost(self._col(var), float(cost))

    def set_bounds(self, var, lower: float | None, upper: float | None) -> None:
        self.h.changeColBounds(self._col(var), -INF if lower is None else float(lower), INF if upper is None else float(upper))

    def bounds(self, var) -> tuple[float, float]:
        n = self._col(var)
        lp = self.h.getLp()
        return lp.col_lower_[n], lp.col_upper_[n]

    def set_row_bounds(self, con, lower: float | None, upper: float | None) -> None:
        for n in self.row[id(con)]:
            self.h.changeRowBounds(n, -INF if lower is None else float(lower), INF if upper is None else float(upper))

    def coefficient(self, con, var) -> float:
        """The matrix entry of ``var`` in the (single) row of ``con``, 0 where there is none."""
        _, cols, values = self.h.getRowEntries(self.row[id(con)][0])
        hit = np.flatnonzero(np.asarray(cols) == self._col(var))
        return float(np.asarray(values)[hit[0]]) if len(hit) else 0.0

    def set_coefficients(self, con, cols: np.ndarray, values: np.ndarray) -> None:
        """Set the matrix entries of columns ``cols`` in the (single) row of ``con`` (an entry of 0 is removed)."""
        (row,) = self.row[id(con)]
        change = self.h.changeCoeff
        for col, value in zip(cols.tolist(), np.asarray(values, dtype=float).tolist()):
            change(row, col, value)

    def cols_in_order(self, variables: list) -> np.ndarray:
        """The column of each of ``variables``, in order (a KeyError names one that is in no row)."""
        idx, _ = self._columns(variables)
        if (idx < 0).any():
            raise KeyError(f"{variables[int(np.flatnonzero(idx < 0)[0])].name} is in no row of the model")
        return idx

    def set_sense(self, maximize: bool) -> None:
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)

    def set_objective(self, costs: list[tuple], maximize: bool) -> None:
        """Replace the whole objective by Σ cost·var over ``(var, cost)`` pairs (every other column costs 0)."""
        self.h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), np.zeros(self.n_cols))
        for var, c in costs:
            self.set_cost(var, c)
        self.set_sense(maximize)

    def col_bounds(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lp = self.h.getLp()
        return np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        if len(cols):
            self.h.changeColsBounds(len(cols), cols, np.asarray(lower, float), np.asarray(upper, float))

    def cols_of(self, variables) -> np.ndarray:
        """Column indices of the variables that have one."""
        return np.array([n for n in (self.col.get(id(v)) for v in variables) if n is not None], dtype=np.int32)

    def relax_integers(self, relax: bool) -> None:
        """Make integer columns continuous (True) or integer again (False): for duals with binaries fixed."""
        cols = np.flatnonzero(self.integer).astype(np.int32)
        self.relaxed = relax
        if len(cols):
            kind = highspy.HighsVarType.kContinuous if relax else highspy.HighsVarType.kInteger
            self.h.changeColsIntegrality(len(cols), cols, np.array([kind] * len(cols)))

    @contextmanager
    def as_lp(self):
        """Within the block: every integer column continuous (an LP); their bounds and integrality restored
        after, also on an error.  Yields (integer columns, their lower and upper bounds) as they were."""
        cols = np.flatnonzero(self.integer).astype(np.int32)
        lower, upper = self.col_bounds(cols)
        self.relax_integers(True)
        try:
            yield cols, lower, upper
        finally:
            self.relax_integers(False)
            self.set_col_bounds(cols, lower, upper)

    @contextmanager
    def fixed_lp(self, cols: np.ndarray, values: np.ndarray):
        """Within the block: ``cols`` fixed at ``values`` and every integer column continuous (an LP, for duals
        and reduced costs); bounds and integrality restored after, also on an error."""
        lower, upper = self.col_bounds(cols)
        with self.as_lp():
            self.set_col_bounds(cols, values, values)
            try:
                yield
            finally:
                self.set_col_bounds(cols, lower, upper)

    def keep_relaxation_rows(self, served: np.ndarray, opened: np.ndarray, slope: np.ndarray,
                             level: np.ndarray) -> None:
        """Keep the valid inequalities served_n − slope_n·opened_n ≤ level_n (Pyomo variables) for :meth:`tightened`;
        a row with a variable that has no column is left out."""
        s, o = self._columns(list(served))[0], self._columns(list(opened))[0]
        keep = (s >= 0) & (o >= 0)
        n = int(keep.sum())
        index = np.column_stack([s[keep], o[keep]]).ravel().astype(np.int32)
        value = np.column_stack([np.ones(n), -np.asarray(slope, float)[keep]]).ravel()
        self.relaxation_rows = (n, np.full(n, -INF), np.asarray(level, float)[keep], 2 * n,
                                np.arange(0, 2 * n, 2, dtype=np.int32), index, value) if n else None

    def keep_coverage_cuts(self, served: np.ndarray, demand: np.ndarray, start: np.ndarray, opened: np.ndarray,
                           group: np.ndarray, cap: np.ndarray) -> None:
        """Separate :mod:`~allocator.solver.coverage_cuts` in :meth:`relaxation_run` (Pyomo variables as in
        :class:`formulations.capacity.PointSites`); a point with a variable that has no column is left out."""
        u, y = self._columns(list(served))[0], self._columns(list(opened))[0]
        whole = (u >= 0) & (np.minimum.reduceat(y, start[:-1]) >= 0 if len(y) else True)
        keep = np.repeat(whole, np.diff(start))
        sizes = np.diff(start)[whole]
        self.coverage_cuts = CoverageCuts(u[whole], np.asarray(demand, float)[whole],
                                          np.concatenate([[0], np.cumsum(sizes)]), y[keep], np.asarray(group)[keep],
                                          np.asarray(cap, float)[keep]) if whole.any() else None

    @contextmanager
    def tightened(self, basis: highspy.HighsBasis | None = None):
        """Within the block: the rows kept by :meth:`keep_relaxation_rows` (and the coverage cuts found so far) are in
        the model, so an LP relaxation solved there holds them too (valid for every integer plan: its bound stays a
        bound of the MIP); they are removed after, also on an error, with any row added within the block.  A basis
        saved within the block has their rows; ``basis``, one saved so before, is set with the rows it had (those
        found since join it as basic rows)."""
        first, rows = self.n_rows, self.relaxation_rows
        held = 0 if rows is None else rows[0]
        before = min(self.basis_rows, held) if basis is not None else held
        if before:
            self.h.addRows(*_row_slice(rows, 0, before))
        if basis is not None:
            self.h.setBasis(basis)
        if held > before:
            self.h.addRows(*_row_slice(rows, before, held))
        try:
            yield
        finally:
            if self.n_rows > first:
                self.h.deleteRows(self.n_rows - first, np.arange(first, self.n_rows, dtype=np.int32))

    @contextmanager
    def relaxation_run(self, seconds: float | None, warm: bool = False,
                       enough: Callable[[float], bool] | None = None, cuts: bool = True):
        """Within an :meth:`as_lp` block: the LP relaxation solved with the relaxation rows (:meth:`tightened`), from
        the last one's basis with ``warm`` (else from where HiGHS stands), then (with ``cuts``) with the coverage
        cuts it violates for up to :data:`CUT_ROUNDS` rounds, each found kept for every later relaxation (up to
        :data:`POOLED_CUTS`), unless its bound is ``enough`` already; yields its optimum (None: not solved within
        ``seconds``) while its solution can be read, and keeps its basis as ``relaxation_basis``."""
        t0 = time.perf_counter()
        with self.tightened(self.relaxation_basis if warm else None):
            bound = self.run_lp(seconds)
            for _ in range(CUT_ROUNDS if cuts and self.coverage_cuts is not None else 0):
                if bound is None or (enough is not None and enough(bound)) or self.pooled_cuts >= POOLED_CUTS:
                    break
                found = self.coverage_cuts.violated(self.lp_values())
                if found is None:
                    break
                self.h.addRows(*found)
                self.pooled_cuts += found[0]
                self.relaxation_rows = found if self.relaxation_rows is None else _row_concat(self.relaxation_rows,
                                                                                              found)
                left = None if seconds is None else seconds - (time.perf_counter() - t0)
                bound = self.run_lp(left) if left is None or left > 0 else None
            if bound is not None:
                self.relaxation_basis = self.h.getBasis()
                self.basis_rows = 0 if self.relaxation_rows is None else self.relaxation_rows[0]
            yield bound

    def run_lp(self, time_limit: float | None = None) -> float | None:
        """The optimum of the model as it stands (within :meth:`as_lp`: an LP), None when not solved to optimality.

        Unlike :meth:`solve` it keeps the ``Highs`` object, so each of a sequence of LPs that differ in a few
        bounds (:mod:`allocator.procedures.dive`) starts from the last one's basis; the next :meth:`solve`
        moves the model to a fresh one as always.  ``time_limit`` counts from this call.
        """
        self.h.setOptionValue("time_limit", INF if time_limit is None else self.h.getRunTime() + float(time_limit))
        self._join_pool(mip=False, threads=None)
        try:
            self.h.run()
        finally:
            POOL.release()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.h.getInfo().objective_function_value)

    def lp_values(self) -> np.ndarray:
        """Every column's value in HiGHS's last solution (of :meth:`run_lp`'s LP, or of a solve), a copy."""
        return np.array(self.h.getSolution().col_value, dtype=float)

    def lp_reduced_costs(self) -> np.ndarray:
        """Every column's reduced cost d_j in HiGHS's last solution (of an LP), a copy."""
        return np.array(self.h.getSolution().col_dual, dtype=float)

    def take_start(self) -> None:
        """Make the whole start on offer (:meth:`start_whole`) the last solution, without a run: a plan a bound has
        proven already (the caller reports it with :meth:`proven_without_run`)."""
        self.values, self.start = self.start[1], None

    @property
    def whole_start(self) -> bool:
        """Whether the start on offer gives every column (:meth:`start_whole`)."""
        return self.start is not None and len(self.start[0]) == self.n_cols

    @property
    def maximize(self) -> bool:
        """Whether the objective as it stands is maximised."""
        return self.h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize

    def _col(self, var) -> int:
        n = self.col.get(id(var))
        if n is None:
            raise KeyError(f"{var.name} is in no row of the model")
        return n

    # --- solve --------------------------------------------------------------
    def solve(self, time_limit: float | None = None, mip_gap: float = 1e-4, threads: int | None = None,
              seed: int = 0, build_seconds: float = 0.0, options: dict | None = None,
              known_bound: KnownBound | None = None) -> SolveReport:
        """One HiGHS run; ``options`` are HiGHS options for this run only (restored afterwards), with
        :data:`WHOLE_START_OPTIONS` when the start on offer is a whole plan.

        ``known_bound``: a bound on this MIP's optimum proven before the run (a maximisation's upper
        bound): the run stops, optimal, as soon as its plan is within ``mip_gap`` of it or of HiGHS's own.
        """
        if self.whole_start:
            options = {**WHOLE_START_OPTIONS, **(options or {})}
        saved = {k: self._option(k) for k in (options or {})}
        for k, v in (options or {}).items():
            self.set_option(k, v)
        try:
            return self._solve(time_limit, mip_gap, threads, seed, build_seconds, known_bound)
        finally:
            for k, v in saved.items():
                self.set_option(k, v)

    def _join_pool(self, mip: bool, threads: int | None) -> None:
        """Join HiGHS's thread pool for one run (:mod:`allocator.solver.threads`) and set this model's ``threads`` to
        its size; the caller leaves it (``POOL.release``) when the run ends."""
        size = POOL.acquire(POOL.wanted(mip, threads))
        try:
            self.set_option("threads", size)
        except BaseException:
            POOL.release()
            raise

    def _option(self, name: str):
        value = self.h.getOptionValue(name)
        return value[1] if isinstance(value, tuple) else value  # some highspy releases return (status, value)

    def _solve(self, time_limit, mip_gap, threads, seed, build_seconds, known_bound=None) -> SolveReport:
        if self.h.getRunTime() > 0:
            self._renew_clock()
        h = self.h
        self.set_option("time_limit", float(time_limit) if time_limit else INF)
        self.set_option("mip_rel_gap", float(mip_gap))
        self.set_option("random_seed", int(seed))
        mip = bool(self.integer.any()) and not self.relaxed
        if self.start is not None:
            h.setSolution(len(self.start[0]), *self.start)
            self.start = None
        if not mip and self.lp_basis is not None:
            h.setBasis(self.lp_basis)  # HiGHS skips presolve; a basis it rejects leaves a cold solve
        known = known_bound if mip and known_bound is not None and self.maximize else None
        stop_gap = float(mip_gap) if known is None or known.gap is None else known.gap
        proven = (lambda plan: known.proves(plan, stop_gap)) if known is not None else None
        ticker = SolveTicker(time_limit, quiet=self.quiet)
        self._join_pool(mip, threads)  # left when HiGHS's run ends (ended=)
        t0 = time.perf_counter()
        expired, reached = _run_interruptibly(h, ticker, time_limit if mip else None, proven, ended=POOL.release)
        seconds = time.perf_counter() - t0
        model_status = h.getModelStatus()
        info = h.getInfo()
        has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
        status = _status(model_status, has_primal)
        if not mip and model_status == highspy.HighsModelStatus.kOptimal:
            self.lp_basis = h.getBasis()
        objective = info.objective_function_value if status.has_solution else None
        bound = info.mip_dual_bound if mip else objective
        gap = info.mip_gap if mip else (0.0 if status == Status.OPTIMAL else None)
        if mip and status == Status.OPTIMAL and _finite(bound) is None:
            status = Status.FEASIBLE_UNPROVEN
        highs_status = DEADLINE_STATUS if expired else h.modelStatusToString(model_status)
        if reached and status.has_solution and _finite(objective) is not None:
            bound = min(_finite(bound) or INF, known.value)
            gap = relative_gap(objective, bound)
            status = Status.OPTIMAL
            highs_status = f"stopped: its plan is within the MIP gap of {known.source}"
        if status.has_solution:
            self.values = self.lp_values()
        else:
            self.values = None
        return SolveReport(
            status=status, objective=_finite(objective), bound=_finite(bound) if status.has_solution else None,
            mip_gap=_finite(gap) if status.has_solution else None, solve_seconds=seconds, build_seconds=build_seconds,
            rows=self.n_rows, columns=self.n_cols, nonzeros=self.nonzeros, binaries=int(self.integer.sum()),
            nodes=int(info.mip_node_count) if mip else 0,
            highs_status=highs_status,
            time_limit=time_limit,
        )

    def proven_without_run(self, objective: float, bound: float, seconds: float, time_limit: float | None,
                           source: str) -> SolveReport:
        """The report of a MIP proven without a HiGHS run: its plan worth ``objective`` is within the gap of
        ``bound``, a bound of this model proven by ``source`` (for the status line)."""
        return SolveReport(status=Status.OPTIMAL, objective=objective, bound=bound,
                           mip_gap=relative_gap(objective, bound), solve_seconds=seconds,
                           rows=self.n_rows, columns=self.n_cols, nonzeros=self.nonzeros,
                           binaries=int(self.integer.sum()), nodes=0, time_limit=time_limit,
                           highs_status=f"not run: proven by {source}")

    def start_from(self, variables: list, values) -> None:
        """Offer a partial start (e.g. the status quo's site decisions) to the next solve; HiGHS completes it if it can."""
        pairs = [(self.col.get(id(v)), float(x)) for v, x in zip(variables, values)]
        idx = np.array([c for c, _ in pairs if c is not None], dtype=np.int32)
        val = np.array([x for c, x in pairs if c is not None], dtype=float)
        self.start = (idx, val) if len(idx) else None

    def start_whole(self, values: np.ndarray) -> bool:
        """Offer ``values`` (every column, integers within 10⁻⁶ of whole) as the next solve's start, its integers
        rounded, so that HiGHS takes it as it is, without an LP of its own; whether it did."""
        values = np.array(values, dtype=float)
        if len(values) != self.n_cols:
            return False
        whole = values[self.integer]
        if not np.allclose(whole, np.round(whole), rtol=0.0, atol=1e-6):
            return False
        values[self.integer] = np.round(whole)
        self.start = (np.arange(self.n_cols, dtype=np.int32), values)
        return True

    def current_integers(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(integer columns, their rounded values) of the last solution: a sparse start (None: nothing to offer)."""
        idx = np.flatnonzero(self.integer).astype(np.int32)
        return (idx, np.round(self.values[idx])) if self.values is not None and len(idx) else None

    def start_from_current_integers(self) -> None:
        """Offer the last solution's integer columns (site decisions) as a sparse start for the next solve."""
        if self.values is not None:
            self.start = self.current_integers()

    def coefficient_range(self) -> tuple[float, float]:
        """Smallest and largest absolute nonzero in the matrix (scaling diagnostics)."""
        a = np.abs(np.asarray(self.h.getLp().a_matrix_.value_, dtype=float))
        a = a[a > 0]
        return (float(a.min()), float(a.max())) if len(a) else (1.0, 1.0)

    # --- values -------------------------------------------------------------
    def value(self, var) -> float:
        n = self.col.get(id(var))
        if n is None or self.values is None:
            return float(var.lb or 0.0)
        return float(self.values[n])

    def at(self, values: np.ndarray) -> "HighsModel":
        """This model read at ``values`` (every column) instead of its last solution: for reading a plan only
        (:meth:`value`, :meth:`values_of`, :meth:`values_by_key`); it shares the model, its columns and HiGHS."""
        view = copy.copy(self)
        view.values = values
        return view

    def values_of(self, variables: Iterable) -> np.ndarray:
        """Values of many variables at once (vectorised over a column-index array)."""
        return self._values(*self._columns(list(variables)))

    def values_by_key(self, component, keys: list) -> np.ndarray:
        """``values_of(component[k] for k in keys)``, with the columns of the last ``keys`` asked of ``component``
        kept: a what-if extracts the same keys of the same model again (nl: 45,000 look-ups, 0.02 s)."""
        return self._values(*self._columns_by_key(component, keys))

    def columns_by_key(self, component, keys: list) -> np.ndarray:
        """The column of ``component[k]`` for each of ``keys`` (−1: none), kept like :meth:`values_by_key`'s."""
        return self._columns_by_key(component, keys)[0]

    def _columns_by_key(self, component, keys: list) -> tuple[np.ndarray, np.ndarray | None]:
        kept = self._by_key.get(id(component))
        if kept is None or kept[0] is not component or kept[1] != keys:
            kept = (component, keys, *self._columns([component[k] for k in keys]))
            self._by_key[id(component)] = kept
        return kept[2:]

    def _columns(self, variables: list) -> tuple[np.ndarray, np.ndarray | None]:
        """The columns of ``variables`` (−1 where one has none) and, when any has none, every lower bound."""
        idx = np.array([self.col.get(id(v), -1) for v in variables], dtype=np.int64)
        return idx, (np.array([float(v.lb or 0.0) for v in variables]) if (idx < 0).any() else None)

    def _values(self, idx: np.ndarray, lower: np.ndarray | None) -> np.ndarray:
        """The current values at columns ``idx``; where a variable has no column, its lower bound (``lower``)."""
        out = lower.copy() if lower is not None else np.zeros(len(idx))
        if self.values is not None:
            out[idx >= 0] = self.values[idx[idx >= 0]]
        return out

    def row_duals(self, con) -> float:
        return float(sum(self.h.getSolution().row_dual[n] for n in self.row[id(con)]))


def _highs_lp(info) -> tuple[highspy.HighsLp, dict[int, list[int]], np.ndarray]:
    """Pyomo's standard form ``info`` as a HiGHS LP (matrix by column), the rows of each constraint (by the
    constraint's id) and which columns are integer."""
    rows: dict[int, list[int]] = {}
    for n, (con, _) in enumerate(info.rows):
        rows.setdefault(id(con), []).append(n)
    sense = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=len(info.rows))  # 0 =, 1 ≤, -1 ≥
    rhs = np.asarray(info.rhs, dtype=float)
    row_lo, row_hi = np.where(sense <= 0, rhs, -INF), np.where(sense >= 0, rhs, INF)
    A = info.A.tocsc()
    ncol = len(info.columns)
    integer = np.array([v.is_integer() for v in info.columns], dtype=bool)  # binary is an integer range too
    cost = np.zeros(ncol)
    c = info.c.tocsr()
    if c.shape[0]:
        cost[c.indices[c.indptr[0]:c.indptr[1]]] = c.data[c.indptr[0]:c.indptr[1]]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, len(info.rows)
    lp.col_cost_ = cost
    bounds = [v.bounds for v in info.columns]  # (lb, ub) resolved once per column: half the time of .lb and .ub
    lp.col_lower_ = np.array([-INF if lb is None else lb for lb, _ in bounds], dtype=float)
    lp.col_upper_ = np.array([INF if ub is None else ub for _, ub in bounds], dtype=float)
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, len(info.rows)
    maximize = bool(info.objectives) and info.objectives[0].sense == pyo.maximize
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    if integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[i] for i in integer.tolist()]
    return lp, rows, integer


@contextmanager
def _silenced_stdout(silence: bool):
    """Send the process's C-level stdout (file descriptor 1) to /dev/null, so `--json` output stays pure JSON."""
    if not silence:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _run_interruptibly(h, ticker: SolveTicker, time_limit: float | None = None,
                       proven: Callable[[float], bool] | None = None,
                       ended: Callable[[], None] | None = None) -> tuple[bool, bool]:
    """``h.run()`` in a worker thread (highspy releases the GIL) while this thread waits in 0.2 s steps,
    so Ctrl-C / SIGTERM reach Python within 0.2 s instead of after the solve, and the terminal shows the
    elapsed seconds of a long solve.  On an interrupt the exception propagates; the CLI then ends the
    process, and the solver with it (in a Python session HiGHS stops at its next callback).

    A stop asked for through :func:`allocator.progress.watch` is passed to HiGHS by its MIP interrupt
    callback (HiGHS stops at its next node or cut round, leaving the model usable for the next solve),
    then raises :class:`~allocator.errors.Cancelled` (at once when the stop was asked for before the run:
    a run shorter than 0.2 s would not see it).  The same callback keeps ``time_limit``
    (:class:`Deadline`): HiGHS looks at its clock only where it calls the callback, which on large models
    can be 20-30 s apart (its root cut rounds on gen:XL:0), so it would end that much late.  And it stops
    the run once ``proven(plan value)`` (:meth:`KnownBound.proves`).  ``ended`` is called by the run's
    thread when HiGHS returns (after an interrupt too, when HiGHS is still running).  Returns (the deadline
    stopped the run, ``proven`` did)."""
    done = threading.Event()
    stop = threading.Event()
    t0 = time.perf_counter()
    deadline = Deadline(time_limit)

    expired = threading.Event()
    reached = threading.Event()

    def interrupt(event):
        out = event.data_out
        ticker.found(out.mip_primal_bound, out.mip_dual_bound, out.mip_gap)
        if stop.is_set():
            event.interrupt()
        elif deadline.too_late(time.perf_counter() - t0):
            expired.set()
            event.interrupt()
        elif proven is not None and proven(out.mip_primal_bound):
            reached.set()
            event.interrupt()

    def work():
        try:
            h.run()
        finally:
            done.set()
            if ended is not None:
                ended()

    watched = progress.watched()
    hooked = watched or deadline.limit is not None or proven is not None
    runner = threading.Thread(target=work, daemon=True, name="highs")
    try:
        if watched:  # a stop asked for before the run: a run shorter than one look (0.2 s) would never see it
            progress.stop_if_requested("solving")
        if hooked:
            h.cbMipInterrupt += interrupt
        runner.start()
    except BaseException:
        if ended is not None and not runner.is_alive() and not done.is_set():
            ended()  # HiGHS never started
        raise
    try:
        while not done.wait(0.2):
            ticker.tick(time.perf_counter() - t0)
            if watched and progress.stop_requested():
                stop.set()
    except BaseException:
        stop.set()  # Ctrl-C in a Python session: HiGHS stops at its next callback, and leaves the thread pool
        raise
    finally:
        ticker.close()
    if hooked:
        h.cbMipInterrupt -= interrupt
    if stop.is_set():
        raise Cancelled("solving")
    return expired.is_set(), reached.is_set()


DEADLINE_STATUS = "Time limit reached (stopped at HiGHS's last look at its clock before the limit)"


@dataclass(frozen=True)
class KnownBound:
    """An upper bound on a maximisation's optimum proven before its run, and where it comes from (for the status)."""

    value: float
    source: str
    gap: float | None = None  # a run stops once its plan is within this of the bound (None: the run's own MIP gap)

    def proves(self, plan: float, mip_gap: float) -> bool:
        """Whether a plan worth ``plan`` is within ``mip_gap`` of this bound (so proven optimal)."""
        return abs(plan) < 1e30 and relative_gap(plan, self.value) <= mip_gap


class Deadline:
    """Stop at the last chance HiGHS gives before ``limit`` seconds: when the longest wait between two of
    its interrupt callbacks so far would carry the next one past the limit, t + max Δt > limit.

    The wait before the first callback (presolve and the root LP, done once) does not count."""

    def __init__(self, limit: float | None):
        self.limit = float(limit) if limit and math.isfinite(limit) else None
        self.last: float | None = None
        self.longest = 0.0

    def too_late(self, elapsed: float) -> bool:
        """Called at every callback with the seconds since the run began."""
        if self.limit is None:
            return False
        if self.last is not None:
            self.longest = max(self.longest, elapsed - self.last)
        self.last = elapsed
        return elapsed + self.longest > self.limit


def _finite(x):
    return None if x is None or not math.isfinite(x) or abs(x) >= 1e30 else float(x)


def _status(ms, has_primal: bool) -> Status:
    S = highspy.HighsModelStatus
    if ms == S.kOptimal:
        return Status.OPTIMAL
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt, S.kObjectiveBound, S.kObjectiveTarget):
        return Status.TIME_LIMIT_FEASIBLE if has_primal else Status.TIME_LIMIT_NO_SOLUTION
    if ms == S.kInfeasible:
        return Status.INFEASIBLE
    if ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return Status.UNBOUNDED if ms == S.kUnbounded else Status.INFEASIBLE
    if ms in (S.kSolveError, S.kPostsolveError, S.kPresolveError, S.kUnknown):
        return Status.NUMERICAL
    return Status.ERROR



def _row_slice(rows: tuple, lo: int, hi: int) -> tuple:
    """Rows ``lo:hi`` of addRows' arguments ``rows`` (n, lower, upper, nnz, starts, index, value)."""
    n, lower, upper, nnz, starts, index, value = rows
    ends = np.append(starts, nnz)
    a, b = ends[lo], ends[hi]
    return hi - lo, lower[lo:hi], upper[lo:hi], b - a, (starts[lo:hi] - a).astype(np.int32), index[a:b], value[a:b]


def _row_concat(rows: tuple, more: tuple) -> tuple:
    """addRows' arguments of ``rows`` followed by ``more``."""
    return (rows[0] + more[0], np.concatenate([rows[1], more[1]]), np.concatenate([rows[2], more[2]]),
            rows[3] + more[3], np.concatenate([rows[4], np.asarray(more[4]) + rows[3]]).astype(np.int32),
            np.concatenate([rows[5], more[5]]).astype(np.int32), np.concatenate([rows[6], more[6]]))
