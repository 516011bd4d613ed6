"""The Lagrangian p-median bound and the sites it rules out: by hand and against every subset."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from allocator.location.solve import build_location
from allocator.location.bound import lagrangian_bound, sites_that_may_open
from allocator.location.start import greedy_interchange
from tests.allocator.location.test_solve import problem_of
from tests.allocator.location.test_start import total, two_clusters


def random_instance(seed: int, customers: int, sites: int, p: int, integral: bool) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean costs (km, or whole km when ``integral``) of random points in a 100 km square, the first
    ``sites`` of them sites, and a random start of p sites (0/1 per site)."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, size=(customers, 2))
    cost = np.linalg.norm(points[:, None, :] - points[None, :sites, :], axis=2)
    start = np.zeros(sites)
    start[rng.choice(sites, p, replace=False)] = 1.0
    return (np.round(cost) if integral else cost), start


def every_subset(cost: np.ndarray, p: int):
    for chosen in itertools.combinations(range(cost.shape[1]), p):
        y = np.zeros(cost.shape[1])
        y[list(chosen)] = 1.0
        yield y, total(cost, y)


def test_two_customers_by_hand():
    """c = [[0, 3], [4, 0]], p = 1: site 0 costs 4, site 1 costs 3.  λ = (3, 4) gives ρ = (−3, −4) and
    L = 3 + 4 − 4 = 3, the optimum; the steps from λ = (3, 0) (the start's costs) get within 1 %."""
    cost = np.array([[0.0, 3.0], [4.0, 0.0]])
    lb = lagrangian_bound(cost, 1, upper=3.0, multipliers=np.array([3.0, 0.0]))
    assert 0.99 * 3.0 <= lb.bound <= 3.0 + 1e-9


def test_a_proven_start_rules_nothing_out_by_hand():
    """Customers at 0, 1, 9, 10 km, sites at 0, 5, 10 km, p = 2, start {0, 10} (cost 0 + 1 + 1 + 0 = 2, optimal).
    λ = the start's costs (0, 1, 1, 0) gives ρ = (0, 0, 0) and L = 2: proven at once.  In half-kilometres
    (costs 0, 0.5, 4.5, ...: not integers) every forced-open bound is L = 1 ≤ U = 1, so all three sites stay
    (the rule is strict); in kilometres (integers) a cheaper solution would cost at most U − 1 = 1 < 2, so
    only the start's two sites stay."""
    halves = sites_that_may_open(two_clusters() / 2, 2, np.array([1.0, 0.0, 1.0]))
    assert halves.bound.bound == pytest.approx(1.0) and not halves.integral
    assert halves.bound.savings.tolist() == [0.0, 0.0, 0.0]
    assert halves.keep.tolist() == [True, True, True]
    km = sites_that_may_open(two_clusters(), 2, np.array([1.0, 0.0, 1.0]))
    assert km.integral and km.proven and km.upper == 2.0
    assert km.keep.tolist() == [True, False, True]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("integral", [False, True])
def test_no_solution_cheaper_than_the_start_uses_a_ruled_out_site(seed, integral):
    """Random instances (14 customers, 9 sites, p 2-4; costs in km or rounded to whole km), from the heuristic
    start and from a random one: the bound is below every subset's cost, the start handed back costs at most
    the one given, every subset cheaper than it opens kept sites only, every subset costing at most T opens
    only the sites within T, and a start called proven has no cheaper subset."""
    p = 2 + seed % 3
    cost, random_start = random_instance(seed, 14, 9, p, integral)
    subsets = list(every_subset(cost, p))
    for start in (greedy_interchange(cost, p), random_start):
        r = sites_that_may_open(cost, p, start)
        assert r.integral == integral
        assert r.upper == pytest.approx(total(cost, r.start)) and r.upper <= total(cost, start) + 1e-9
        assert r.start.sum() == p and r.keep[r.start > 0.5].all()
        thresholds = sorted({value for _, value in subsets})[:5]
        for y, value in subsets:
            assert r.bound.bound <= value + 1e-9
            if value < r.upper - 1e-9:
                assert r.keep[y > 0.5].all(), (y, value, r.upper)
                assert not r.proven
            for t in thresholds:
                if value <= t:
                    assert r.sites_within(t)[y > 0.5].all()


@pytest.mark.parametrize("forced_open", [0, 2])
def test_the_bound_handed_back_is_exact_at_its_multipliers(forced_open):
    """The steps choose S from single-precision savings; what comes back is recomputed in double precision.
    On 300 customers × 120 sites (costs in km with decimals, p 8, the first sites forced open): bound and
    savings equal Σ_i λ_i + the p smallest ρ_j(λ) and ρ_j(λ) = Σ_i min(0, c_ij − λ_i) at the λ handed back."""
    cost, start = random_instance(7, 300, 120, 8, integral=False)
    forced = np.zeros(120, dtype=bool)
    forced[:forced_open] = True
    nearest = cost[:, start > 0.5].min(axis=1)
    lb = lagrangian_bound(cost, 8, nearest.sum(), nearest, steps=60, forced=forced)
    savings = np.minimum(cost - lb.multipliers[:, None], 0.0).sum(axis=0)
    free = np.sort(savings[~forced])[: 8 - forced_open]
    assert np.allclose(lb.savings, savings, rtol=0, atol=1e-9)
    assert lb.bound == pytest.approx(lb.multipliers.sum() + savings[forced].sum() + free.sum(), rel=1e-13)
    assert lb.best_cost == pytest.approx(total(cost, lb.best_open)) and lb.best_open[forced].all()


def test_pmed1_model_has_only_the_kept_sites_under_their_own_numbers():
    """pmed1 (n 100, p 5): the start is optimal (5,819) and the bound proves it, so only its 5 sites remain."""
    built = build_location(problem_of("pmed1", "p-median"))
    assert built.lagrangian_bound == pytest.approx(5819.0, abs=1e-6)
    assert list(built.model.site) == np.flatnonzero(built.candidates).tolist()
    assert built.candidates.sum() == 5
