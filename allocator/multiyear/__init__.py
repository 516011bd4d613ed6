"""The multi-year programme (langjarig programma): horizon data, opportunity agendas, build, solve, check, monitor.

model.md "Programme horizon" is the contract.  The programme is the one-year model repeated per year
(the same blocks, each year on its own block of one model, with the year's streams and θ) and linked
by the rules that make it a programme (:mod:`formulations.dynamics`): site dynamics, phase-in, the
envelope of extra money, agenda projects, and the discounted objective.  With one year it is the
one-year model.

May import: allocator core (data, scenario, instance, results, check, solver), formulations.
"""
