"""Duplicate resolution: the one keep/remove rule, and its incremental form (Beam-free).

Deterministic for any input order: documents are visited by ``(rank, doc_key)``.
Every driver (the Beam batch graph, ``watch``, the quality harnesses) decides with
:func:`resolve`; an incremental run passes what earlier runs decided as ``fixed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Decision", "Edge", "index_edges", "resolve"]

_METHOD_PRIORITY = {"exact": 0, "near": 1, "story": 2}


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


def index_edges(edges: list[Edge]) -> tuple[dict[int, list[Edge]], dict[int, int]]:
    """``(edges into each later document, rank of every document named)``, in edge order."""
    incoming: dict[int, list[Edge]] = {}
    rank_of: dict[int, int] = {}
    for edge in edges:
        incoming.setdefault(edge.later, []).append(edge)
        rank_of[edge.earlier] = edge.earlier_rank
        rank_of[edge.later] = edge.later_rank
    return incoming, rank_of


def resolve(edges: list[Edge], fixed: Mapping[int, Decision] | None = None) -> list[Decision]:
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

    Incremental form: ``fixed`` holds the decisions of documents removed by earlier
    runs (they are removed, and identical copies follow them); documents kept by
    earlier runs only ever appear as the canonical side of an edge, so they stay
    kept ("a published article stays canonical").

    Edges of other methods (story links: same story, both kept) are not duplicates
    and are ignored here (see :mod:`transforms.core.stories`).

    Returns the decisions of the other documents, sorted by ``doc_key``.
    """
    fixed = fixed or {}
    edges = [e for e in edges if e.method in _METHOD_PRIORITY]
    incoming, rank_of = index_edges(edges)
    removed: dict[int, Decision] = dict(fixed)
    for doc in sorted(incoming, key=lambda d: (rank_of[d], d)):
        if doc in fixed:
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
    return [removed[d] for d in sorted(removed) if d not in fixed]
