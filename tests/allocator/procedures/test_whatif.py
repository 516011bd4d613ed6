"""What-ifs on a warm model give the cold answer: λ and E_max re-solve the built model, other changes rebuild;
a stopped solve leaves the warm model as its scenario describes it."""

from __future__ import annotations

import pytest

import allocator
from allocator import progress
from allocator.errors import Cancelled


@pytest.fixture(scope="module")
def warm():
    model = allocator.WarmModel("gen:S:0")
    model.solve()
    return model


@pytest.fixture(scope="module")
def warm_m():
    """A model whose solve lasts long enough (seconds) to be stopped halfway."""
    model = allocator.WarmModel("gen:M:0")
    model.solve()
    return model


@pytest.mark.parametrize("change", [{"shortfall_price": 6000}, {"extra_budget": 5.0}, {"shortfall_price": 500, "extra_budget": 2.0}])
def test_a_cost_or_right_hand_side_change_re_solves_the_built_model(warm, change):
    r = warm.solve(**change)
    cold = allocator.solve("gen:S:0", **change)
    assert warm.rebuilt is False
    assert r.status == "optimal" and r.check == "passed"
    # both are optimal within the MIP gap (10⁻⁴ of the objective W − λ'Q); W and Q alone may differ between optima
    assert r.objective == pytest.approx(cold.objective, rel=2e-4)
    assert r.summary()["extra_money"] <= change.get("extra_budget", 0.0) + 1e-6


def test_a_structural_change_rebuilds(warm):
    r = warm.solve(hold_harmless="region")
    assert warm.rebuilt is True and r.regions_worse_off == 0 and r.check == "passed"
    warm.solve()
    assert warm.rebuilt is True  # back to the default: rebuilt again


def test_a_result_is_a_snapshot(warm):
    first = warm.solve(shortfall_price=1000)
    w = first.welfare
    warm.solve(shortfall_price=9000)
    assert first.welfare == w


@pytest.mark.parametrize("mode", ["weighted", "lexicographic"])
def test_a_stopped_solve_leaves_the_warm_model_intact(warm_m, mode):
    asked = []

    def stop():
        asked.append(1)
        return True

    with pytest.raises(Cancelled), progress.watch(stop=stop):
        warm_m.solve(shortfall_price=3000, mode=mode, solver={"time_limit": 60})
    assert asked
    r = warm_m.solve(shortfall_price=3000)
    cold = allocator.solve("gen:M:0", shortfall_price=3000)
    assert r.objective == pytest.approx(cold.objective, rel=2e-4) and r.check == "passed"
