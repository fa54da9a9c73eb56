"""FindDuplicates: LSH bands -> candidate pairs -> verify -> keep/drop decisions.

The stages follow datatrove's signature -> buckets -> cluster -> filter
split, expressed as shuffles that scale out with ``num_shards``:

1. *Bands*: every article's LSH bucket keys, grouped by ``key % num_shards``.
2. *Pairs*: within a shard, articles sharing a key become candidate pairs
   (``transforms.core.clustering.bucket_pairs``).
3. *Join*: pairs meet the features of both sides in two keyed joins (by the
   shard of the earlier, then of the later article) - texts never travel.
4. *Verify*: ``transforms.core.similarity.verify`` accepts or rejects a pair.
5. *Resolve*: verified edges (few) are resolved in canonical order into
   decisions (``transforms.core.clustering.resolve``).

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
from newsingest.transforms.core.clustering import Decision, Edge, bucket_pairs, resolve
from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.verification import verify_pairs
from newsingest.transforms.records import FeatureBatch
from newsingest.transforms.timing import stage_timer

__all__ = ["FindDuplicates", "decisions_by_key"]


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
    width = keys.shape[1]
    flat = keys.ravel()
    docs = np.repeat(batch.doc_keys, width)
    ranks = np.repeat(batch.ranks, width)
    prior = np.full(len(flat), batch.prior, dtype=bool)
    yield from _split_by_shard(_shard_of(flat, num_shards), flat, ranks, docs, prior)


def _features_by_shard(batch: FeatureBatch, num_shards: int):
    prior = np.full(len(batch), batch.prior, dtype=bool)
    yield from _split_by_shard(
        _shard_of(batch.doc_keys, num_shards), batch.doc_keys, batch.ranks, prior, batch.features
    )


def _concat(parts: Iterable[tuple], index: int) -> np.ndarray:
    arrays = [part[index] for part in parts]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)


class _PairsInShardFn(beam.DoFn):
    def __init__(self, num_shards: int, all_pairs_cap: int):
        self._num_shards = num_shards
        self._all_pairs_cap = all_pairs_cap
        self._pairs = Metrics.counter("newsingest", "bucket_pairs")

    def process(self, element):
        _, parts = element
        parts = list(parts)
        with stage_timer("pairs"):
            keys, ranks, docs, prior = (_concat(parts, i) for i in range(4))
            earlier, later = bucket_pairs(keys, ranks, docs, self._all_pairs_cap)
        if len(earlier) == 0:
            return
        prior_docs = np.unique(docs[prior])
        new_pair = ~(np.isin(earlier, prior_docs) & np.isin(later, prior_docs))
        earlier, later = earlier[new_pair], later[new_pair]
        self._pairs.inc(len(earlier))
        yield from _split_by_shard(_shard_of(earlier, self._num_shards), earlier, later)


class _ShardFeatures:
    """All features of one shard, looked up by doc key with a binary search."""

    def __init__(self, parts: Iterable[tuple]):
        parts = list(parts)
        docs = _concat(parts, 0)
        order = np.argsort(docs, kind="stable")
        self._docs = docs[order]
        self.ranks = (
            np.concatenate([p[1] for p in parts])[order] if parts else np.empty(0, np.int64)
        )
        self.prior = np.concatenate([p[2] for p in parts])[order] if parts else np.empty(0, bool)
        self.table = FeatureTable.concat([p[3] for p in parts]).take(order) if parts else None

    def rows(self, docs: np.ndarray) -> np.ndarray:
        rows = np.searchsorted(self._docs, docs)
        if len(rows) and (rows.max() >= len(self._docs) or (self._docs[rows] != docs).any()):
            raise KeyError("candidate pair names an article without features")
        return rows


class _AttachEarlierFn(beam.DoFn):
    """Join 1: attach the earlier articles' features, re-key by the later's shard.

    A pair found in several band shards meets itself here (all pairs of one
    earlier article share its shard) and is kept once. Each distinct earlier
    article's features travel once per later shard, whatever the number of
    pairs it is in.
    """

    def __init__(self, num_shards: int):
        self._num_shards = num_shards
        self._candidates = Metrics.counter("newsingest", "candidate_pairs")

    def process(self, element):
        _, grouped = element
        if not grouped["pairs"]:
            return
        shard = _ShardFeatures(grouped["features"])
        pairs = np.unique(
            np.stack(
                [
                    np.concatenate([p[0] for p in grouped["pairs"]]),
                    np.concatenate([p[1] for p in grouped["pairs"]]),
                ],
                axis=1,
            ),
            axis=0,
        )
        earlier, later = pairs[:, 0].copy(), pairs[:, 1].copy()
        self._candidates.inc(len(earlier))
        rows = shard.rows(earlier)
        for later_shard, (index,) in _split_by_shard(
            _shard_of(later, self._num_shards), np.arange(len(later))
        ):
            unique_rows, inverse = np.unique(rows[index], return_inverse=True)
            yield (
                later_shard,
                _Columns(
                    (
                        earlier[index],
                        later[index],
                        inverse,
                        shard.ranks[unique_rows],
                        shard.prior[unique_rows],
                        shard.table.take(unique_rows),
                    )
                ),
            )


class _VerifyFn(beam.DoFn):
    """Join 2: attach the later articles' features and verify all pairs at once."""

    def __init__(self, config: DedupConfig):
        self._config = config
        self._verified = Metrics.counter("newsingest", "matched_pairs")

    def process(self, element) -> Iterator[list[Edge]]:
        _, grouped = element
        if not grouped["pairs"]:
            return
        shard = _ShardFeatures(grouped["features"])
        edges = []
        for earlier, later, inverse, ranks, prior, table in grouped["pairs"]:
            for start in range(0, len(earlier), _VERIFY_SLICE):
                part = slice(start, start + _VERIFY_SLICE)
                edges += self._verify(
                    shard, earlier[part], later[part], inverse[part], ranks, prior, table
                )
        self._verified.inc(len(edges))
        crash_point("dedup")
        if edges:
            yield _Columns(tuple(edges))

    def _verify(self, shard, earlier, later, inverse, ranks, prior, table) -> list[Edge]:
        later_rows = shard.rows(later)
        earlier_rank, later_rank = ranks[inverse], shard.ranks[later_rows]
        swap = shard.prior[later_rows] & ~prior[inverse]
        both = FeatureTable.concat([table.take(inverse), shard.table.take(later_rows)])
        n = len(earlier)
        positions = np.arange(n)
        canonical = both.take(np.where(swap, positions + n, positions))
        candidate = both.take(np.where(swap, positions, positions + n))
        with stage_timer("verify"):
            matches = verify_pairs(canonical, candidate, self._config)
        edges = []
        for i in [i for i, match in enumerate(matches) if match is not None]:
            a, b = int(earlier[i]), int(later[i])
            a_rank, b_rank = int(earlier_rank[i]), int(later_rank[i])
            if swap[i]:
                a, b, a_rank, b_rank = b, a, b_rank, a_rank
            edges.append(Edge(a, b, a_rank, b_rank, matches[i].method, matches[i].similarity))
        return edges


def decisions_by_key(edge_lists: Iterable[Iterable[Edge]]) -> dict[int, Decision]:
    """Resolves all verified edges into ``{removed doc_key: Decision}``."""
    with stage_timer("resolve"):
        edges = [edge for edge_list in edge_lists for edge in edge_list]
        return {decision.doc_key: decision for decision in resolve(edges)}


class FindDuplicates(beam.PTransform):
    """``PCollection[FeatureBatch]`` -> singleton ``PCollection[dict[int, Decision]]``.

    Batches flagged ``prior`` (already-published articles from the index) take
    part as candidates and canonicals but are never removed, and pairs between
    two prior articles are not re-examined. The result maps every removed
    article's ``doc_key`` to its decision; articles absent from it are kept.
    Deterministic for any batch order, sharding or runner.
    """

    def __init__(self, config: DedupConfig, num_shards: int = 16, all_pairs_cap: int = 16):
        super().__init__()
        config.validate()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        if all_pairs_cap < 2:
            raise ValueError(f"all_pairs_cap must be >= 2, got {all_pairs_cap}")
        self._config = config
        self._num_shards = num_shards
        self._all_pairs_cap = all_pairs_cap

    def expand(self, batches):
        shards = self._num_shards
        features = batches | "FeaturesByShard" >> beam.FlatMap(_features_by_shard, shards)
        pairs = (
            batches
            | "BandKeys" >> beam.FlatMap(_band_entries, self._config, shards)
            | "GroupBands" >> beam.GroupByKey()
            | "Pairs" >> beam.ParDo(_PairsInShardFn(shards, self._all_pairs_cap))
        )
        with_earlier = (
            {"pairs": pairs, "features": features}
            | "JoinEarlier" >> beam.CoGroupByKey()
            | "AttachEarlier" >> beam.ParDo(_AttachEarlierFn(shards))
        )
        return (
            {"pairs": with_earlier, "features": features}
            | "JoinLater" >> beam.CoGroupByKey()
            | "Verify" >> beam.ParDo(_VerifyFn(self._config))
            | "CollectEdges" >> beam.combiners.ToList()
            | "Resolve" >> beam.Map(decisions_by_key)
        )
