"""Candidate pairs from LSH buckets, per shard (Beam-free).

A *bucket* is every article sharing one bucket key. Within a bucket, members are
ordered canonically by ``(rank, doc_key)``. The pairing rule is *prefix-stable*:
whether members ``j < i`` are paired depends only on their positions (all pairs
among the first ``all_pairs_cap`` members, and every later member with the first),
never on how many members come after. So with date-ordered input an incremental
run, which sees the earlier runs' members of a bucket through the index, forms
exactly the pairs one run over everything forms; and huge buckets (templated items)
still cost linear, not quadratic, work.

:func:`shard_candidates` applies the incremental form: pairs between two articles
of earlier runs are not re-examined, an article kept by an earlier run is always
the canonical side, and an article removed by an earlier run (keys and content key
only, no features) only matters as the *twin* of an identical new copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newsingest.transforms.core.resolution import Edge

__all__ = [
    "NEW",
    "PRIOR_KEPT",
    "PRIOR_REMOVED",
    "ShardCandidates",
    "bucket_pairs",
    "shard_candidates",
]

NEW, PRIOR_KEPT, PRIOR_REMOVED = 0, 1, 2

_EMPTY = np.empty(0, dtype=np.uint64)


def bucket_pairs(
    bucket_keys: np.ndarray,
    ranks: np.ndarray,
    doc_keys: np.ndarray,
    all_pairs_cap: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(earlier, later)`` of documents sharing a bucket key.

    Within a bucket ordered by ``(rank, doc_key)``, the members at positions
    ``j < i`` are paired iff ``i < all_pairs_cap`` or ``j == 0``. Pairs are unique and
    sorted; ``earlier`` always ranks before ``later``; the result does not depend on
    the input order.
    """
    if len(bucket_keys) == 0:
        return _EMPTY, _EMPTY
    order = np.lexsort((doc_keys, ranks, bucket_keys))
    keys, docs = bucket_keys[order], doc_keys[order]
    distinct = np.concatenate(([True], (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])))
    keys, docs = keys[distinct], docs[distinct]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    sizes = np.diff(np.append(starts, len(keys)))
    heads = np.minimum(sizes, all_pairs_cap)
    firsts, seconds = [], []
    for size in np.unique(heads[heads > 1]).tolist():
        members = docs[starts[heads == size][:, None] + np.arange(size)[None, :]]
        left, right = np.triu_indices(size, k=1)
        firsts.append(members[:, left].ravel())
        seconds.append(members[:, right].ravel())
    bucket = np.repeat(np.arange(len(starts)), sizes)
    position = np.arange(len(keys)) - starts[bucket]
    tail = position >= all_pairs_cap
    if tail.any():
        firsts.append(docs[starts[bucket[tail]]])
        seconds.append(docs[tail])
    if not firsts:
        return _EMPTY, _EMPTY
    pairs = np.unique(np.stack([np.concatenate(firsts), np.concatenate(seconds)], axis=1), axis=0)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


@dataclass(frozen=True)
class ShardCandidates:
    """Pairs to verify, oriented ``canonical`` -> ``candidate``, and twin edges.

    ``twins`` are exact edges from an article removed by an earlier run to a new
    identical copy: they need no features (equal content keys) and let the copy
    follow its twin to the kept canonical (:func:`resolution.resolve`).
    """

    canonical: np.ndarray
    candidate: np.ndarray
    canonical_rank: np.ndarray
    candidate_rank: np.ndarray
    twins: tuple[Edge, ...]

    def __len__(self) -> int:
        return len(self.canonical)


def shard_candidates(
    bucket_keys: np.ndarray,
    ranks: np.ndarray,
    doc_keys: np.ndarray,
    content_keys: np.ndarray,
    origins: np.ndarray,
    all_pairs_cap: int = 16,
) -> ShardCandidates:
    """The candidates of one shard's bucket entries (one row per article and key).

    ``origins`` says, per entry, whether the article is ``NEW`` (this run),
    ``PRIOR_KEPT`` or ``PRIOR_REMOVED`` (earlier runs). Pairs of two prior articles
    are dropped; a new article ranking before a prior kept one is its candidate
    (the prior article stays canonical); a prior removed article yields a twin edge
    to a later new article with the same content key and nothing else.
    """
    earlier, later = bucket_pairs(bucket_keys, ranks, doc_keys, all_pairs_cap)
    docs, first = np.unique(doc_keys, return_index=True)
    e_row, l_row = np.searchsorted(docs, earlier), np.searchsorted(docs, later)
    e_origin, l_origin = origins[first][e_row], origins[first][l_row]
    e_rank, l_rank = ranks[first][e_row], ranks[first][l_row]
    twin = (
        (e_origin == PRIOR_REMOVED)
        & (l_origin == NEW)
        & (content_keys[first][e_row] == content_keys[first][l_row])
    )
    twins = tuple(
        Edge(int(a), int(b), int(ra), int(rb), "exact", 1.0)
        for a, b, ra, rb in zip(
            earlier[twin].tolist(),
            later[twin].tolist(),
            e_rank[twin].tolist(),
            l_rank[twin].tolist(),
            strict=True,
        )
    )
    verify = ((e_origin == NEW) | (e_origin == PRIOR_KEPT)) & (
        (l_origin == NEW) | ((l_origin == PRIOR_KEPT) & (e_origin == NEW))
    )
    swap = verify & (l_origin == PRIOR_KEPT)
    canonical = np.where(swap, later, earlier)[verify]
    candidate = np.where(swap, earlier, later)[verify]
    return ShardCandidates(
        canonical=canonical,
        candidate=candidate,
        canonical_rank=np.where(swap, l_rank, e_rank)[verify],
        candidate_rank=np.where(swap, e_rank, l_rank)[verify],
        twins=twins,
    )
