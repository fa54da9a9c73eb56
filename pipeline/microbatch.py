"""Micro-batches without Beam: the batch pipeline's core functions, run in-process.

``newsingest watch`` commits one micro-batch per run id. Each batch goes
through exactly the functions the Beam transforms wrap:

read (``transforms.read``) -> ``normalize_batch`` -> ``feature_batch`` ->
candidates (LSH ``bucket_pairs`` over the batch plus the kept articles of the
index sharing a bucket key) -> ``verify_pairs`` -> ``resolve`` -> the writers
of ``transforms.write`` -> ``commit_run``'s write-ahead plan.

What differs from ``newsingest run`` is where the index lives: ``LiveIndex``
loads ``DIR/_index`` (plus the duplicates and quarantine tables) once and is
extended in memory after each commit, so a batch costs time in proportion to
its own size, not to the dataset's.

Result contract: the dataset equals what one ``newsingest run`` over all the
files gives, except for the append-only rule: an article that is already
committed is never removed afterwards. When a later file ranks before an
already committed duplicate of it (an earlier published date, or the same date
and a smaller article id), the committed article stays canonical and the new
one is recorded as its duplicate, where one batch would have kept the new one.

Re-ingestion: a file whose (URI, content) is already in the index is skipped
(``skipped_already_ingested``). Unlike ``newsingest run`` (which skips any
content already ingested), an identical copy under a *new* URI is recorded as
an ``exact`` duplicate, as one batch over all files would record it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.build import write_run_report
from newsingest.pipeline.commit import commit_run, write_json
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.fsutil import delete_paths
from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.clustering import Decision, Edge, bucket_pairs, resolve
from newsingest.transforms.core.file_selection import escape_glob
from newsingest.transforms.core.similarity import DedupConfig, FeatureTable, verify_pairs
from newsingest.transforms.index import (
    content_key,
    index_table,
    quarantine_fingerprint,
    quarantine_fingerprints,
)
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.read import read_file
from newsingest.transforms.records import (
    ArticleBatch,
    FeatureBatch,
    FileRef,
    QuarantineRecord,
    RawArticle,
    RawBatch,
    quarantine_table,
)
from newsingest.transforms.signatures import feature_batch
from newsingest.transforms.write import WrittenFile, split_batch, write_table_files

__all__ = [
    "WATCH_FOLDER",
    "BatchResult",
    "InputFile",
    "LiveIndex",
    "dedup_batch",
    "ingest_batch",
    "stage",
    "load_seen",
]

WATCH_FOLDER = "_watch"
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputFile:
    """A landed input file as listed: URI, size in bytes and modification time (s)."""

    uri: str
    size: int
    mtime: float


# --------------------------------------------------------------------------------------------
# The in-memory index
# --------------------------------------------------------------------------------------------


@dataclass
class _Segment:
    """Kept articles of some runs: keys sorted for lookup, features still encoded."""

    doc_keys: np.ndarray
    ranks: np.ndarray
    keys: np.ndarray  # (n, k) bucket keys
    features: list[bytes]
    sorted_keys: np.ndarray  # every bucket key, sorted
    rows: np.ndarray  # row of each sorted key

    @staticmethod
    def build(doc_keys, ranks, keys, features) -> _Segment:
        flat = keys.ravel()
        order = np.argsort(flat, kind="stable")
        return _Segment(
            doc_keys=doc_keys,
            ranks=ranks,
            keys=keys,
            features=features,
            sorted_keys=flat[order],
            rows=(order // max(keys.shape[1], 1)).astype(np.int64),
        )

    @staticmethod
    def merge(segments: list[_Segment]) -> _Segment:
        return _Segment.build(
            np.concatenate([s.doc_keys for s in segments]),
            np.concatenate([s.ranks for s in segments]),
            np.vstack([s.keys for s in segments]),
            [blob for s in segments for blob in s.features],
        )

    def __len__(self) -> int:
        return len(self.doc_keys)

    def hits(self, wanted: np.ndarray) -> np.ndarray:
        """Rows having at least one of the sorted, distinct ``wanted`` keys."""
        left = np.searchsorted(self.sorted_keys, wanted, "left")
        right = np.searchsorted(self.sorted_keys, wanted, "right")
        lengths = right - left
        if not lengths.any():
            return np.empty(0, np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        positions = np.repeat(left - offsets[:-1], lengths) + np.arange(offsets[-1])
        return np.unique(self.rows[positions])


@dataclass(frozen=True)
class _Twin:
    """A removed article: what an identical copy arriving later follows."""

    rank: int
    doc_key: int
    decision: Decision


class LiveIndex:
    """Everything a micro-batch is checked against, kept in memory between batches.

    Holds the keys of every ingested article (re-ingestion is skipped), the
    kept articles' bucket keys and encoded features in sorted segments
    (merged LSM-style, so lookups are ``O(log n)`` per key and appends are
    amortised), the decision of every removed article by content (identical
    copies follow it), and the fingerprints of quarantined inputs.
    """

    def __init__(self, config: DedupConfig):
        self._config = config
        self._ingested: set[int] = set()
        self._kept_content: set[int] = set()
        self._twins: dict[int, _Twin] = {}
        self._quarantined: set[str] = set()
        self._segments: list[_Segment] = []

    @classmethod
    def load(cls, root: str, config: DedupConfig) -> LiveIndex:
        """Reads ``root``'s index, duplicates and quarantine tables (any filesystem)."""
        index = cls(config)
        removed: dict[int, tuple[int, int]] = {}
        for table in _read_tables(f"{escape_glob(root)}/_index/*.parquet", None):
            removed.update(index._add_index_rows(table))
        decisions = {}
        for table in _read_tables(
            f"{escape_glob(root)}/duplicates/*.parquet",
            ["article_id", "duplicate_of", "method", "similarity"],
        ):
            for row in table.to_pylist():
                key = int(row["article_id"], 16)
                decisions[key] = Decision(
                    key, int(row["duplicate_of"], 16), row["method"], row["similarity"]
                )
        for doc_key, (ckey, rank) in removed.items():
            if doc_key in decisions:
                index._add_twin(ckey, _Twin(rank, doc_key, decisions[doc_key]))
        for table in _read_tables(
            f"{escape_glob(root)}/quarantine/*.parquet", ["source_uri", "sha256", "size_bytes"]
        ):
            index._quarantined.update(quarantine_fingerprints(table))
        return index

    def __len__(self) -> int:
        return len(self._ingested)

    @property
    def kept(self) -> int:
        return sum(len(s) for s in self._segments)

    def is_ingested(self, doc_keys: np.ndarray) -> np.ndarray:
        return np.fromiter(
            (key in self._ingested for key in doc_keys.tolist()), bool, count=len(doc_keys)
        )

    def is_quarantined(self, record: QuarantineRecord) -> bool:
        return self._fingerprint(record) in self._quarantined

    def prior_candidates(self, keys: np.ndarray) -> FeatureBatch | None:
        """Kept indexed articles sharing a bucket key with ``keys`` (``prior=True``)."""
        wanted = np.unique(keys.ravel())
        picked = []
        for segment in self._segments:
            rows = segment.hits(wanted)
            if len(rows):
                picked.append((segment, rows))
        if not picked:
            return None
        return FeatureBatch(
            doc_keys=np.concatenate([s.doc_keys[r] for s, r in picked]),
            ranks=np.concatenate([s.ranks[r] for s, r in picked]),
            features=FeatureTable.from_rows(
                [feature_codec.decode(s.features[i]) for s, r in picked for i in r.tolist()],
                self._config.num_perm,
            ),
            keys=np.vstack([s.keys[r] for s, r in picked]),
            prior=True,
        )

    def twin_decisions(self, batch: FeatureBatch) -> dict[int, Decision]:
        """Decisions of new articles identical to a removed article and to no kept one.

        Such an article follows its removed twin to the twin's canonical, with
        the twin's method, as ``resolve`` does within one batch.
        """
        fixed = {}
        for doc_key, features in zip(batch.doc_keys.tolist(), batch.features, strict=True):
            ckey = content_key(features.content_hash)
            twin = self._twins.get(ckey)
            if twin is not None and ckey not in self._kept_content:
                decision = twin.decision
                fixed[doc_key] = Decision(
                    doc_key, decision.duplicate_of, decision.method, decision.similarity
                )
        return fixed

    def extend(
        self, index_rows: pa.Table | None, decisions: dict[int, Decision], quarantine: list
    ) -> None:
        """Adds a committed batch: its index rows (if any), decisions and quarantined inputs."""
        removed = self._add_index_rows(index_rows) if index_rows is not None else {}
        for doc_key, (ckey, rank) in removed.items():
            stored = decisions[doc_key]  # as written: the similarity column is float32
            stored = dataclasses.replace(stored, similarity=float(np.float32(stored.similarity)))
            self._add_twin(ckey, _Twin(rank, doc_key, stored))
        self._quarantined.update(self._fingerprint(r) for r in quarantine)

    def _add_index_rows(self, table: pa.Table) -> dict[int, tuple[int, int]]:
        doc_keys = table.column("doc_key").to_numpy()
        content_keys = table.column("content_key").to_numpy()
        ranks = table.column("rank").to_numpy()
        kept = table.column("kept").to_numpy(zero_copy_only=False)
        self._ingested.update(doc_keys.tolist())
        self._kept_content.update(content_keys[kept].tolist())
        rows = np.flatnonzero(kept)
        if len(rows):
            band_keys = table.column("band_keys").combine_chunks()
            width = self._config.num_keys
            values = band_keys.values.to_numpy()
            offsets = band_keys.offsets.to_numpy()
            keys = np.stack([values[offsets[i] : offsets[i] + width] for i in rows.tolist()])
            features = table.column("features").take(pa.array(rows)).to_pylist()
            self._add_segment(_Segment.build(doc_keys[rows], ranks[rows], keys, features))
        return {
            int(doc_keys[i]): (int(content_keys[i]), int(ranks[i]))
            for i in np.flatnonzero(~kept).tolist()
        }

    def _add_segment(self, segment: _Segment) -> None:
        self._segments.append(segment)
        while len(self._segments) > 1 and 2 * len(self._segments[-1]) >= len(self._segments[-2]):
            last = self._segments.pop()
            self._segments[-1] = _Segment.merge([self._segments[-1], last])

    def _add_twin(self, ckey: int, twin: _Twin) -> None:
        known = self._twins.get(ckey)
        if known is None or (twin.rank, twin.doc_key) < (known.rank, known.doc_key):
            self._twins[ckey] = twin

    @staticmethod
    def _fingerprint(record: QuarantineRecord) -> str:
        return quarantine_fingerprint(record.uri, record.sha256, record.size_bytes)


def _read_tables(glob: str, columns: list[str] | None):
    for result in FileSystems.match([glob]):
        for meta in sorted(result.metadata_list, key=lambda m: m.path):
            with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                yield pq.read_table(f, columns=columns)


# --------------------------------------------------------------------------------------------
# Dedup of one micro-batch
# --------------------------------------------------------------------------------------------


def dedup_batch(
    new: FeatureBatch,
    prior: FeatureBatch | None,
    config: DedupConfig,
    fixed: dict[int, Decision] | None = None,
    all_pairs_cap: int = 16,
) -> dict[int, Decision]:
    """``FindDuplicates`` for one in-memory batch: ``{removed doc_key: Decision}``.

    Same steps and rules as the Beam transform: bucket pairs over new and
    ``prior`` articles, pairs of two prior articles dropped, a prior article
    always the canonical side of a pair (so it is never removed), all pairs
    verified at once, then ``resolve``. ``fixed`` decisions (articles already
    known to be removed) are taken as they are; their pairs are not examined.
    """
    fixed = fixed or {}
    parts = [new] if prior is None or not len(prior) else [new, prior]
    doc_keys = np.concatenate([p.doc_keys for p in parts]).astype(np.uint64)
    ranks = np.concatenate([p.ranks for p in parts]).astype(np.int64)
    is_prior = np.concatenate([np.full(len(p), p.prior, dtype=bool) for p in parts])
    keys = np.vstack([p.keys for p in parts])
    width = keys.shape[1]
    earlier, later = bucket_pairs(
        keys.ravel(), np.repeat(ranks, width), np.repeat(doc_keys, width), all_pairs_cap
    )
    decisions = dict(fixed)
    if len(earlier):
        order = np.argsort(doc_keys, kind="stable")
        e_rows = order[np.searchsorted(doc_keys[order], earlier)]
        l_rows = order[np.searchsorted(doc_keys[order], later)]
        wanted = ~(is_prior[e_rows] & is_prior[l_rows])
        if fixed:
            taken = np.fromiter(fixed, np.uint64, count=len(fixed))
            wanted &= ~np.isin(earlier, taken) & ~np.isin(later, taken)
        e_rows, l_rows = e_rows[wanted], l_rows[wanted]
        swap = is_prior[l_rows] & ~is_prior[e_rows]
        canonical = np.where(swap, l_rows, e_rows)
        candidate = np.where(swap, e_rows, l_rows)
        table = FeatureTable.concat([p.features for p in parts])
        matches = verify_pairs(table.take(canonical), table.take(candidate), config)
        edges = [
            Edge(
                int(doc_keys[a]),
                int(doc_keys[b]),
                int(ranks[a]),
                int(ranks[b]),
                match.method,
                match.similarity,
            )
            for a, b, match in zip(canonical.tolist(), candidate.tolist(), matches, strict=True)
            if match is not None
        ]
        decisions.update((d.doc_key, d) for d in resolve(edges))
    return decisions


# --------------------------------------------------------------------------------------------
# One micro-batch, end to end
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """A committed micro-batch: its manifest and what the live index was extended with."""

    manifest: dict
    index_rows: pa.Table | None
    decisions: dict[int, Decision]
    quarantine: list[QuarantineRecord]
    files: list[InputFile]


def _read_files(
    files: list[InputFile], max_file_bytes: int
) -> tuple[list[RawArticle], list[QuarantineRecord]]:
    articles, rejected = [], []
    for f in files:
        outcome = read_file(FileRef(uri=f.uri, size=f.size), max_file_bytes)
        (rejected if isinstance(outcome, QuarantineRecord) else articles).append(outcome)
    return articles, rejected


def _write_seen(staging: str, run_id: str, files: list[InputFile]) -> WrittenFile:
    relative = f"{WATCH_FOLDER}/part-{run_id}.json"
    with FileSystems.create(f"{staging}/{relative}") as handle:
        handle.write(orjson.dumps([[f.uri, f.size, f.mtime] for f in files]))
    return WrittenFile("watch", None, relative, len(files))


def stage(
    config: RunConfig,
    parts: list[tuple[ArticleBatch, pa.Table]],
    decisions: dict[int, Decision],
    quarantine: list[QuarantineRecord],
    matched: int,
    skipped: int,
    extra: tuple[WrittenFile, ...] = (),
) -> None:
    """Writes a run's tables and run report under ``config.staging`` (nothing visible yet).

    ``parts`` are article batches with their index rows (``index_table``);
    ``extra`` lists other files already written to the staging folder, moved
    into place by the same commit.
    """
    tables: dict[tuple[str, str | None], list[pa.Table]] = defaultdict(list)
    for articles, index_rows in parts:
        for key, part in split_batch(articles, decisions, config.run_id, config.ingested_at):
            tables[key].append(part)
        tables[("index", None)].append(index_rows)
    if quarantine:
        tables[("quarantine", None)].append(
            quarantine_table(quarantine, config.run_id, config.ingested_at)
        )
    written = [
        f
        for key in sorted(tables, key=lambda k: (k[0], k[1] or ""))
        for f in write_table_files(
            config.staging, config.run_id, config.max_rows_per_file, *key, tables[key]
        )
    ]
    write_run_report([*written, *extra], matched, skipped, config.staging)


def ingest_batch(files: list[InputFile], index: LiveIndex, config: RunConfig) -> BatchResult:
    """Reads, deduplicates, writes and commits ``files`` as run ``config.run_id``.

    Nothing is visible before ``commit_run`` writes the plan; ``index`` is
    not modified (call ``index.extend`` with the result once committed). The
    list of input files (URI, size, mtime) is committed with the data under
    ``_watch/``, so a restarted watcher does not read them again.
    """
    started = time.perf_counter()
    raws, quarantine = _read_files(files, config.max_file_bytes)
    articles, no_text = normalize_batch(RawBatch(articles=raws))
    quarantine += no_text
    fresh = [r for r in quarantine if not index.is_quarantined(r)]
    skipped = len(quarantine) - len(fresh)
    quarantine = fresh
    if len(articles):
        known = index.is_ingested(articles.doc_keys)
        if known.any():
            skipped += int(known.sum())
            articles = articles.select(np.flatnonzero(~known).tolist())
    decisions: dict[int, Decision] = {}
    index_rows = None
    parts = []
    if len(articles):
        features = feature_batch(articles, config.dedup)
        prior = index.prior_candidates(features.keys)
        fixed = index.twin_decisions(features)
        decisions = dedup_batch(features, prior, config.dedup, fixed)
        index_rows = index_table(features, decisions, config.run_id)
        parts.append((articles, index_rows))
    seen = _write_seen(config.staging, config.run_id, files)
    stage(config, parts, decisions, quarantine, len(files), skipped, (seen,))
    processed = time.perf_counter() - started
    manifest = commit_run(config, {"pipeline": round(processed, 3)}, started)
    return BatchResult(manifest, index_rows, decisions, quarantine, files)


def quarantine_failed(files: list[InputFile], error: str, config: RunConfig) -> BatchResult:
    """Commits ``files`` as quarantined with reason ``internal_error`` and their raw bytes.

    For inputs that made the ingestion itself fail, alone, more than once: they
    are recorded (never dropped) instead of blocking the watcher forever.
    """
    started = time.perf_counter()
    records = []
    for f in files:
        data = None
        with (
            contextlib.suppress(OSError),
            FileSystems.open(f.uri, compression_type=CompressionTypes.UNCOMPRESSED) as handle,
        ):
            data = handle.read(config.max_file_bytes + 1)
        kept = data if data is not None and len(data) <= config.max_file_bytes else None
        records.append(
            QuarantineRecord(
                uri=f.uri,
                reason="internal_error",
                detail=f"ingestion failed on this input: {error}",
                size_bytes=f.size,
                sha256=None if data is None else hashlib.sha256(data).hexdigest(),
                raw_content=kept,
            )
        )
    seen = _write_seen(config.staging, config.run_id, files)
    stage(config, [], {}, records, len(files), 0, (seen,))
    manifest = commit_run(config, {"pipeline": round(time.perf_counter() - started, 3)}, started)
    return BatchResult(manifest, None, {}, records, files)


def batch_config(base: RunConfig, now: dt.datetime, sequence: int) -> RunConfig:
    """The RunConfig of one micro-batch: a fresh, time-sortable run id and ``now``."""
    run_id = f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-w{sequence:06d}"
    return dataclasses.replace(base, run_id=run_id, ingested_at=now)


# --------------------------------------------------------------------------------------------
# Committed input files
# --------------------------------------------------------------------------------------------


def load_seen(root: str, consolidate_above: int = 64) -> dict[str, tuple[int, float]]:
    """``{uri: (size, mtime)}`` of every input file committed by a watcher.

    Read from ``DIR/_watch/part-*.json`` (one per micro-batch, moved into place
    by the batch's commit plan). More than ``consolidate_above`` files are
    merged into one, written atomically before the old ones are deleted; the
    content is a union keeping each file's latest (size, mtime) whatever the
    file order, so a crash in between only leaves redundant entries. Call
    while holding the dataset lock.
    """
    paths = [
        meta.path
        for result in FileSystems.match([f"{escape_glob(root)}/{WATCH_FOLDER}/part-*.json"])
        for meta in result.metadata_list
    ]
    seen: dict[str, tuple[int, float]] = {}
    for path in sorted(paths):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            for uri, size, mtime in orjson.loads(handle.read()):
                if uri not in seen or mtime >= seen[uri][1]:
                    seen[uri] = (size, mtime)
    if len(paths) > consolidate_above:
        merged = f"{root}/{WATCH_FOLDER}/part-merged-{time.time_ns()}.json"
        write_json(merged, [[u, s, m] for u, (s, m) in sorted(seen.items())])
        delete_paths(paths)
        _LOG.info("merged %d watch state files into %s", len(paths), merged)
    return seen


def describe(result: BatchResult) -> str:
    """One log line for a committed micro-batch."""
    counts = result.manifest["counts"]
    return (
        f"run {result.manifest['run_id']}: {counts['read']} files, kept {counts['kept']}, "
        f"duplicates {counts['duplicates']}, quarantined {counts['quarantined']}, "
        f"skipped {counts['skipped_already_ingested']} "
        f"({result.manifest['timings_s']['wall']:.2f} s)"
    )
