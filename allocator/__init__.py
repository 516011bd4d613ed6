"""regio's engine.  ``import allocator`` gives the Python entry point (:mod:`allocator.api`):

>>> import allocator as a
>>> r = a.solve(a.load_instance("gen:S:0"), shortfall_price=4000)
>>> r.status
'optimal'

Names are imported on first use, so ``import allocator.scenario`` stays light.
"""

__all__ = ["load_instance", "scenario_for", "prepare", "solve", "extra_budget", "evaluate", "compare", "pareto", "programme",
           "monitor", "SolveResult", "WarmModel", "Answer", "Scenario"]


def __getattr__(name):
    if name == "Scenario":
        from allocator.scenario import Scenario

        return Scenario
    if name in __all__:
        from allocator import api

        return getattr(api, name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")
