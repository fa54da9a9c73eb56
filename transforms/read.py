"""ReadArticles: match input files and decode them, quarantining what can't be read."""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import PBegin

from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.decoding import Rejected, decode_text, decompress
from newsingest.transforms.core.file_selection import (
    Listed,
    Selection,
    Unopened,
    escape_glob,
    ignore_rule,
    list_local,
    path_to_uri,
    read_local,
    uri_to_path,
)
from newsingest.transforms.core.structured import FieldMapping
from newsingest.transforms.formats import DEFAULT_FIELDS, split_input
from newsingest.transforms.progress import ProgressSettings, report, report_total
from newsingest.transforms.records import FileChunk, FileRef, QuarantineRecord, RawArticle, RawBatch
from newsingest.transforms.timing import stage_timer

__all__ = [
    "ReadArticles",
    "ReadOutputs",
    "QUARANTINE_TAG",
    "MATCHED_TAG",
    "IGNORED_TAG",
    "input_pattern",
    "is_ignored_name",
    "read_file",
    "read_file_refs",
    "read_records",
    "select_inputs",
]

QUARANTINE_TAG = "quarantine"
MATCHED_TAG = "matched"
IGNORED_TAG = "ignored"
_LOG = logging.getLogger(__name__)


def _is_local(path: str) -> bool:
    return FileSystems.get_scheme(path) in (None, "file")


def input_pattern(path: str) -> str:
    """A Beam glob for ``path``: a directory or bucket prefix becomes ``dir/**``.

    A path that exists as written is taken literally (its ``[``, ``*`` and ``?`` are
    escaped); otherwise glob characters make it a pattern. A local directory, any
    path ending in ``/``, and a remote path that is not an existing object (a
    "folder" prefix in a bucket) are read recursively.
    """
    is_local = _is_local(path)
    if any(ch in path for ch in "*?["):
        if not (is_local and os.path.lexists(uri_to_path(path))):
            return path
        literal = escape_glob(path)
        return literal.rstrip("/") + "/**" if os.path.isdir(uri_to_path(path)) else literal
    if path.endswith("/") or (is_local and os.path.isdir(path)):
        return path.rstrip("/") + "/**"
    if not is_local and not FileSystems.exists(path):
        return path.rstrip("/") + "/**"
    return path


def is_ignored_name(uri: str) -> bool:
    """True for names that are never articles: ``.hidden``, ``_meta`` and ``*.tmp``/``*.part``.

    Writers that copy files in place should use one of these names until the
    file is complete (the streaming watcher relies on the same rule). Listing
    (``select_inputs``) applies it to every folder below an input root as well.
    """
    return ignore_rule(posixpath.basename(uri.rstrip("/"))) is not None


def _glob_roots(path: str) -> tuple[list[str], Counter]:
    """Local roots matched by ``path`` (itself when it exists, else its glob matches) and
    the glob matches dropped by the ignore rules (applied below the glob's folder).

    Raises FileNotFoundError when it does not exist and is no glob, or when the folder
    a glob starts from does not exist.
    """
    local = uri_to_path(path)
    if os.path.lexists(local):
        return [local], Counter()
    if not any(ch in local for ch in "*?["):
        raise FileNotFoundError(f"input {path!r} does not exist")
    base = os.path.dirname(re.match(r"^[^[*?]*", local).group(0)) or "."
    if not os.path.isdir(base):
        raise FileNotFoundError(f"input {path!r}: folder {base!r} does not exist")
    roots, ignored = [], Counter()
    for match in sorted(glob.glob(local, recursive=True)):
        rules = [ignore_rule(n) for n in os.path.relpath(match, base).split(os.sep)]
        rule = next((r for r in rules if r), None)
        if rule is None:
            roots.append(match)
        else:
            ignored[rule] += 1
    return roots, ignored


def _select_remote(path: str, exclude: tuple[str, ...]) -> Selection:
    selection = Selection()
    pattern = input_pattern(path)
    results = FileSystems.match([pattern])
    if not any(r.metadata_list for r in results) and not any(ch in path for ch in "*?["):
        raise FileNotFoundError(f"input {path!r} does not exist")
    base = re.match(r"^[^[*?]*", pattern).group(0).rstrip("/")
    prefixes = tuple(e.rstrip("/") + "/" for e in exclude)
    files = {}
    for meta in (m for r in results for m in r.metadata_list):
        below = meta.path[len(base) :].strip("/").split("/") if meta.path != base else []
        rule = next((ignore_rule(n) for n in below if ignore_rule(n)), None)
        if rule is None and meta.path.startswith(prefixes):
            rule = "output"
        if rule is not None:
            selection.ignored[rule] += 1
            continue
        files[meta.path] = Listed(meta.path, meta.size_in_bytes, meta.last_updated_in_seconds)
    selection.files = [files[uri] for uri in sorted(files)]
    return selection


def select_inputs(patterns: Iterable[str], exclude: Iterable[str] = ()) -> Selection:
    """Every input file of ``patterns`` (see ``transforms.core.file_selection`` for the
    rules), sorted and unique, with the ignored names counted per rule.

    ``exclude`` names folders never read (the output dataset). Raises
    FileNotFoundError for an input that does not exist.
    """
    exclude = tuple(exclude)
    selection = Selection()
    for path in patterns:
        if _is_local(path):
            roots, ignored = _glob_roots(path)
            selection.merge(list_local(roots, [e for e in exclude if _is_local(e)]))
            selection.ignored.update(ignored)
        else:
            selection.merge(_select_remote(path, exclude))
    return selection


def read_file_refs(
    patterns: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[list[FileRef], int]:
    """All input files matching ``patterns``, sorted and unique, and the count of ignored names."""
    selection = select_inputs(patterns, exclude)
    refs = [FileRef(uri=f.uri, size=f.size) for f in selection.files]
    return refs, sum(selection.ignored.values())


class _ChunkFilesFn(beam.DoFn):
    """Expands input patterns into sorted chunks of ``FileRef``; counts ignored names."""

    def __init__(
        self,
        chunk_size: int,
        progress: ProgressSettings | None,
        exclude: tuple,
        selection: Selection | None = None,
    ):
        self._chunk_size = chunk_size
        self._progress = progress
        self._exclude = exclude
        self._selection = selection

    def process(self, patterns: tuple[str, ...]) -> Iterator[FileChunk]:
        selection = (
            self._selection
            if self._selection is not None
            else select_inputs(patterns, self._exclude)
        )
        refs = [FileRef(uri=f.uri, size=f.size) for f in selection.files]
        report_total(self._progress, len(refs))
        if selection.ignored:
            _LOG.info("ignored names: %s", dict(sorted(selection.ignored.items())))
        Metrics.counter("newsingest", "files_matched").inc(len(refs))
        yield beam.pvalue.TaggedOutput(IGNORED_TAG, dict(sorted(selection.ignored.items())))
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
        follow: bool,
    ):
        self._max_file_bytes = max_file_bytes
        self._batch_size = batch_size
        self._progress = progress
        self._fields = fields
        self._follow = follow
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
        return read_records(ref, self._max_file_bytes, self._fields, self._follow)


def read_records(
    ref: FileRef,
    max_file_bytes: int,
    fields: FieldMapping = DEFAULT_FIELDS,
    follow_symlinks: bool = False,
) -> list[RawArticle | QuarantineRecord]:
    """The articles and rejected records of one input file (the format dispatch point).

    A plain file is one article; a JSON Lines/JSON file one article per record
    and an HTML page its main text (see ``transforms.formats``). A file that
    cannot be opened, read or decoded is one quarantine record (``read_file``).
    """
    outcome = read_file(ref, max_file_bytes, follow_symlinks)
    if isinstance(outcome, QuarantineRecord):
        return [outcome]
    return split_input(outcome, fields)


def _pointer(uri: str, reason: str, detail: str, size: int) -> QuarantineRecord:
    return QuarantineRecord(
        uri=uri, reason=reason, detail=detail, size_bytes=size, sha256=None, raw_content=None
    )


def _read_bytes(uri: str, path: str, max_file_bytes: int, follow_symlinks: bool) -> bytes:
    """At most ``max_file_bytes + 1`` bytes of the input, or Unopened saying why not."""
    if path is not None:
        return read_local(path, max_file_bytes, follow_symlinks)
    try:
        with FileSystems.open(uri, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            data = f.read(max_file_bytes + 1)
    except OSError as error:
        raise Unopened("unreadable", f"{type(error).__name__}: {error}") from None
    if len(data) > max_file_bytes:
        raise Unopened("too_large", f"more than {max_file_bytes} bytes (--max-file-bytes)")
    return data


def read_file(
    ref: FileRef, max_file_bytes: int, follow_symlinks: bool = False
) -> RawArticle | QuarantineRecord:
    """Reads and decodes one file, or says why it is quarantined (not a regular file, a
    symlink, too large, unreadable, empty, binary, undecodable, corrupt).

    Local inputs are opened only when they are regular files and never read beyond
    ``max_file_bytes + 1`` bytes (``transforms.core.file_selection.read_local``); the
    record's URI is the canonical, losslessly encoded ``source_uri`` (``path_to_uri``).
    """
    path = None
    uri = ref.uri
    if _is_local(uri):
        path = os.path.abspath(uri_to_path(uri))
        uri = path_to_uri(path)
    if ref.size > max_file_bytes:
        return _pointer(
            uri,
            "too_large",
            f"{ref.size} bytes exceeds --max-file-bytes={max_file_bytes}; "
            "the source file is the durable copy",
            ref.size,
        )
    try:
        data = _read_bytes(uri, path, max_file_bytes, follow_symlinks)
    except Unopened as unopened:
        size = unopened.size if unopened.size is not None else ref.size
        return _pointer(uri, unopened.reason, unopened.detail, size)
    try:
        text, encoding = decode_text(decompress(uri, data, max_file_bytes))
    except Rejected as rejected:
        return QuarantineRecord(
            uri=uri,
            reason=rejected.reason,
            detail=rejected.detail,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            raw_content=data,
        )
    return RawArticle(uri=uri, text=text, encoding=encoding)


class ReadArticles(beam.PTransform):
    """Selects the input files of ``patterns`` and decodes every one.

    Selection follows ``select_inputs``: local folders are walked without following
    symlinked folders, hidden/underscore/temporary names (files and folders) are
    ignored and counted, ``exclude`` (the output dataset) is never read; buckets go
    through Beam's FileSystems. ``.gz``/``.bz2``/``.xz`` files are decompressed with
    a size cap; only regular files are opened, never beyond ``max_file_bytes``.

    Returns a ``DoOutputsTuple``: the main output is a ``PCollection[RawBatch]``
    (chunks of up to ``chunk_size`` files, formed from the sorted file list so
    the result does not depend on listing order; a chunk's articles are cut
    into batches of at most ``chunk_size`` records, in file order),
    ``QUARANTINE_TAG`` a ``PCollection[QuarantineRecord]`` of every file or
    record that was not a regular file, a symlink not followed, empty, binary,
    undecodable, corrupt, larger than ``max_file_bytes`` or a bad record,
    ``MATCHED_TAG`` a ``PCollection[int]`` of records read by each reader (for
    the run's accounting) and ``IGNORED_TAG`` one ``dict`` of ignored names per
    rule. A plain file is one record, a JSON Lines or JSON array file one record
    per line/element (``fields`` maps their fields), an HTML page one record.
    Every record appears in exactly one of the first two outputs.

    ``selection``, when given, is read instead of listing ``patterns`` in the
    pipeline: a slice of a selection the launcher already made (``newsingest run``
    cuts large inputs into slices, see ``pipeline.slices``); its ignored counts are
    reported as they are.
    """

    def __init__(
        self,
        patterns: list[str],
        chunk_size: int = 500,
        max_file_bytes: int = 10 << 20,
        progress: ProgressSettings | None = None,
        fields: FieldMapping = DEFAULT_FIELDS,
        exclude: tuple[str, ...] = (),
        follow_symlinks: bool = False,
        selection: Selection | None = None,
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
        self._exclude = tuple(exclude)
        self._follow = follow_symlinks
        self._selection = selection

    def expand(self, pbegin: PBegin):
        chunks = (
            pbegin
            | "Patterns" >> beam.Create([self._patterns])
            | "MatchChunks"
            >> beam.ParDo(
                _ChunkFilesFn(self._chunk_size, self._progress, self._exclude, self._selection)
            ).with_outputs(IGNORED_TAG, main="chunks")
        )
        read = (
            chunks.chunks
            | "Distribute" >> beam.Reshuffle()
            | "ReadChunks"
            >> beam.ParDo(
                _ReadChunkFn(
                    self._max_file_bytes,
                    self._progress,
                    self._fields,
                    self._chunk_size,
                    self._follow,
                )
            ).with_outputs(QUARANTINE_TAG, MATCHED_TAG, main="articles")
        )
        return ReadOutputs(
            read.articles, read[QUARANTINE_TAG], read[MATCHED_TAG], chunks[IGNORED_TAG]
        )


class ReadOutputs(NamedTuple):
    """The outputs of ``ReadArticles``."""

    articles: beam.PCollection
    quarantine: beam.PCollection
    matched: beam.PCollection
    ignored: beam.PCollection
