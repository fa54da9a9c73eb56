"""Micro-batches without Beam: orchestration of one ``newsingest watch`` batch.

``newsingest watch`` commits one micro-batch per run id. Each batch goes
through exactly the functions the Beam transforms wrap:

read (``transforms.read``) -> ``normalize_batch`` -> ``feature_batch`` ->
the dedup engine (``transforms.core.engine.dedup_batch``, against the
in-memory ``transforms.live_index.LiveIndex``) -> the writers of
``transforms.write`` -> ``commit_run``'s write-ahead plan.

Result contract: for date-ordered input, the dataset equals what one
``newsingest run`` over all the files gives (tests/pipeline/test_parity.py). An
article already committed is never removed afterwards (append-only rule).
Re-ingestion, as in ``newsingest run``: a file whose URI and content are already
in the index is skipped (``skipped_already_ingested``); an identical copy under
a new URI is a duplicate naming the kept article.
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
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.build import write_run_report
from newsingest.pipeline.commit import commit_run, write_json
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.fsutil import delete_paths
from newsingest.transforms.core.engine import dedup_batch
from newsingest.transforms.core.file_selection import escape_glob
from newsingest.transforms.core.stories import Resolution
from newsingest.transforms.index import (
    index_table,
)
from newsingest.transforms.live_index import LiveIndex
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.read import read_records
from newsingest.transforms.records import (
    ArticleBatch,
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
# One micro-batch, end to end
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """A committed micro-batch: its manifest and what the live index was extended with."""

    manifest: dict
    index_rows: pa.Table | None
    resolution: Resolution
    quarantine: list[QuarantineRecord]
    files: list[InputFile]


def _read_files(
    files: list[InputFile], config: RunConfig
) -> tuple[list[RawArticle], list[QuarantineRecord]]:
    """Articles and rejected records of ``files`` (a JSON Lines file gives many)."""
    articles, rejected = [], []
    for f in files:
        ref = FileRef(uri=f.uri, size=f.size)
        for outcome in read_records(
            ref, config.max_file_bytes, config.json_fields, config.follow_symlinks
        ):
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
    resolution: Resolution,
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
        for key, part in split_batch(articles, resolution, config.run_id, config.ingested_at):
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
    raws, quarantine = _read_files(files, config)
    records = len(raws) + len(quarantine)
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
    resolution = Resolution({}, {})
    index_rows = None
    parts = []
    if len(articles):
        features = feature_batch(articles, config.dedup)
        resolution = dedup_batch(features, index, config.dedup)
        index_rows = index_table(features, resolution, config.run_id)
        parts.append((articles, index_rows))
    seen = _write_seen(config.staging, config.run_id, files)
    stage(config, parts, resolution, quarantine, records, skipped, (seen,))
    processed = time.perf_counter() - started
    manifest = commit_run(config, {"pipeline": round(processed, 3)}, started)
    return BatchResult(manifest, index_rows, resolution, quarantine, files)


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
    stage(config, [], Resolution({}, {}), records, len(files), 0, (seen,))
    manifest = commit_run(config, {"pipeline": round(time.perf_counter() - started, 3)}, started)
    return BatchResult(manifest, None, Resolution({}, {}), records, files)


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
