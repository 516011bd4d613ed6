"""The sites a λ what-if's neighbourhood frees: the most favoured flips and their partners (same type, same municipality)."""

import numpy as np
import pytest

from allocator.procedures import neighbourhood


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(neighbourhood, "FREED", 2)
    monkeypatch.setattr(neighbourhood, "FREED_SHARE", 1.0)


def freed(favour, groups):
    return np.flatnonzero(neighbourhood._freed(np.array(favour, dtype=float), np.array(groups))).tolist()


def test_the_most_favoured_flips_come_with_their_partners(small):
    # sites 0 and 1 are the two most favoured; site 2 shares 0's group, site 4 shares 1's; 3 and 5 are alone
    assert freed([5, 4, -1, -2, 3, 0], [0, 1, 0, 2, 1, 3]) == [0, 1, 2, 4]


def test_a_flip_the_lp_does_not_favour_is_not_freed_for_itself(small):
    # only site 1 is favoured (> 0); site 0 ranks second but its flip would lose: it stays, and so does its group
    assert freed([-0.5, 2, -3, -1], [0, 1, 2, 0]) == [1]
    assert freed([0, -1, -2], [0, 0, 1]) == []


def test_partner_groups_in_the_order_of_their_best_site_up_to_the_most(small, monkeypatch):
    groups = [0, 1, 0, 0, 1, 1, 1]
    monkeypatch.setattr(neighbourhood, "FREED_SHARE", 4 / 7)  # at most 4 of the 7 sites
    # the top two (0: group 0, 1: group 1); group 0 adds 2 partners (4 free), group 1 would add 3 more: left out
    assert freed([9, 8, 0, 0, 0, 0, 0], groups) == [0, 1, 2, 3]
    monkeypatch.setattr(neighbourhood, "FREED_SHARE", 1.0)
    assert freed([9, 8, 0, 0, 0, 0, 0], groups) == list(range(7))
    # the order follows the best site: group 1 first when its site is the most favoured
    monkeypatch.setattr(neighbourhood, "FREED_SHARE", 5 / 7)
    assert freed([8, 9, 0, 0, 0, 0, 0], groups) == [0, 1, 4, 5, 6]
    # never fewer than the FREED most favoured: a share below them frees them alone
    monkeypatch.setattr(neighbourhood, "FREED_SHARE", 0.1)
    assert freed([8, 9, 0, 0, 0, 0, 0], groups) == [0, 1]


def test_the_least_indifferent_sites_are_the_smallest_finite_scores_in_order():
    """|d_j| of five sites, the two already freed scored inf: the two smallest others, smallest first, never an inf."""
    from allocator.procedures.neighbourhood import _least

    score = np.array([0.5, np.inf, 0.1, 0.3, np.inf])
    assert list(_least(score, 2)) == [2, 3]
    assert list(_least(score, 10)) == [2, 3, 0]
    assert list(_least(np.full(3, np.inf), 2)) == []
