"""Submodular coverage cuts: a row by hand, and every row valid for every plan of random small points."""

import itertools

import numpy as np
import pytest

from allocator.solver.coverage_cuts import CoverageCuts, _served


def two_sites(cap_b: float = 0.7) -> CoverageCuts:
    """One point (u: column 0, d = 1) reaching site A (column 1, 0.7 places) and site B (column 2), each its own
    group."""
    return CoverageCuts(served=np.array([0]), demand=np.array([1.0]), start=np.array([0, 2]), opened=np.array([1, 2]),
                        group=np.array([0, 1]), cap=np.array([0.7, cap_b]))


def test_what_sites_serve():
    """g(S) = min(1, Σ_G min(1, cap_G/d)); a site without capacity serves all; members of a group pool places."""
    masks = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=bool)
    pooled = _served(masks, np.array([0, 0, 1]), np.array([0.3, 0.4, np.nan]), 1.0)
    assert pooled == pytest.approx([0.0, 0.3, 0.7, 1.0, 1.0])
    apart = _served(masks[:3], np.array([0, 1, 2]), np.array([0.7, 0.7, 0.7]), 2.0)
    assert apart == pytest.approx([0.0, 0.35, 0.7])


def test_the_row_of_two_sites_by_hand():
    """A and B serve 0.7 each, 1 together.  At y = (1, 0.5) the LP lets u = min(1, 0.7 + 0.35) = 1, while every plan
    gives at most 0.7 + 0.3·y_B = 0.85 there.  Form (I) with S = {A}: u ≤ 0.7 − 0.3·(1 − y_A) + 0.3·y_B."""
    rows = two_sites().violated(np.array([1.0, 1.0, 0.5]))
    n, lower, upper, nnz, starts, index, value = rows
    assert n == 1 and nnz == 3 and lower[0] == -np.inf
    assert upper[0] == pytest.approx(0.4)
    assert list(index) == [0, 1, 2] and value == pytest.approx([1.0, -0.3, -0.3])


def test_no_row_where_the_relaxation_is_a_plan_mix():
    """At y = (0.5, 0.5), u = 0.7 is half of plan A alone and half of plan B alone: nothing to cut."""
    assert two_sites().violated(np.array([0.7, 0.5, 0.5])) is None
    assert two_sites().violated(np.array([0.5, 1.0, 0.0])) is None  # no fractional site


def test_every_row_holds_for_every_plan():
    """Random points of 2–6 sites (shared groups, some without capacity) at random LP points: each row returned
    holds at u = g(T) for every set T of open sites, so it cuts off no plan."""
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(300):
        k = int(rng.integers(2, 7))
        group = rng.integers(0, k, size=k)
        cap = np.where(rng.random(k) < 0.15, np.nan, rng.uniform(0.05, 0.9, size=k))
        cap[np.isin(group, group[np.isnan(cap)])] = np.nan  # a group is capacitated or not as a whole
        sets = CoverageCuts(np.array([0]), np.array([1.0]), np.array([0, k]), np.arange(1, k + 1), group, cap)
        y = np.clip(rng.random(k) * 1.4 - 0.2, 0.0, 1.0)
        u = float(_served(np.ones((1, k), dtype=bool), group, cap * y, 1.0)[0])  # what the LP's y_j serve
        rows = sets.violated(np.concatenate([[u], y]))
        if rows is None:
            continue
        found += 1
        _, _, upper, _, _, index, value = rows
        for t in itertools.product([False, True], repeat=k):
            open_ = np.array(t)
            x = np.concatenate([[_served(open_[None, :], group, cap, 1.0)[0]], open_.astype(float)])
            assert value @ x[index] <= upper[0] + 1e-9
    assert found > 20  # the test met cuts to check
