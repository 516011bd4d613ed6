"""Location models of the OR-Library (p-median, capacitated warehouse location), the published optima's check.

``solve`` builds and solves them on the persistent HiGHS model (arc or radius form); ``start`` is the
greedy-interchange start, ``bound`` the Lagrangian bound and the sites it rules out.  Imports the model
blocks (:mod:`formulations.location`, :mod:`formulations.pmedian_radius`) and the solver; imported by the
``regio orlib`` command and the benchmarks.
"""
