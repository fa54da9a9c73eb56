"""The dedup engine: candidates -> verify -> resolve, as pure functions (Beam-free).

One engine, several drivers. Each step is a function of one shard's data:

1. :func:`band_entries`: one row per (article, bucket key), with the article's
   rank, content key and origin (new, or kept/removed by an earlier run).
2. :func:`pairs.shard_candidates`: pairs per bucket (prefix-stable), oriented so
   that an article of an earlier run is always the canonical side, plus twin edges.
3. :func:`verify_edges`: verification of aligned feature rows into ``Edge``\\ s.
4. :func:`stories.resolve_stories`: the one keep/remove rule
   (:func:`resolution.resolve`), with earlier runs' removed articles as fixed
   decisions, then the story ids (:func:`stories.assign_stories`), with earlier runs'
   story keys as fixed.

``transforms.dedup.FindDuplicates`` runs steps 1-3 inside key-joined Beam stages
(band shards, then the canonical's and the candidate's doc shards) and step 4 once;
``newsingest watch`` runs :func:`dedup_batch` in-process behind an
:class:`IndexReader`; the quality harnesses call :func:`dedup_tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from newsingest.transforms.core.canonical import content_key
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.pairs import NEW, PRIOR_KEPT, PRIOR_REMOVED, shard_candidates
from newsingest.transforms.core.resolution import Decision, Edge
from newsingest.transforms.core.stories import Resolution, resolve_stories
from newsingest.transforms.core.verification import ComparableCache, verify_pairs

__all__ = [
    "ALL_PAIRS_CAP",
    "IndexReader",
    "RemovedPrior",
    "band_entries",
    "prior_stories",
    "content_keys",
    "dedup",
    "dedup_batch",
    "verify_edges",
]

ALL_PAIRS_CAP = 16


class Articles(Protocol):
    """What the engine reads of a batch of articles (``transforms.records.FeatureBatch``).

    ``story_keys`` (prior batches only) are the story keys earlier runs gave them."""

    doc_keys: np.ndarray
    ranks: np.ndarray
    keys: np.ndarray
    features: FeatureTable
    prior: bool
    story_keys: np.ndarray | None

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class RemovedPrior:
    """Articles removed by earlier runs: bucket keys, content keys, decisions and story
    keys (their canonical's), no features.

    They take part in the buckets (so pairs are formed as in one run over everything)
    and only ever matter as the removed twin of a new identical copy.
    """

    doc_keys: np.ndarray
    ranks: np.ndarray
    content_keys: np.ndarray
    keys: np.ndarray
    decisions: tuple[Decision, ...]
    story_keys: np.ndarray

    def __len__(self) -> int:
        return len(self.doc_keys)

    @staticmethod
    def concat(parts: Sequence[RemovedPrior]) -> RemovedPrior | None:
        parts = [p for p in parts if len(p)]
        if not parts:
            return None
        return RemovedPrior(
            doc_keys=np.concatenate([p.doc_keys for p in parts]),
            ranks=np.concatenate([p.ranks for p in parts]),
            content_keys=np.concatenate([p.content_keys for p in parts]),
            keys=np.vstack([p.keys for p in parts]),
            decisions=tuple(d for p in parts for d in p.decisions),
            story_keys=np.concatenate([p.story_keys for p in parts]),
        )


class IndexReader(Protocol):
    """What an in-process driver needs of the persistent index."""

    def is_ingested(self, doc_keys: np.ndarray) -> np.ndarray:
        """Per doc key: already ingested (same URI and content)."""

    def prior_candidates(self, keys: np.ndarray) -> tuple[Articles | None, RemovedPrior | None]:
        """Indexed articles sharing a bucket key with ``keys``: kept ones (with
        features, ``prior=True``) and removed ones."""


def prior_stories(kept: Articles | None, removed: RemovedPrior | None) -> dict[int, int]:
    """``{doc_key: story key}`` of earlier runs' articles (kept and removed)."""
    stories: dict[int, int] = {}
    for docs, keys in (
        (kept.doc_keys, kept.story_keys) if kept is not None else (None, None),
        (removed.doc_keys, removed.story_keys) if removed is not None else (None, None),
    ):
        if docs is not None and len(docs):
            if keys is None:
                raise ValueError("a prior batch without story keys")
            stories.update(zip(docs.tolist(), keys.tolist(), strict=True))
    return stories


def content_keys(content_hashes: Sequence[str]) -> np.ndarray:
    """The uint64 content keys of content hashes."""
    return np.fromiter(map(content_key, content_hashes), np.uint64, count=len(content_hashes))


def band_entries(
    doc_keys: np.ndarray,
    ranks: np.ndarray,
    keys: np.ndarray,
    content: np.ndarray,
    origin: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat ``(bucket key, rank, doc key, content key, origin)`` columns, one row per key."""
    width = keys.shape[1] if keys.ndim == 2 else 0
    return (
        keys.ravel(),
        np.repeat(ranks.astype(np.int64), width),
        np.repeat(doc_keys.astype(np.uint64), width),
        np.repeat(content.astype(np.uint64), width),
        np.full(len(doc_keys) * width, origin, dtype=np.int8),
    )


def verify_edges(
    canonical: FeatureTable,
    candidate: FeatureTable,
    canonical_docs: np.ndarray,
    candidate_docs: np.ndarray,
    canonical_ranks: np.ndarray,
    candidate_ranks: np.ndarray,
    config: DedupConfig,
    prepared: ComparableCache | None = None,
) -> list[Edge]:
    """Verified edges of aligned pairs: row ``i`` of ``canonical`` vs of ``candidate``
    (``prepared``: see :func:`verification.verify_pairs`)."""
    matches = verify_pairs(canonical, candidate, config, prepared)
    return [
        Edge(int(a), int(b), int(ra), int(rb), match.method, match.similarity)
        for a, b, ra, rb, match in zip(
            canonical_docs.tolist(),
            candidate_docs.tolist(),
            canonical_ranks.tolist(),
            candidate_ranks.tolist(),
            matches,
            strict=True,
        )
        if match is not None
    ]


def dedup(
    new: Articles,
    kept: Articles | None,
    removed: RemovedPrior | None,
    config: DedupConfig,
    all_pairs_cap: int = ALL_PAIRS_CAP,
) -> Resolution:
    """The whole engine on one in-memory shard: the :class:`Resolution` of ``new``
    (``{removed doc_key: Decision}`` and story keys).

    ``kept`` and ``removed`` are the earlier runs' articles sharing a bucket with
    ``new`` (see :class:`IndexReader`). Same answer as ``FindDuplicates`` on the same
    articles, for any number of shards.
    """
    parts = [(new, NEW)] + ([(kept, PRIOR_KEPT)] if kept is not None and len(kept) else [])
    columns = [
        band_entries(
            batch.doc_keys,
            batch.ranks,
            batch.keys,
            content_keys(batch.features.content_hashes),
            origin,
        )
        for batch, origin in parts
    ]
    if removed is not None and len(removed):
        columns.append(
            band_entries(
                removed.doc_keys, removed.ranks, removed.keys, removed.content_keys, PRIOR_REMOVED
            )
        )
    flat = [np.concatenate([c[i] for c in columns]) for i in range(5)]
    found = shard_candidates(*flat, all_pairs_cap=all_pairs_cap)
    edges = list(found.twins)
    if len(found):
        doc_keys = np.concatenate([batch.doc_keys for batch, _ in parts]).astype(np.uint64)
        table = FeatureTable.concat([batch.features for batch, _ in parts])
        order = np.argsort(doc_keys, kind="stable")

        def rows(docs: np.ndarray) -> np.ndarray:
            return order[np.searchsorted(doc_keys[order], docs)]

        edges += verify_edges(
            table.take(rows(found.canonical)),
            table.take(rows(found.candidate)),
            found.canonical,
            found.candidate,
            found.canonical_rank,
            found.candidate_rank,
            config,
        )
    fixed = {d.doc_key: d for d in removed.decisions} if removed is not None else {}
    return resolve_stories(edges, fixed, prior_stories(kept, removed))


def dedup_batch(
    new: Articles, index: IndexReader, config: DedupConfig, all_pairs_cap: int = ALL_PAIRS_CAP
) -> Resolution:
    """:func:`dedup` of ``new`` against what ``index`` holds."""
    kept, removed = index.prior_candidates(new.keys)
    return dedup(new, kept, removed, config, all_pairs_cap)
