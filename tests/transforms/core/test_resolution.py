import numpy as np
import pytest

from newsingest.transforms.core.pairs import bucket_pairs
from newsingest.transforms.core.resolution import Decision, Edge, resolve


def _u64(values):
    return np.array(values, dtype=np.uint64)


def test_bucket_pairs_orders_by_rank_then_key_and_dedups_across_buckets():
    keys = _u64([7, 7, 7, 9, 9, 11])
    ranks = np.array([5, 1, 3, 5, 1, 0], dtype=np.int64)
    docs = _u64([100, 200, 300, 100, 200, 400])
    earlier, later = bucket_pairs(keys, ranks, docs)
    assert sorted(zip(earlier.tolist(), later.tolist(), strict=True)) == [
        (200, 100),
        (200, 300),
        (300, 100),
    ]


def test_large_buckets_pair_the_head_fully_and_the_rest_with_the_first_member():
    size = 40
    keys = _u64([1] * size)
    ranks = np.arange(size, 0, -1, dtype=np.int64)
    docs = _u64(range(size))
    earlier, later = bucket_pairs(keys, ranks, docs, all_pairs_cap=8)
    head = set(range(size - 1, size - 9, -1))
    pairs = set(zip(earlier.tolist(), later.tolist(), strict=True))
    assert {(a, b) for a, b in pairs if b in head} == {
        (a, b) for a in head for b in head if ranks[a] < ranks[b]
    }
    assert {a for a, b in pairs if b not in head} == {size - 1}
    assert len(pairs) == 8 * 7 // 2 + size - 8


def _pair_set(earlier, later):
    return set(zip(earlier.tolist(), later.tolist(), strict=True))


def test_bucket_pairs_are_prefix_stable():
    """Members added after the others (a later run) never change the earlier pairs."""
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 6, 400).astype(np.uint64)
    ranks = np.arange(400, dtype=np.int64)
    docs = rng.permutation(400).astype(np.uint64)
    early = _pair_set(*bucket_pairs(keys[:150], ranks[:150], docs[:150]))
    everything = _pair_set(*bucket_pairs(keys, ranks, docs))
    assert {(a, b) for a, b in everything if b in set(docs[:150].tolist())} == early


def test_bucket_pairs_is_independent_of_input_order():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 20, 300).astype(np.uint64)
    ranks = rng.integers(0, 5, 300)
    docs = rng.permutation(300).astype(np.uint64)
    reference = bucket_pairs(keys, ranks, docs)
    order = rng.permutation(300)
    shuffled = bucket_pairs(keys[order], ranks[order], docs[order])
    for a, b in zip(reference, shuffled, strict=True):
        np.testing.assert_array_equal(a, b)


def _edge(earlier, later, method="near", similarity=0.9):
    return Edge(earlier, later, earlier, later, method, similarity)


def test_resolve_never_chains_through_a_removed_document():
    decisions = resolve([_edge(1, 2), _edge(2, 3)])
    assert decisions == [Decision(2, 1, "near", 0.9)]


def test_resolve_prefers_exact_then_similarity_then_rank():
    decisions = resolve(
        [_edge(1, 5, "story", 0.99), _edge(2, 5, "exact", 1.0), _edge(3, 5, "near", 0.95)]
    )
    assert decisions == [Decision(5, 2, "exact", 1.0)]
    decisions = resolve([_edge(1, 5, "near", 0.8), _edge(2, 5, "near", 0.9)])
    assert decisions == [Decision(5, 2, "near", 0.9)]


def test_resolve_links_each_duplicate_to_a_kept_canonical():
    edges = [_edge(1, 2), _edge(1, 3), _edge(2, 3), _edge(3, 4)]
    decisions = {d.doc_key: d.duplicate_of for d in resolve(edges)}
    assert decisions == {2: 1, 3: 1}
    assert all(target not in decisions for target in decisions.values())


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]])
def test_resolve_is_order_independent(order):
    edges = [_edge(1, 2), _edge(1, 3), _edge(2, 3), _edge(3, 4)]
    assert resolve([edges[i] for i in order]) == resolve(edges)


def test_fixed_decisions_of_earlier_runs_are_followed_and_not_returned():
    fixed = {2: Decision(2, 1, "story", 0.2)}
    edges = [_edge(2, 3, "exact", 1.0), _edge(2, 4, "near", 0.9), _edge(1, 4, "near", 0.8)]
    assert resolve(edges, fixed) == [Decision(3, 1, "story", 0.2), Decision(4, 1, "near", 0.8)]


def test_exact_copy_follows_its_removed_twin_to_the_canonical():
    edges = [_edge(1, 2, "story", 0.2), _edge(2, 3, "exact", 1.0)]
    decisions = {d.doc_key: (d.duplicate_of, d.method) for d in resolve(edges)}
    assert decisions == {2: (1, "story"), 3: (1, "story")}
