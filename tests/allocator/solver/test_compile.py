"""The compiler gives exactly what Pyomo's ``LinearStandardFormCompiler`` gives: rows, columns, matrix, objective.

Every model regio builds is compared entry for entry (the allocation model under several scenarios, the
OR-Library location forms, a programme), and small models hold each kind of row the reader takes or hands
to Pyomo (ranges, equalities, fixed variables, parameters, named expressions, negations, products).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import allocator.solver.highs as highs_module
from allocator.api import prepare
from allocator.build import build_model
from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.multiyear.run import run_programme
from allocator.scenario import Scenario
from allocator.solver import compile as compile_module
from allocator.solver.compile import StandardForm, standard_form
from formulations.pmedian_radius import location_model
from regio_instances.orlib import read_cap, read_pmedian
from tests.helpers import ROOT

ORLIB = ROOT / "instances" / "orlib"


def pyomo_form(model):
    return LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)


def assert_same(ours, theirs) -> None:
    """The same rows (constraint and sense), columns, matrix, right-hand sides, objective and offset."""
    assert [(id(con), sense) for con, sense in ours.rows] == [(id(con), sense) for con, sense in theirs.rows]
    assert [id(v) for v in ours.columns] == [id(v) for v in theirs.columns]
    a, b = ours.A.tocsc(), theirs.A.tocsc()
    a.sort_indices(), b.sort_indices()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
    assert np.array_equal(np.asarray(ours.rhs, float), np.asarray(theirs.rhs, float))
    assert np.array_equal(ours.c.toarray(), theirs.c.toarray())
    assert np.array_equal(np.asarray(ours.c_offset, float), np.asarray(theirs.c_offset, float))
    assert [id(o) for o in ours.objectives] == [id(o) for o in theirs.objectives]


def read_by_us(model) -> StandardForm:
    form = standard_form(model)
    assert isinstance(form, StandardForm), "the model went to Pyomo's compiler: a row the reader should take"
    return form


@pytest.mark.parametrize("scenario", [{}, {"norms": {"gp_practice": 4}}, {"hold_harmless": "none"},
                                      {"mode": "lexicographic"}, {"liveability_value": 200.0},
                                      {"hold_harmless": "region-domain", "max_closures": 3}])
def test_allocation_models_compile_as_pyomo_compiles_them(scenario):
    model, _ = build_model(prepare(load_instance("gen:S:0"), scenario))
    assert_same(read_by_us(model), pyomo_form(model))


def test_the_dutch_default_compiles_as_pyomo_compiles_it():
    model, _ = build_model(prepare(load_instance("nl"), {}))
    assert_same(read_by_us(model), pyomo_form(model))


@pytest.mark.parametrize("formulation", ["arc", "radius"])
def test_p_median_forms_compile_as_pyomo_compiles_them(formulation):
    model, _ = location_model(read_pmedian(ORLIB / "pmed" / "pmed1.txt"), formulation, cutoff=10_000.0)
    assert_same(read_by_us(model), pyomo_form(model))


def test_a_capacitated_warehouse_model_compiles_as_pyomo_compiles_it():
    model, _ = location_model(read_cap(ORLIB / "cap" / "cap71.txt"), "arc")
    assert_same(read_by_us(model), pyomo_form(model))


def test_a_programme_compiles_as_pyomo_compiles_it(monkeypatch):
    seen = []

    def compared(model):
        ours = read_by_us(model)
        assert_same(ours, pyomo_form(model))
        seen.append(len(ours.rows))
        return ours

    monkeypatch.setattr(highs_module, "standard_form", compared)
    data = InstanceData.prepare(load_instance("gen:S:0"), Scenario())
    result = run_programme(data, "2026-2027")
    assert seen and result.status == "optimal"


def small_model():
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=[1, 2, 3], ordered=True)
    m.x = pyo.Var(m.I, bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.Binary)
    m.unused = pyo.Var(m.I)
    m.p = pyo.Param(initialize=2.5, mutable=True)
    m.e = pyo.Expression(expr=3 * m.x[2] - m.y)
    m.range = pyo.Constraint(expr=pyo.inequality(1, m.x[1] + 2 * m.x[3] + 4, 9))  # a constant moves to the bounds
    m.eq = pyo.Constraint(expr=m.x[1] - m.x[2] == 2)
    m.ge = pyo.Constraint(expr=m.p * m.x[3] + m.e >= -(m.y - 1))  # a parameter, a named expression, a negation
    m.twice = pyo.Constraint(expr=m.x[1] + m.x[1] + 0 * m.x[2] + 2 * (m.x[3] - 1) <= 5)  # summed, a zero, a product
    m.trivial = pyo.Constraint(expr=pyo.inequality(None, 0 * m.x[1] + 1, 3))  # no variable: left out
    m.obj = pyo.Objective(expr=m.x[1] + 2 * m.y + 7, sense=pyo.maximize)
    return m


def test_each_kind_of_row_compiles_as_pyomo_compiles_it():
    m = small_model()
    ours = read_by_us(m)
    assert_same(ours, pyomo_form(m))
    assert [c.name for c in ours.columns] == ["x[1]", "x[2]", "x[3]", "y"]  # the unused component is left out
    assert [(r.constraint.name, r.bound_type) for r in ours.rows] == [
        ("range", 1), ("range", -1), ("eq", 0), ("ge", 1), ("twice", 1)]  # the trivial row is left out
    assert list(ours.rhs) == [5.0, -3.0, 2.0, -1.0, 7.0]


def test_a_term_with_a_zero_parameter_is_no_term():
    m = small_model()
    m.zero = pyo.Constraint(expr=m.p * m.unused[1] <= 4)  # with the parameter at 0: 0·u, no variable, left out
    m.p = 0.0
    ours = read_by_us(m)
    assert_same(ours, pyomo_form(m))
    assert "zero" not in [r.constraint.name for r in ours.rows]


def test_a_fixed_variable_is_a_constant():
    m = small_model()
    m.x[3].fix(2.0)
    m.p = 4.0  # a parameter is read at compile time
    ours = read_by_us(m)
    assert_same(ours, pyomo_form(m))
    assert [c.name for c in ours.columns] == ["x[1]", "x[2]", "y"]


def test_a_row_that_is_not_a_linear_sum_goes_to_pyomo(monkeypatch):
    m = small_model()
    m.quotient = pyo.Constraint(expr=(m.x[1] + m.x[2]) / m.p <= 8)  # a sum divided: Pyomo's compiler takes it
    taken = []
    monkeypatch.setattr(compile_module, "LinearStandardFormCompiler",
                        lambda: taken.append(True) or LinearStandardFormCompiler())
    form = standard_form(m)
    assert taken and not isinstance(form, StandardForm)
    assert_same(form, pyomo_form(m))


def test_an_infeasible_constant_row_is_named_by_pyomo():
    m = small_model()
    m.impossible = pyo.Constraint(expr=pyo.inequality(None, 0 * m.x[1] + 4, 3))
    with pytest.raises(Exception, match="impossible"):
        standard_form(m)
