"""The p-median start: greedy, then swaps, checked by hand and against every single swap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from allocator.location.solve import build_location
from allocator.location.start import greedy_interchange
from tests.allocator.location.test_solve import problem_of


def total(cost: np.ndarray, y: np.ndarray) -> float:
    return float(np.where(y[None, :] > 0.5, cost, np.inf).min(axis=1).sum())


def two_clusters() -> np.ndarray:
    """Customers at 0, 1, 9 and 10 km, sites at 0, 5 and 10 km."""
    return np.abs(np.array([0.0, 1.0, 9.0, 10.0])[:, None] - np.array([0.0, 5.0, 10.0])[None, :])


def test_greedy_alone_takes_the_middle_and_a_swap_mends_it():
    """Greedy opens 5 km first (5 + 4 + 4 + 5 = 18 < 20), then 0 km: cost 0 + 1 + 4 + 5 = 10.
    Swapping 5 km for 10 km gives 0 + 1 + 1 + 0 = 2, the optimum."""
    cost = two_clusters()
    greedy = greedy_interchange(cost, 2, max_swaps=0)
    assert greedy.tolist() == [1.0, 1.0, 0.0] and total(cost, greedy) == 10.0
    swapped = greedy_interchange(cost, 2)
    assert swapped.tolist() == [1.0, 0.0, 1.0] and total(cost, swapped) == 2.0


@pytest.mark.parametrize("p", [1, 2, 4])
@pytest.mark.parametrize("seed", range(5))
def test_no_single_swap_improves_the_result(seed, p):
    """p = 1 prices a swap with the dearest cost standing in for the missing second-nearest site."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, size=(30, 2))
    cost = np.linalg.norm(points[:, None, :] - points[None, :12, :], axis=2)  # 30 customers, 12 sites
    y = greedy_interchange(cost, p)
    assert y.sum() == p
    now = total(cost, y)
    for r, j in itertools.product(np.flatnonzero(y), np.flatnonzero(y == 0)):
        z = y.copy()
        z[r], z[j] = 0.0, 1.0
        assert total(cost, z) >= now - 1e-9


@pytest.mark.parametrize("p", [1, 3])
@pytest.mark.parametrize("seed", range(5))
def test_one_swap_is_the_best_single_swap(seed, p):
    """The priced Δ(r, j) picks what trying every swap from the greedy sites picks."""
    rng = np.random.default_rng(100 + seed)
    cost = rng.integers(0, 50, size=(25, 9)).astype(float)
    greedy = greedy_interchange(cost, p, max_swaps=0)
    best = min(total(cost, greedy), *(
        total(cost, np.where(np.arange(9) == j, 1.0, np.where(np.arange(9) == r, 0.0, greedy)))
        for r, j in itertools.product(np.flatnonzero(greedy), np.flatnonzero(greedy == 0))))
    assert total(cost, greedy_interchange(cost, p, max_swaps=1)) == best


def test_every_site_open_when_p_is_the_number_of_sites():
    assert greedy_interchange(two_clusters(), 3).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("p", [0, 4])
def test_p_out_of_range_is_refused(p):
    with pytest.raises(ValueError, match="between 1 and the number of sites"):
        greedy_interchange(two_clusters(), p)


def test_the_start_is_offered_for_a_p_median_and_not_for_a_warehouse_file():
    """``build_location`` hands HiGHS the start's sites among the sites its model has (pmed1: 5 open)
    and pseudo-cost branching; CFLP gets neither."""
    problem = problem_of("pmed1", "p-median")
    built = build_location(problem)
    columns, values = built.highs.start
    assert len(columns) == built.candidates.sum() and values.sum() == problem.p
    start = np.zeros(problem.n_sites)
    start[built.candidates] = values
    assert total(problem.cost, start) == total(problem.cost, greedy_interchange(problem.cost, 5))
    assert built.highs.options["mip_pscost_minreliable"] == 0
    warehouse = build_location(problem_of("cap71", "CFLP-multi-source")).highs
    assert warehouse.start is None and "mip_pscost_minreliable" not in warehouse.options
