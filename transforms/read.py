"""ReadArticles: match input files and decode them, quarantining what can't be read."""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import PBegin

from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.decoding import Rejected, decode_text, decompress
from newsingest.transforms.core.structured import FieldMapping
from newsingest.transforms.formats import DEFAULT_FIELDS, split_input
from newsingest.transforms.progress import ProgressSettings, report, report_total
from newsingest.transforms.records import FileChunk, FileRef, QuarantineRecord, RawArticle, RawBatch
from newsingest.transforms.timing import stage_timer

__all__ = [
    "ReadArticles",
    "QUARANTINE_TAG",
    "MATCHED_TAG",
    "input_pattern",
    "is_ignored_name",
    "read_file",
    "read_file_refs",
    "read_records",
]

QUARANTINE_TAG = "quarantine"
MATCHED_TAG = "matched"
_LOG = logging.getLogger(__name__)


def input_pattern(path: str) -> str:
    """A Beam glob for ``path``: a directory or bucket prefix becomes ``dir/**``.

    A local directory, any path ending in ``/``, and a remote path that is not
    an existing object (a "folder" prefix in a bucket) are read recursively.
    """
    if any(ch in path for ch in "*?["):
        return path
    is_local = FileSystems.get_scheme(path) in (None, "file")
    if path.endswith("/") or (is_local and os.path.isdir(path)):
        return path.rstrip("/") + "/**"
    if not is_local and not FileSystems.exists(path):
        return path.rstrip("/") + "/**"
    return path


def is_ignored_name(uri: str) -> bool:
    """True for names that are never articles: ``.hidden``, ``_meta`` and ``*.tmp``/``*.part``.

    Writers that copy files in place should use one of these names until the
    file is complete (the streaming watcher relies on the same rule).
    """
    name = posixpath.basename(uri.rstrip("/"))
    return name.startswith((".", "_")) or name.endswith((".tmp", ".part", ".partial"))


def read_file_refs(patterns: Iterable[str]) -> tuple[list[FileRef], int]:
    """All input files matching ``patterns``, sorted and unique, and the count of ignored names."""
    refs: dict[str, FileRef] = {}
    ignored = 0
    for result in FileSystems.match([input_pattern(p) for p in patterns]):
        for meta in result.metadata_list:
            if is_ignored_name(meta.path):
                ignored += 1
                continue
            refs[meta.path] = FileRef(uri=meta.path, size=meta.size_in_bytes)
    return [refs[uri] for uri in sorted(refs)], ignored


class _ChunkFilesFn(beam.DoFn):
    """Expands input patterns into sorted chunks of ``FileRef``."""

    def __init__(self, chunk_size: int, progress: ProgressSettings | None):
        self._chunk_size = chunk_size
        self._progress = progress

    def process(self, patterns: tuple[str, ...]) -> Iterator[FileChunk]:
        refs, ignored = read_file_refs(patterns)
        report_total(self._progress, len(refs))
        if ignored:
            _LOG.info("ignored %d hidden/temporary file names", ignored)
        Metrics.counter("newsingest", "files_matched").inc(len(refs))
        for index, start in enumerate(range(0, len(refs), self._chunk_size)):
            yield FileChunk(index, refs[start : start + self._chunk_size])


class _ReadChunkFn(beam.DoFn):
    """Reads and decodes one chunk of files; rejected files go to the quarantine output."""

    def __init__(
        self,
        max_file_bytes: int,
        progress: ProgressSettings | None,
        fields: FieldMapping,
        batch_size: int,
    ):
        self._max_file_bytes = max_file_bytes
        self._batch_size = batch_size
        self._progress = progress
        self._fields = fields
        self._read = Metrics.counter("newsingest", "files_read")
        self._records = Metrics.counter("newsingest", "records_read")
        self._rejected = Metrics.counter("newsingest", "records_quarantined")

    def process(self, chunk: FileChunk):
        refs = chunk.refs
        articles = []
        with stage_timer("read"):
            outcomes = [o for ref in refs for o in self._read_one(ref)]
        for outcome in outcomes:
            if isinstance(outcome, QuarantineRecord):
                self._rejected.inc()
                yield beam.pvalue.TaggedOutput(QUARANTINE_TAG, outcome)
            else:
                articles.append(outcome)
        self._read.inc(len(refs))
        self._records.inc(len(outcomes))
        report(self._progress, "read", len(refs))
        crash_point("read")
        yield beam.pvalue.TaggedOutput(MATCHED_TAG, len(outcomes))
        # A JSON Lines file can hold thousands of records: batches stay chunk-sized.
        for start in range(0, len(articles), self._batch_size):
            yield RawBatch(articles=articles[start : start + self._batch_size])

    def _read_one(self, ref: FileRef) -> list[RawArticle | QuarantineRecord]:
        return read_records(ref, self._max_file_bytes, self._fields)


def read_records(
    ref: FileRef, max_file_bytes: int, fields: FieldMapping = DEFAULT_FIELDS
) -> list[RawArticle | QuarantineRecord]:
    """The articles and rejected records of one input file (the format dispatch point).

    A plain file is one article; a JSON Lines/JSON file one article per record
    and an HTML page its main text (see ``transforms.formats``). A file that
    cannot be read or decoded is one quarantine record.
    """
    outcome = read_file(ref, max_file_bytes)
    if isinstance(outcome, QuarantineRecord):
        return [outcome]
    return split_input(outcome, fields)


def read_file(ref: FileRef, max_file_bytes: int) -> RawArticle | QuarantineRecord:
    """Reads and decodes one file, or says why it is quarantined (too large, unreadable,
    empty, binary, undecodable, corrupt)."""
    if ref.size > max_file_bytes:
        return QuarantineRecord(
            uri=ref.uri,
            reason="too_large",
            detail=f"{ref.size} bytes exceeds --max-file-bytes={max_file_bytes}; "
            "the source file is the durable copy",
            size_bytes=ref.size,
            sha256=None,
            raw_content=None,
        )
    try:
        with FileSystems.open(ref.uri, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            data = f.read()
    except OSError as error:
        return QuarantineRecord(
            uri=ref.uri,
            reason="unreadable",
            detail=f"{type(error).__name__}: {error}",
            size_bytes=ref.size,
            sha256=None,
            raw_content=None,
        )
    try:
        text, encoding = decode_text(decompress(ref.uri, data, max_file_bytes))
    except Rejected as rejected:
        return QuarantineRecord(
            uri=ref.uri,
            reason=rejected.reason,
            detail=rejected.detail,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            raw_content=data,
        )
    return RawArticle(uri=ref.uri, text=text, encoding=encoding)


class ReadArticles(beam.PTransform):
    """Matches ``patterns`` through Beam's FileSystems and decodes every file.

    Directories (local or ``gs://``/``s3://`` prefixes) are read recursively.
    Names starting with ``.`` or ``_`` or ending in ``.tmp``/``.part`` are
    skipped (see ``is_ignored_name``). ``.gz``/``.bz2`` files are decompressed
    with a size cap.

    Returns a ``DoOutputsTuple``: the main output is a ``PCollection[RawBatch]``
    (chunks of up to ``chunk_size`` files, formed from the sorted file list so
    the result does not depend on listing order; a chunk's articles are cut
    into batches of at most ``chunk_size`` records, in file order),
    ``QUARANTINE_TAG`` a ``PCollection[QuarantineRecord]`` of every file or
    record that was empty, binary, undecodable, corrupt, larger than
    ``max_file_bytes`` or a bad record,
    and ``MATCHED_TAG`` a ``PCollection[int]`` of records read by each reader
    (for the run's accounting). A plain file is one record, a JSON Lines or
    JSON array file one record per line/element (``fields`` maps their
    fields), an HTML page one record. Every record appears in exactly one of
    the first two outputs.
    """

    def __init__(
        self,
        patterns: list[str],
        chunk_size: int = 500,
        max_file_bytes: int = 10 << 20,
        progress: ProgressSettings | None = None,
        fields: FieldMapping = DEFAULT_FIELDS,
    ):
        super().__init__()
        fields.validate()
        if not patterns:
            raise ValueError("at least one input pattern is required")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be >= 1, got {max_file_bytes}")
        self._patterns = tuple(patterns)
        self._chunk_size = chunk_size
        self._max_file_bytes = max_file_bytes
        self._progress = progress
        self._fields = fields

    def expand(self, pbegin: PBegin):
        return (
            pbegin
            | "Patterns" >> beam.Create([self._patterns])
            | "MatchChunks" >> beam.ParDo(_ChunkFilesFn(self._chunk_size, self._progress))
            | "Distribute" >> beam.Reshuffle()
            | "ReadChunks"
            >> beam.ParDo(
                _ReadChunkFn(
                    self._max_file_bytes, self._progress, self._fields, self._chunk_size
                )
            ).with_outputs(
                QUARANTINE_TAG, MATCHED_TAG, main="articles"
            )
        )
