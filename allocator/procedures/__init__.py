"""Procedures: sequences of solves that answer the users' questions.

``modes`` (weighted, lexicographic), ``pareto`` (the augmented ε-constraint front), ``extra_budget`` (the VNG question),
``compare`` (scenarios side by side), ``evaluate`` (a regiotoets), ``sweep`` and ``executors`` (grids of
what-ifs on local processes or Dask), ``diagnose`` (why a policy is infeasible).  They build on the core
(instance, scenario, data), the model blocks, the solver and the results; nothing below imports them.
"""
