"""Location models of the OR-Library (p-median, capacitated warehouse location), the published optima's check.

``solve`` runs the stages (core, Lagrangian tree, HiGHS on the arc or radius form); ``start`` is the
greedy-interchange start, ``bound`` the Lagrangian bound and the sites it rules out, ``tree`` the
Lagrangian branch-and-bound.  Imports the model blocks (:mod:`formulations.location`,
:mod:`formulations.pmedian_radius`) and the solver; imported by the ``regio orlib`` command and the benchmarks.
"""
