"""Solver access: the only place that talks to HiGHS (:mod:`allocator.solver.highs`).

Owns the persistent HiGHS model compiled once from a Pyomo model, its re-solves by changed costs and
bounds, starts, statuses and timing.  May import the core (``allocator.status``, ``allocator.progress``);
nothing here imports procedures, results or reports.
"""
