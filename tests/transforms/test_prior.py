"""The prior reader's key matching equals numpy's ``isin`` (the definition it replaces)."""

import numpy as np
import pytest

from newsingest.transforms.prior import _in_sorted


@pytest.mark.parametrize("seed", range(20))
def test_membership_by_binary_search_equals_isin(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**64 - 1, size=int(rng.integers(0, 400)), dtype=np.uint64)
    drawn = rng.choice(values, size=min(len(values), 40)) if len(values) else values
    others = rng.integers(0, 2**64 - 1, size=int(rng.integers(0, 40)), dtype=np.uint64)
    edges = np.array([0, 2**64 - 1], dtype=np.uint64)[: int(rng.integers(0, 3))]
    members = np.unique(np.concatenate([drawn, others, edges]))

    expected = np.isin(values, members)

    assert np.array_equal(_in_sorted(values, members), expected)
    if len(values) and len(drawn):
        assert expected.any()


def test_no_members_matches_nothing():
    values = np.array([1, 2, 2**64 - 1], dtype=np.uint64)

    assert _in_sorted(values, np.array([], dtype=np.uint64)).tolist() == [False, False, False]
    assert _in_sorted(np.array([], dtype=np.uint64), values).tolist() == []
