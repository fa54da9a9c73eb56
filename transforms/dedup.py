"""FindDuplicates: the dedup engine (``transforms.core.engine``) in key-joined Beam stages.

The stages follow datatrove's signature -> buckets -> cluster -> filter
split, expressed as shuffles that scale out with ``num_shards``:

1. *Bands*: every article's bucket keys (``engine.band_entries``) - new articles,
   and the earlier runs' articles sharing a key with them (kept with features,
   removed with keys only) - grouped by ``key % num_shards``.
2. *Pairs*: within a shard, ``pairs.shard_candidates``: prefix-stable pairs per
   bucket, oriented canonical -> candidate, plus twin edges of removed prior copies.
3. *Join*: pairs meet the features of both sides in two keyed joins (by the
   shard of the canonical, then of the candidate) - texts never travel.
4. *Verify*: ``engine.verify_edges`` accepts or rejects the pairs.
5. *Resolve*: verified edges (few), the earlier runs' decisions and the story keys
   of the earlier runs' candidate articles are resolved once by
   ``stories.resolve_stories`` (keep/remove, then story ids).

Every value that crosses a shuffle is a numpy batch, so the element count is
``chunks x shards``, not ``articles x bands``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.engine import (
    ALL_PAIRS_CAP,
    RemovedPrior,
    band_entries,
    content_keys,
    verify_edges,
)
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.pairs import NEW, PRIOR_KEPT, PRIOR_REMOVED, shard_candidates
from newsingest.transforms.core.resolution import Decision, Edge
from newsingest.transforms.core.stories import Resolution, resolve_stories
from newsingest.transforms.core.verification import ComparableCache
from newsingest.transforms.records import FeatureBatch
from newsingest.transforms.timing import stage_timer

__all__ = ["FindDuplicates", "resolve_parts"]


# Pairs verified at once: bounds the aligned feature tables a worker holds.
_VERIFY_SLICE = 20_000


def _shard_of(keys: np.ndarray, num_shards: int) -> np.ndarray:
    return (keys % np.uint64(num_shards)).astype(np.int64)


@dataclass
class _Columns:
    """Values that cross a shuffle together: one pickle, not one per array or edge."""

    values: tuple

    def __getitem__(self, index: int):
        return self.values[index]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def _split_by_shard(shards: np.ndarray, *columns) -> Iterator[tuple[int, _Columns]]:
    order = np.argsort(shards, kind="stable")
    sorted_shards = shards[order]
    bounds = np.flatnonzero(np.diff(sorted_shards)) + 1
    for part in np.split(order, bounds):
        if len(part):
            yield int(shards[part[0]]), _Columns(tuple(_take(column, part) for column in columns))


def _take(column, index: np.ndarray):
    if isinstance(column, np.ndarray):
        return column[index]
    return column.take(index)


def _band_entries(batch: FeatureBatch, config: DedupConfig, num_shards: int):
    keys = batch.keys if batch.keys is not None else candidate_keys(batch.features, config)
    origin = PRIOR_KEPT if batch.prior else NEW
    columns = band_entries(
        batch.doc_keys, batch.ranks, keys, content_keys(batch.features.content_hashes), origin
    )
    yield from _split_by_shard(_shard_of(columns[0], num_shards), *columns)


def _removed_entries(removed: RemovedPrior, num_shards: int):
    columns = band_entries(
        removed.doc_keys, removed.ranks, removed.keys, removed.content_keys, PRIOR_REMOVED
    )
    yield from _split_by_shard(_shard_of(columns[0], num_shards), *columns)


def _features_by_shard(batch: FeatureBatch, num_shards: int):
    yield from _split_by_shard(
        _shard_of(batch.doc_keys, num_shards), batch.doc_keys, batch.ranks, batch.features
    )


def _concat(parts: Iterable[tuple], index: int) -> np.ndarray:
    arrays = [part[index] for part in parts]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)


_TWINS = "twins"


class _PairsInShardFn(beam.DoFn):
    """Candidates of one band shard: oriented pairs by the canonical's shard; twin edges."""

    def __init__(self, num_shards: int, all_pairs_cap: int):
        self._num_shards = num_shards
        self._all_pairs_cap = all_pairs_cap
        self._pairs = Metrics.counter("newsingest", "bucket_pairs")

    def process(self, element):
        _, parts = element
        parts = list(parts)
        with stage_timer("pairs"):
            found = shard_candidates(
                *(_concat(parts, i) for i in range(5)), all_pairs_cap=self._all_pairs_cap
            )
        if found.twins:
            yield beam.pvalue.TaggedOutput(_TWINS, ("edges", _Columns(found.twins)))
        if not len(found):
            return
        self._pairs.inc(len(found))
        yield from _split_by_shard(
            _shard_of(found.canonical, self._num_shards),
            found.canonical,
            found.candidate,
            found.canonical_rank,
            found.candidate_rank,
        )


class _ShardFeatures:
    """All features of one shard, looked up by doc key with a binary search."""

    def __init__(self, parts: Iterable[tuple]):
        parts = list(parts)
        docs = _concat(parts, 0)
        order = np.argsort(docs, kind="stable")
        self._docs = docs[order]
        self.table = FeatureTable.concat([p[2] for p in parts]).take(order) if parts else None

    def rows(self, docs: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(self._docs, docs)
        if len(rows):
            inside = np.minimum(rows, max(len(self._docs) - 1, 0))
            missing = (rows >= len(self._docs)) | (
                self._docs[inside] != docs if len(self._docs) else True
            )
            if np.any(missing):
                raise KeyError(
                    "candidate pair names an article without features: doc keys "
                    f"{[f'{int(d):016x}' for d in docs[missing][:5]]} "
                    f"({int(np.count_nonzero(missing))} of {len(docs)}; shard holds "
                    f"{len(self._docs)}; dtypes {docs.dtype}/{self._docs.dtype})"
                )
        return rows


def _unique_pairs(parts: list) -> tuple[np.ndarray, ...]:
    """The distinct (canonical, candidate) pairs of several parts, with their ranks."""
    columns = [np.concatenate([p[i] for p in parts]) for i in range(4)]
    _, first = np.unique(np.stack(columns[:2], axis=1), axis=0, return_index=True)
    return tuple(column[first] for column in columns)


class _AttachCanonicalFn(beam.DoFn):
    """Join 1: attach the canonical articles' features, re-key by the candidate's shard.

    A pair found in several band shards meets itself here (all pairs of one
    canonical article share its shard) and is kept once. Each distinct canonical
    article's features travel once per candidate shard, whatever its number of pairs.
    """

    def __init__(self, num_shards: int):
        self._num_shards = num_shards
        self._candidates = Metrics.counter("newsingest", "candidate_pairs")

    def process(self, element):
        _, grouped = element
        if not grouped["pairs"]:
            return
        shard = _ShardFeatures(grouped["features"])
        canonical, candidate, canonical_rank, candidate_rank = _unique_pairs(grouped["pairs"])
        self._candidates.inc(len(canonical))
        rows = shard.rows(canonical)
        for candidate_shard, (index,) in _split_by_shard(
            _shard_of(candidate, self._num_shards), np.arange(len(candidate))
        ):
            unique_rows, inverse = np.unique(rows[index], return_inverse=True)
            yield (
                candidate_shard,
                _Columns(
                    (
                        canonical[index],
                        candidate[index],
                        canonical_rank[index],
                        candidate_rank[index],
                        inverse,
                        shard.table.take(unique_rows),
                    )
                ),
            )


class _VerifyFn(beam.DoFn):
    """Join 2: attach the candidate articles' features and verify all pairs at once."""

    def __init__(self, config: DedupConfig):
        self._config = config
        self._verified = Metrics.counter("newsingest", "matched_pairs")

    def setup(self):
        self._prepared = ComparableCache()

    def process(self, element) -> Iterator[tuple[str, _Columns]]:
        _, grouped = element
        if not grouped["pairs"]:
            return
        shard = _ShardFeatures(grouped["features"])
        edges = []
        for canonical, candidate, c_rank, d_rank, inverse, table in grouped["pairs"]:
            for start in range(0, len(canonical), _VERIFY_SLICE):
                part = slice(start, start + _VERIFY_SLICE)
                with stage_timer("verify"):
                    edges += verify_edges(
                        table.take(inverse[part]),
                        shard.table.take(shard.rows(candidate[part])),
                        canonical[part],
                        candidate[part],
                        c_rank[part],
                        d_rank[part],
                        self._config,
                        self._prepared,
                    )
        self._verified.inc(len(edges))
        crash_point("dedup")
        if edges:
            yield "edges", _Columns(tuple(edges))


def resolve_parts(parts: Iterable[tuple[str, Iterable]]) -> Resolution:
    """Resolves all ``("edges", edges)``, ``("fixed", decisions)`` and ``("stories",
    (doc_keys, story_keys))`` parts into this run's :class:`Resolution`."""
    with stage_timer("resolve"):
        edges: list[Edge] = []
        fixed: dict[int, Decision] = {}
        stories: dict[int, int] = {}
        for kind, values in parts:
            if kind == "edges":
                edges.extend(values)
            elif kind == "fixed":
                fixed.update((d.doc_key, d) for d in values)
            else:
                docs, keys = values
                stories.update(zip(docs.tolist(), keys.tolist(), strict=True))
        return resolve_stories(edges, fixed, stories)


def _fixed_decisions(removed: RemovedPrior) -> tuple[str, _Columns]:
    return "fixed", _Columns(removed.decisions)


def _removed_stories(removed: RemovedPrior) -> tuple[str, _Columns]:
    return "stories", _Columns((removed.doc_keys, removed.story_keys))


def _prior_stories(batch: FeatureBatch) -> Iterator[tuple[str, _Columns]]:
    if batch.prior and len(batch):
        if batch.story_keys is None:
            raise ValueError("a prior batch without story keys")
        yield "stories", _Columns((batch.doc_keys, batch.story_keys))


class FindDuplicates(beam.PTransform):
    """``PCollection[FeatureBatch]`` -> singleton ``PCollection[Resolution]``.

    Batches flagged ``prior`` (already-published articles from the index) take
    part as candidates and canonicals but are never removed, and pairs between
    two prior articles are not re-examined. ``removed``, if given, is a
    ``PCollection[RemovedPrior]`` of articles earlier runs removed that share a
    bucket with new ones: identical new copies follow them to their canonical. The
    result's ``decisions`` map every removed new article's ``doc_key`` to its decision
    (articles absent from it are kept) and its ``stories`` give the new articles' story
    keys (``transforms.core.stories``; prior batches carry theirs in ``story_keys``).
    Deterministic for any batch order, sharding or runner.
    """

    def __init__(
        self,
        config: DedupConfig,
        num_shards: int = 16,
        all_pairs_cap: int = ALL_PAIRS_CAP,
        removed=None,
    ):
        super().__init__()
        config.validate()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        if all_pairs_cap < 2:
            raise ValueError(f"all_pairs_cap must be >= 2, got {all_pairs_cap}")
        self._config = config
        self._num_shards = num_shards
        self._all_pairs_cap = all_pairs_cap
        self._removed = removed

    def expand(self, batches):
        shards = self._num_shards
        features = batches | "FeaturesByShard" >> beam.FlatMap(_features_by_shard, shards)
        entries = [batches | "BandKeys" >> beam.FlatMap(_band_entries, self._config, shards)]
        fixed = [batches | "PriorStories" >> beam.FlatMap(_prior_stories)]
        if self._removed is not None:
            entries.append(
                self._removed | "RemovedBandKeys" >> beam.FlatMap(_removed_entries, shards)
            )
            fixed.append(self._removed | "FixedDecisions" >> beam.Map(_fixed_decisions))
            fixed.append(self._removed | "RemovedStories" >> beam.Map(_removed_stories))
        candidates = (
            entries
            | "AllBandKeys" >> beam.Flatten()
            | "GroupBands" >> beam.GroupByKey()
            | "Pairs"
            >> beam.ParDo(_PairsInShardFn(shards, self._all_pairs_cap)).with_outputs(
                _TWINS, main="pairs"
            )
        )
        with_canonical = (
            {"pairs": candidates.pairs, "features": features}
            | "JoinCanonical" >> beam.CoGroupByKey()
            | "AttachCanonical" >> beam.ParDo(_AttachCanonicalFn(shards))
        )
        edges = (
            {"pairs": with_canonical, "features": features}
            | "JoinCandidate" >> beam.CoGroupByKey()
            | "Verify" >> beam.ParDo(_VerifyFn(self._config))
        )
        return (
            [edges, candidates[_TWINS], *fixed]
            | "AllEdges" >> beam.Flatten()
            | "CollectEdges" >> beam.combiners.ToList()
            | "Resolve" >> beam.Map(resolve_parts)
        )
