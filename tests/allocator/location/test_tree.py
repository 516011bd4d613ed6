"""The Lagrangian branch-and-bound for the p-median: by hand, against every subset, and stopped early."""

from __future__ import annotations

import numpy as np
import pytest

from allocator.location.tree import branch_and_bound
from tests.allocator.location.test_bound import every_subset, random_instance
from tests.allocator.location.test_start import total, two_clusters


def test_a_bad_start_is_mended_by_hand():
    """Customers at 0, 1, 9, 10 km, sites at 0, 5, 10 km, p = 2, start {0, 5} (0 + 1 + 4 + 5 = 10).  The optimum
    {0, 10} costs 2; the tree finds it and proves it (bound 2: integer costs, nothing cheaper)."""
    result = branch_and_bound(two_clusters(), 2, np.array([1.0, 1.0, 0.0]), np.zeros(4), integral=True)
    assert result.proven and result.upper == 2.0 and result.bound == 2.0
    assert result.open_sites.tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("integral", [False, True])
def test_the_tree_finds_and_proves_the_cheapest_subset(seed, integral):
    """Random instances (15 customers, 10 sites, p 2-5; km or whole km), from a random start and λ = 0: the
    tree ends with the cheapest of every subset of p sites, a bound no subset beats, within the gap."""
    p = 2 + seed % 4
    cost, start = random_instance(seed, 15, 10, p, integral)
    best = min(value for _, value in every_subset(cost, p))
    result = branch_and_bound(cost, p, start, np.zeros(15), integral, mip_gap=1e-9)
    assert result.proven
    assert result.upper == pytest.approx(best, abs=1e-9) == total(cost, result.open_sites)
    assert result.open_sites.sum() == p
    assert result.bound <= best + 1e-9 and result.bound >= best * (1 - 1e-9) - 1e-9


def test_stopped_at_its_limit_it_claims_only_the_root_bound():
    """No time at all: the search stops before its first node, keeps the start and claims no bound."""
    cost = two_clusters()
    result = branch_and_bound(cost, 2, np.array([1.0, 1.0, 0.0]), np.zeros(4), integral=True, time_limit=-1.0)
    assert not result.proven and result.upper == 10.0 and result.bound == -np.inf and result.nodes == 0


@pytest.mark.parametrize("seed", range(4))
def test_deeper_trees_against_every_subset(seed):
    """40 customers on a grid of whole-km costs, 16 sites, p = 4 or 5 (1,820 or 4,368 subsets): many ties,
    so the search branches deeper; it still ends at the cheapest subset, proven."""
    rng = np.random.default_rng(50 + seed)
    points = rng.integers(0, 30, size=(40, 2)).astype(float)
    cost = np.abs(points[:, None, :] - points[None, :16, :]).sum(axis=2)
    p = 4 + seed % 2
    best = min(value for _, value in every_subset(cost, p))
    start = np.zeros(16)
    start[:p] = 1.0
    result = branch_and_bound(cost, p, start, np.zeros(40), integral=True)
    assert result.proven and result.upper == best == result.bound
