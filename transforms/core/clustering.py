"""Candidate pairs from LSH buckets, and duplicate resolution (Beam-free).

Both functions are deterministic for any input order: they sort by
``(rank, doc_key)`` before doing anything order-dependent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Decision", "Edge", "bucket_pairs", "resolve"]

_METHOD_PRIORITY = {"exact": 0, "near": 1, "story": 2}


def bucket_pairs(
    bucket_keys: np.ndarray,
    ranks: np.ndarray,
    doc_keys: np.ndarray,
    all_pairs_cap: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(earlier, later)`` of documents sharing a bucket key.

    Within a bucket, members are ordered by ``(rank, doc_key)``; every member
    is paired with the bucket's first member (the would-be canonical), and
    buckets of at most ``all_pairs_cap`` members also yield all their pairs.
    Huge buckets (templated items) therefore cost linear, not quadratic, work.
    Pairs are unique and sorted; ``earlier`` always ranks before ``later``.
    """
    if len(bucket_keys) == 0:
        empty = np.empty(0, dtype=np.uint64)
        return empty, empty
    order = np.lexsort((doc_keys, ranks, bucket_keys))
    keys, docs = bucket_keys[order], doc_keys[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    sizes = np.diff(np.append(starts, len(keys)))
    firsts, seconds = [], []
    for size in np.unique(sizes[(sizes > 1) & (sizes <= all_pairs_cap)]).tolist():
        members = docs[starts[sizes == size][:, None] + np.arange(size)[None, :]]
        left, right = np.triu_indices(size, k=1)
        firsts.append(members[:, left].ravel())
        seconds.append(members[:, right].ravel())
    for start, size in zip(
        starts[sizes > all_pairs_cap].tolist(), sizes[sizes > all_pairs_cap].tolist(), strict=True
    ):
        firsts.append(np.full(size - 1, docs[start], dtype=np.uint64))
        seconds.append(docs[start + 1 : start + size])
    if not firsts:
        empty = np.empty(0, dtype=np.uint64)
        return empty, empty
    pairs = np.unique(np.stack([np.concatenate(firsts), np.concatenate(seconds)], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0].copy(), pairs[:, 1].copy()


@dataclass(frozen=True)
class Edge:
    """A verified match: ``later`` duplicates ``earlier``."""

    earlier: int
    later: int
    earlier_rank: int
    later_rank: int
    method: str
    similarity: float


@dataclass(frozen=True)
class Decision:
    """``doc_key`` is removed as a duplicate of the kept ``duplicate_of``."""

    doc_key: int
    duplicate_of: int
    method: str
    similarity: float


def resolve(edges: list[Edge], fixed_kept: frozenset[int] = frozenset()) -> list[Decision]:
    """Assign every document that has verified edges to keep or remove.

    Documents are visited in canonical order ``(rank, doc_key)``. A document
    becomes a duplicate of the best *kept* earlier document it was verified
    against (exact before near before story, then higher similarity, then
    earlier rank); if all its verified partners are themselves duplicates it
    is kept. So every removed document names a kept canonical it was verified
    against directly: merges never chain through intermediate documents. One
    exception is safe: an exact copy (identical content) of a removed document
    follows its twin to the twin's canonical, with the twin's method, unless it
    has an exact match that is kept, so identical copies always end up together.
    ``fixed_kept`` documents (already published) are never removed.

    Returns the decisions sorted by ``doc_key``.
    """
    incoming: dict[int, list[Edge]] = {}
    rank_of: dict[int, int] = {}
    for edge in edges:
        incoming.setdefault(edge.later, []).append(edge)
        rank_of[edge.earlier] = edge.earlier_rank
        rank_of[edge.later] = edge.later_rank
    removed: dict[int, Decision] = {}
    for doc in sorted(incoming, key=lambda d: (rank_of[d], d)):
        if doc in fixed_kept:
            continue
        options = [e for e in incoming[doc] if e.earlier not in removed]
        twins = [e for e in incoming[doc] if e.method == "exact" and e.earlier in removed]
        if twins and not any(e.method == "exact" for e in options):
            twin = removed[min(twins, key=lambda e: (e.earlier_rank, e.earlier)).earlier]
            removed[doc] = Decision(doc, twin.duplicate_of, twin.method, twin.similarity)
            continue
        if not options:
            continue
        best = min(
            options,
            key=lambda e: (
                _METHOD_PRIORITY[e.method],
                -e.similarity,
                e.earlier_rank,
                e.earlier,
            ),
        )
        removed[doc] = Decision(doc, best.earlier, best.method, best.similarity)
    return [removed[d] for d in sorted(removed)]
