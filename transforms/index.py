"""The persistent dedup index: what every run checks new articles against.

``DIR/_index/part-<run_id>-NNNNN.parquet`` (schema ``schemas.INDEX``) holds one
row per article ever ingested: kept articles with their LSH bucket keys and
encoded features, duplicates with their content key only. A run

* skips inputs already in the index, same URI and content (``FindIngested``, ``SkipIngested``),
* reads back only the articles that share a bucket key with a new one
  (``transforms.prior.ReadPriorCandidates``),
* writes index rows for its own articles (``index_table``), committed with
  the data.

Everything goes through Beam's Parquet I/O, so it runs unchanged on
distributed runners.
"""

from __future__ import annotations

from collections.abc import Iterator

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.metrics import Metrics

from newsingest.schemas import INDEX
from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.canonical import article_id, content_key
from newsingest.transforms.core.resolution import Decision
from newsingest.transforms.core.stories import Resolution
from newsingest.transforms.records import ArticleBatch, FeatureBatch, QuarantineRecord

__all__ = [
    "INDEX_FOLDER",
    "SKIPPED_TAG",
    "content_key",
    "index_table",
    "FindIngested",
    "stored_decisions",
    "stored_story_keys",
    "SkipIngested",
    "ReadQuarantinedKeys",
    "SkipQuarantined",
    "quarantine_fingerprint",
    "quarantine_fingerprints",
]

INDEX_FOLDER = "_index"
SKIPPED_TAG = "skipped"


def index_table(batch: FeatureBatch, resolution: Resolution, run_id: str) -> pa.Table:
    """Index rows of one batch of new articles: every article's bucket keys and story
    key, the features of kept ones and the decision of removed ones."""
    decisions = resolution.decisions
    doc_keys = batch.doc_keys.tolist()
    kept = [key not in decisions for key in doc_keys]
    width = batch.keys.shape[1] if len(doc_keys) else 0
    offsets = (np.arange(len(doc_keys) + 1) * width).astype(np.int32)
    values = batch.keys.ravel() if len(doc_keys) else np.empty(0, np.uint64)
    chosen = [decisions.get(key) for key in doc_keys]
    return pa.table(
        {
            "article_id": [article_id(key) for key in doc_keys],
            "doc_key": pa.array(batch.doc_keys, pa.uint64()),
            "content_key": pa.array(
                [content_key(h) for h in batch.features.content_hashes], pa.uint64()
            ),
            "kept": kept,
            "rank": pa.array(batch.ranks, pa.int64()),
            "band_keys": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint64())),
            "features": [
                feature_codec.encode(f) if keep else None
                for f, keep in zip(batch.features, kept, strict=True)
            ],
            "run_id": [run_id] * len(doc_keys),
            "duplicate_of": pa.array([d and d.duplicate_of for d in chosen], pa.uint64()),
            "method": [d and d.method for d in chosen],
            "similarity": pa.array([d and d.similarity for d in chosen], pa.float32()),
            "story_key": pa.array([resolution.story_key(k) for k in doc_keys], pa.uint64()),
        },
        schema=INDEX.arrow,
    )


def stored_story_keys(table: pa.Table) -> np.ndarray:
    """The story keys of index rows; ValueError for rows written without one."""
    column = table.column("story_key")
    if column.null_count:
        raise ValueError("index rows without a story key: rebuild the index (newsingest reindex)")
    return column.to_numpy().astype(np.uint64)


def stored_decisions(table: pa.Table) -> list[Decision]:
    """The decisions of the removed rows of an index table (as stored: float32 similarity)."""
    rows = table.select(["doc_key", "duplicate_of", "method", "similarity"]).to_pylist()
    return [
        Decision(r["doc_key"], r["duplicate_of"], r["method"], float(r["similarity"])) for r in rows
    ]


def _doc_keys(table: pa.Table) -> np.ndarray:
    return table.column("doc_key").to_numpy()


def _sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.uint64)


class _ConcatUnique(beam.CombineFn):
    """Combines uint64 arrays into one sorted array of distinct values."""

    def create_accumulator(self):
        return []

    def add_input(self, accumulator, values):
        accumulator.append(values)
        return accumulator

    def merge_accumulators(self, accumulators):
        merged = [_sorted_unique([a for acc in accumulators for a in acc])]
        return merged

    def extract_output(self, accumulator):
        return _sorted_unique(accumulator)


def _keys_by_shard(keys: np.ndarray, num_shards: int) -> Iterator[tuple[int, np.ndarray]]:
    keys = keys.astype(np.uint64)
    shards = (keys % np.uint64(num_shards)).astype(np.int64)
    for shard in np.unique(shards).tolist():
        yield shard, keys[shards == shard]


def _indexed_by_shard(table: pa.Table, num_shards: int):
    return _keys_by_shard(_doc_keys(table), num_shards)


def _new_by_shard(batch: ArticleBatch, num_shards: int):
    return _keys_by_shard(batch.doc_keys, num_shards)


def _ingested_in_shard(element) -> Iterator[np.ndarray]:
    _, grouped = element
    if grouped["new"] and grouped["index"]:
        found = np.intersect1d(
            np.concatenate(grouped["new"]), np.concatenate(grouped["index"]), assume_unique=False
        )
        if len(found):
            yield found


class FindIngested(beam.PTransform):
    """``PCollection[ArticleBatch]`` -> singleton sorted ``np.ndarray`` of those of their
    doc keys (URI and content: ``transforms.core.canonical.article_key``) already in the
    index.

    The index's doc keys meet the new ones in a ``CoGroupByKey`` by ``key % num_shards``;
    only the (few) re-ingested keys come out, whatever the size of the index.
    """

    def __init__(self, index_glob: str, num_shards: int = 16):
        super().__init__()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        self._glob = index_glob
        self._num_shards = num_shards

    def expand(self, batches):
        shards = self._num_shards
        indexed = (
            batches.pipeline
            | "ReadDocKeys" >> beam.io.ReadFromParquetBatched(self._glob, columns=["doc_key"])
            | "IndexedByShard" >> beam.FlatMap(_indexed_by_shard, shards)
        )
        new = batches | "NewByShard" >> beam.FlatMap(_new_by_shard, shards)
        return (
            {"new": new, "index": indexed}
            | "JoinDocKeys" >> beam.CoGroupByKey()
            | "Ingested" >> beam.FlatMap(_ingested_in_shard)
            | "Distinct" >> beam.CombineGlobally(_ConcatUnique())
        )


class _SkipFn(beam.DoFn):
    def __init__(self):
        self._skipped = Metrics.counter("newsingest", "skipped_already_ingested")

    def process(self, batch: ArticleBatch, known: np.ndarray) -> Iterator:
        seen = np.isin(batch.doc_keys.astype(np.uint64), known)
        if seen.any():
            self._skipped.inc(int(seen.sum()))
            yield beam.pvalue.TaggedOutput(SKIPPED_TAG, int(seen.sum()))
            rows = np.flatnonzero(~seen).tolist()
            if rows:
                yield batch.select(rows)
        else:
            yield batch


class SkipIngested(beam.PTransform):
    """Drops (and counts on ``SKIPPED_TAG``) articles already ingested: same URI and content.

    The re-ingestion rule: re-reading an input is idempotent, while the same content
    under a new URI goes on to dedup and becomes an ``exact`` duplicate naming the
    kept article.

    Input ``PCollection[ArticleBatch]``; ``known`` is the singleton from
    ``FindIngested`` (the re-ingested doc keys among them). The main output keeps
    batch order and contents otherwise; the ``SKIPPED_TAG`` output carries per-batch
    counts.
    """

    def __init__(self, known):
        super().__init__()
        self._known = known

    def expand(self, batches):
        return batches | "Skip" >> beam.ParDo(
            _SkipFn(), beam.pvalue.AsSingleton(self._known)
        ).with_outputs(SKIPPED_TAG, main="articles")


def quarantine_fingerprint(uri: str, sha256: str | None, size_bytes: int) -> str:
    """Identity of a quarantined input: its URI and content digest (or size when too large)."""
    return f"{uri}\0{sha256 or size_bytes}"


def quarantine_fingerprints(table: pa.Table) -> list[str]:
    """Fingerprints of the rows of a quarantine table (source_uri, sha256, size_bytes)."""
    return [
        quarantine_fingerprint(uri, digest, size)
        for uri, digest, size in zip(
            table.column("source_uri").to_pylist(),
            table.column("sha256").to_pylist(),
            table.column("size_bytes").to_pylist(),
            strict=True,
        )
    ]


class ReadQuarantinedKeys(beam.PTransform):
    """``PBegin`` -> singleton ``frozenset`` of fingerprints of every quarantined input."""

    def __init__(self, quarantine_glob: str):
        super().__init__()
        self._glob = quarantine_glob

    def expand(self, pbegin):
        return (
            pbegin
            | "ReadQuarantine"
            >> beam.io.ReadFromParquetBatched(
                self._glob, columns=["source_uri", "sha256", "size_bytes"]
            )
            | "Fingerprints" >> beam.FlatMap(quarantine_fingerprints)
            | "ToSet" >> beam.combiners.ToSet()
            | "Freeze" >> beam.Map(frozenset)
        )


def _skip_quarantined(record: QuarantineRecord, known: frozenset):
    if quarantine_fingerprint(record.uri, record.sha256, record.size_bytes) in known:
        yield beam.pvalue.TaggedOutput(SKIPPED_TAG, 1)
    else:
        yield record


class SkipQuarantined(beam.PTransform):
    """Drops (and counts on ``SKIPPED_TAG``) inputs quarantined identically before."""

    def __init__(self, known):
        super().__init__()
        self._known = known

    def expand(self, records):
        return records | "SkipKnown" >> beam.FlatMap(
            _skip_quarantined, beam.pvalue.AsSingleton(self._known)
        ).with_outputs(SKIPPED_TAG, main="records")
