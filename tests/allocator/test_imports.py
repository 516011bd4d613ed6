"""What importing the engine loads: scipy's subpackages that regio uses, not those Pyomo would add for itself."""

from __future__ import annotations

from tests.helpers import loaded_after

SUBPACKAGES = ("scipy.sparse", "scipy.spatial", "scipy.stats", "scipy.integrate")


def test_a_solve_loads_no_scipy_stats():
    """Pyomo's hook imports scipy.stats and scipy.integrate (0.25-0.30 s) once anything imports scipy; the engine
    drops it, and a whole solve, checked, needs neither."""
    code = "import allocator.api as a; r = a.solve('gen:S:0'); assert (r.status, r.check) == ('optimal', 'passed')"
    assert loaded_after(code, SUBPACKAGES) == ["scipy.sparse", "scipy.spatial"]


def test_pyomo_finalises_scipy_when_it_uses_scipy_itself():
    """Pyomo's own standard-form compiler, after the engine is loaded, still gets scipy as Pyomo sets it up."""
    code = ("import allocator.api, pyomo.environ as pyo; "
            "from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler; "
            "m = pyo.ConcreteModel(); m.x = pyo.Var([1, 2], bounds=(0, 1)); "
            "m.c = pyo.Constraint(expr=m.x[1] + 2 * m.x[2] <= 1); m.o = pyo.Objective(expr=m.x[1]); "
            "f = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None); "
            "assert f.A.toarray().tolist() == [[1.0, 2.0]], f.A")
    assert loaded_after(code, SUBPACKAGES) == sorted(SUBPACKAGES)
