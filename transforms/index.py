"""The persistent dedup index: what every run checks new articles against.

``DIR/_index/part-<run_id>-NNNNN.parquet`` (schema ``schemas.INDEX``) holds one
row per article ever ingested: kept articles with their LSH bucket keys and
encoded features, duplicates with their content key only. A run

* skips inputs whose content is already in the index (``SkipIngested``),
* reads back only the kept articles that share a bucket key with a new
  article (``ReadPriorCandidates``), so its cost grows with the new batch,
  beyond one columnar scan of the index's keys,
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
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from newsingest.schemas import INDEX
from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.canonical import article_id
from newsingest.transforms.core.clustering import Decision
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.records import ArticleBatch, FeatureBatch, QuarantineRecord

__all__ = [
    "INDEX_FOLDER",
    "SKIPPED_TAG",
    "content_key",
    "index_table",
    "ReadIngestedKeys",
    "ReadPriorCandidates",
    "SkipIngested",
    "CollectBandKeys",
    "new_band_keys",
    "ReadQuarantinedKeys",
    "SkipQuarantined",
    "quarantine_fingerprint",
    "quarantine_fingerprints",
]

INDEX_FOLDER = "_index"
SKIPPED_TAG = "skipped"


def content_key(content_hash: str) -> int:
    """The 64-bit key of a content hash (its first 16 hex digits)."""
    return int(content_hash[:16], 16)


def index_table(batch: FeatureBatch, decisions: dict[int, Decision], run_id: str) -> pa.Table:
    """Index rows of one batch of new articles: keys and features for kept ones."""
    doc_keys = batch.doc_keys.tolist()
    kept = [key not in decisions for key in doc_keys]
    band_keys = [batch.keys[i] if kept[i] else np.empty(0, np.uint64) for i in range(len(kept))]
    offsets = np.concatenate(([0], np.cumsum([len(k) for k in band_keys]))).astype(np.int32)
    values = np.concatenate(band_keys) if band_keys else np.empty(0, np.uint64)
    return pa.table(
        {
            "article_id": [article_id(key) for key in doc_keys],
            "doc_key": pa.array(batch.doc_keys, pa.uint64()),
            "content_key": pa.array(
                [content_key(f.content_hash) for f in batch.features], pa.uint64()
            ),
            "kept": kept,
            "rank": pa.array(batch.ranks, pa.int64()),
            "band_keys": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.uint64())),
            "features": [
                feature_codec.encode(f) if keep else None
                for f, keep in zip(batch.features, kept, strict=True)
            ],
            "run_id": [run_id] * len(doc_keys),
        },
        schema=INDEX.arrow,
    )


def _content_keys(table: pa.Table) -> np.ndarray:
    return table.column("content_key").to_numpy()


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


class ReadIngestedKeys(beam.PTransform):
    """``PBegin`` -> singleton sorted ``np.ndarray`` of every ingested content key."""

    def __init__(self, index_glob: str):
        super().__init__()
        self._glob = index_glob

    def expand(self, pbegin):
        return (
            pbegin
            | "ReadContentKeys"
            >> beam.io.ReadFromParquetBatched(self._glob, columns=["content_key"])
            | "ToArrays" >> beam.Map(_content_keys)
            | "Distinct" >> beam.CombineGlobally(_ConcatUnique())
        )


class _SkipFn(beam.DoFn):
    def __init__(self):
        self._skipped = Metrics.counter("newsingest", "skipped_already_ingested")

    def process(self, batch: ArticleBatch, known: np.ndarray) -> Iterator:
        keys = np.fromiter(
            (content_key(h) for h in batch.content_hashes), dtype=np.uint64, count=len(batch)
        )
        seen = np.isin(keys, known)
        if seen.any():
            self._skipped.inc(int(seen.sum()))
            yield beam.pvalue.TaggedOutput(SKIPPED_TAG, int(seen.sum()))
            rows = np.flatnonzero(~seen).tolist()
            if rows:
                yield batch.select(rows)
        else:
            yield batch


class SkipIngested(beam.PTransform):
    """Drops (and counts on ``SKIPPED_TAG``) articles whose content is already ingested.

    Input ``PCollection[ArticleBatch]``; ``known`` is the singleton from
    ``ReadIngestedKeys``. The main output keeps batch order and contents
    otherwise; the ``SKIPPED_TAG`` output carries per-batch counts.
    """

    def __init__(self, known):
        super().__init__()
        self._known = known

    def expand(self, batches):
        return batches | "Skip" >> beam.ParDo(
            _SkipFn(), beam.pvalue.AsSingleton(self._known)
        ).with_outputs(SKIPPED_TAG, main="articles")


def _hit_rows(table: pa.Table, new_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows of kept articles with a bucket key in ``new_keys``, their keys, key width."""
    band_keys = table.column("band_keys").combine_chunks()
    values = band_keys.values.to_numpy()
    offsets = band_keys.offsets.to_numpy()
    lengths = np.diff(offsets)
    kept = table.column("kept").to_numpy(zero_copy_only=False) & (lengths > 0)
    if not kept.any() or len(values) == 0:
        return np.empty(0, np.int64), np.empty((0, 0), np.uint64), 0
    hit_rows = np.unique(
        np.searchsorted(offsets, np.flatnonzero(np.isin(values, new_keys)), "right") - 1
    )
    rows = hit_rows[kept[hit_rows]]
    width = int(lengths[rows[0]]) if len(rows) else 0
    keys = np.stack([values[offsets[i] : offsets[i] + width] for i in rows]) if len(rows) else None
    return rows, keys, width


class _ReadCandidatesFn(beam.DoFn):
    """Scans one index file's keys row group by row group; decodes features of hits only."""

    def __init__(self):
        self._candidates = Metrics.counter("newsingest", "prior_candidates")

    def process(self, path: str, new_keys: np.ndarray) -> Iterator[FeatureBatch]:
        if len(new_keys) == 0:
            return
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            parquet = pq.ParquetFile(handle)
            for group in range(parquet.num_row_groups):
                table = parquet.read_row_group(group, columns=["kept", "band_keys"])
                rows, keys, _ = _hit_rows(table, new_keys)
                if len(rows) == 0:
                    continue
                details = parquet.read_row_group(group, columns=["doc_key", "rank", "features"])
                picked = details.take(pa.array(rows))
                self._candidates.inc(len(rows))
                yield FeatureBatch(
                    doc_keys=picked.column("doc_key").to_numpy(),
                    ranks=picked.column("rank").to_numpy(),
                    features=FeatureTable.from_rows(
                        [feature_codec.decode(b) for b in picked.column("features").to_pylist()]
                    ),
                    keys=keys,
                    prior=True,
                )


def _match_paths(glob: str) -> Iterator[str]:
    for result in FileSystems.match([glob]):
        yield from sorted(meta.path for meta in result.metadata_list)


class ReadPriorCandidates(beam.PTransform):
    """``PBegin`` -> ``PCollection[FeatureBatch]`` (``prior=True``) of indexed kept
    articles sharing at least one LSH bucket key with ``new_keys`` (a singleton
    sorted ``np.ndarray``). Only the key columns of the index are scanned; the
    features of other articles are never read.
    """

    def __init__(self, index_glob: str, new_keys):
        super().__init__()
        self._glob = index_glob
        self._new_keys = new_keys

    def expand(self, pbegin):
        return (
            pbegin
            | "IndexGlob" >> beam.Create([self._glob])
            | "MatchIndex" >> beam.FlatMap(_match_paths)
            | "Distribute" >> beam.Reshuffle()
            | "Candidates"
            >> beam.ParDo(_ReadCandidatesFn(), beam.pvalue.AsSingleton(self._new_keys))
        )


def new_band_keys(batch: FeatureBatch) -> np.ndarray:
    """Distinct bucket keys of a batch."""
    return np.unique(batch.keys.ravel())


class CollectBandKeys(beam.PTransform):
    """``PCollection[FeatureBatch]`` -> singleton sorted array of all their bucket keys."""

    def expand(self, batches):
        return (
            batches
            | "BatchKeys" >> beam.Map(new_band_keys)
            | "Distinct" >> beam.CombineGlobally(_ConcatUnique())
        )


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
