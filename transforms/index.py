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
from newsingest.transforms.core.canonical import article_id, content_key
from newsingest.transforms.core.engine import RemovedPrior
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.resolution import Decision
from newsingest.transforms.records import ArticleBatch, FeatureBatch, QuarantineRecord

__all__ = [
    "INDEX_FOLDER",
    "SKIPPED_TAG",
    "content_key",
    "index_table",
    "ReadIngestedKeys",
    "ReadPriorCandidates",
    "REMOVED_TAG",
    "split_prior",
    "stored_decisions",
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


def index_table(batch: FeatureBatch, decisions: dict[int, Decision], run_id: str) -> pa.Table:
    """Index rows of one batch of new articles: every article's bucket keys, the
    features of kept ones and the decision of removed ones."""
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
        },
        schema=INDEX.arrow,
    )


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


class ReadIngestedKeys(beam.PTransform):
    """``PBegin`` -> singleton sorted ``np.ndarray`` of every ingested article's doc key
    (its URI and content: see ``transforms.core.canonical.article_key``)."""

    def __init__(self, index_glob: str):
        super().__init__()
        self._glob = index_glob

    def expand(self, pbegin):
        return (
            pbegin
            | "ReadContentKeys" >> beam.io.ReadFromParquetBatched(self._glob, columns=["doc_key"])
            | "ToArrays" >> beam.Map(_doc_keys)
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


def _hit_rows(table: pa.Table, new_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a bucket key in ``new_keys`` (kept or removed), and their keys."""
    band_keys = table.column("band_keys").combine_chunks()
    values = band_keys.values.to_numpy()
    offsets = band_keys.offsets.to_numpy()
    lengths = np.diff(offsets)
    if len(values) == 0:
        return np.empty(0, np.int64), np.empty((0, 0), np.uint64)
    rows = np.unique(
        np.searchsorted(offsets, np.flatnonzero(np.isin(values, new_keys)), "right") - 1
    )
    rows = rows[lengths[rows] > 0]
    width = int(lengths[rows[0]]) if len(rows) else 0
    keys = (
        np.stack([values[offsets[i] : offsets[i] + width] for i in rows])
        if len(rows)
        else np.empty((0, 0), np.uint64)
    )
    return rows, keys


REMOVED_TAG = "removed"


class _ReadCandidatesFn(beam.DoFn):
    """Scans one index file's keys row group by row group; decodes features of hits only.

    Main output: kept hits as ``FeatureBatch`` (``prior=True``); ``REMOVED_TAG``:
    removed hits as ``RemovedPrior`` (keys, content keys and decisions).
    """

    def __init__(self):
        self._candidates = Metrics.counter("newsingest", "prior_candidates")

    def process(self, path: str, new_keys: np.ndarray) -> Iterator:
        if len(new_keys) == 0:
            return
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            parquet = pq.ParquetFile(handle)
            for group in range(parquet.num_row_groups):
                rows, keys = _hit_rows(parquet.read_row_group(group, ["band_keys"]), new_keys)
                if len(rows) == 0:
                    continue
                self._candidates.inc(len(rows))
                details = parquet.read_row_group(group, PRIOR_COLUMNS)
                kept, removed = split_prior(details, rows, keys)
                if kept is not None:
                    yield kept
                if removed is not None:
                    yield beam.pvalue.TaggedOutput(REMOVED_TAG, removed)


PRIOR_COLUMNS = [
    "doc_key",
    "content_key",
    "kept",
    "rank",
    "features",
    "duplicate_of",
    "method",
    "similarity",
]


def split_prior(
    table: pa.Table, rows: np.ndarray, keys: np.ndarray
) -> tuple[FeatureBatch | None, RemovedPrior | None]:
    """Rows ``rows`` of an index table (with their bucket ``keys``): kept and removed."""
    picked = table.take(pa.array(rows))
    is_kept = picked.column("kept").to_numpy(zero_copy_only=False)
    kept = removed = None
    if is_kept.any():
        part = picked.filter(pa.array(is_kept))
        kept = FeatureBatch(
            doc_keys=part.column("doc_key").to_numpy(),
            ranks=part.column("rank").to_numpy(),
            features=FeatureTable.from_rows(
                [feature_codec.decode(b) for b in part.column("features").to_pylist()]
            ),
            keys=keys[is_kept],
            prior=True,
        )
    if not is_kept.all():
        part = picked.filter(pa.array(~is_kept))
        removed = RemovedPrior(
            doc_keys=part.column("doc_key").to_numpy(),
            ranks=part.column("rank").to_numpy(),
            content_keys=part.column("content_key").to_numpy(),
            keys=keys[~is_kept],
            decisions=tuple(stored_decisions(part)),
        )
    return kept, removed


def _match_paths(glob: str) -> Iterator[str]:
    for result in FileSystems.match([glob]):
        yield from sorted(meta.path for meta in result.metadata_list)


class ReadPriorCandidates(beam.PTransform):
    """``PBegin`` -> indexed articles sharing at least one LSH bucket key with
    ``new_keys`` (a singleton sorted ``np.ndarray``): ``.kept``, a
    ``PCollection[FeatureBatch]`` (``prior=True``), and ``.removed``, a
    ``PCollection[RemovedPrior]``. Only the key column of the index is scanned; the
    other columns are read for hit rows only.
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
            >> beam.ParDo(
                _ReadCandidatesFn(), beam.pvalue.AsSingleton(self._new_keys)
            ).with_outputs(REMOVED_TAG, main="kept")
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
