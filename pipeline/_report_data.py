"""What the HTML report shows, read from a dataset (manifests + Parquet, any filesystem).

Rows are selected by their ``run_id`` column, never by file name (compaction may have
merged several runs' files). Duplicates' texts are not stored, so their snippets are
re-read from the source files when those are still readable.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from apache_beam.io.filesystems import CompressionTypes, FileSystems

from newsingest.pipeline.load import committed_runs
from newsingest.schemas import ARTICLES, DUPLICATES, QUARANTINE, TableSchema
from newsingest.transforms.core.decoding import Rejected, decode_text, decompress
from newsingest.transforms.core.structured import (
    FieldMapping,
    parse_field_mapping,
    structured_format,
)
from newsingest.transforms.formats import DEFAULT_FIELDS, split_input
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.records import RawArticle, RawBatch

__all__ = ["Cluster", "ReportData", "Snippet", "UnknownRunError", "collect", "snippet"]

NO_DATE = "no date"
SNIPPET_CHARS = 300
MAX_DATE_COLUMNS = 62
DEFAULT_MAX_BYTES = 10 << 20


class UnknownRunError(LookupError):
    """``--run`` names no committed run of the dataset."""


@dataclass(frozen=True)
class Snippet:
    """The start of an article: title, ~300 characters of text, and a note on its source."""

    title: str | None
    text: str
    note: str | None = None


@dataclass(frozen=True)
class Member:
    """One duplicate of a cluster."""

    article_id: str
    source_uri: str
    method: str
    similarity: float
    run_id: str
    snippet: Snippet


@dataclass(frozen=True)
class Cluster:
    """A kept article and the duplicates that were dropped in its favour."""

    canonical_id: str
    canonical_uri: str | None
    canonical_run: str | None
    canonical_date: dt.date | None
    canonical: Snippet
    size: int  # duplicates in the cluster, including those not shown
    members: list[Member]


@dataclass
class ReportData:
    """Everything the report renders."""

    output: str
    scope: str  # a run id, or "all"
    manifests: list[dict]
    all_runs: list[dict]
    per_date: list[tuple[str, int]]
    per_date_unit: str  # "day" or "month"
    date_status: dict[str, int]
    methods: dict[str, int]
    similarities: dict[str, list[float]]
    clusters: list[Cluster]
    n_clusters: int
    quarantine: list[dict]
    reasons: dict[str, int]
    rows: dict[str, int] = field(default_factory=dict)  # rows found in the data


def _filesystem(output: str) -> tuple[pafs.FileSystem, str]:
    if "://" in output:
        return pafs.FileSystem.from_uri(output)
    return pafs.LocalFileSystem(), os.path.abspath(output)


def _read(
    output: str,
    folder: str,
    schema: TableSchema,
    columns: list[str],
    filter_: pc.Expression | None,
) -> pa.Table:
    """Rows of one table (explicit schema; files missing newer columns give nulls)."""
    fs, root = _filesystem(output)
    path = f"{root.rstrip('/')}/{folder}"
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return schema.arrow.empty_table().select(columns)
    dataset = ds.dataset(path, schema=schema.arrow, format="parquet", filesystem=fs)
    return dataset.to_table(columns=columns, filter=filter_)


def _shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit * 0.6 else limit].rstrip() + " …"


def _source_file(uri: str) -> str:
    """The file of a record URI (``feed.jsonl#L12`` -> ``feed.jsonl``); other URIs as they are."""
    head, sep, _ = uri.rpartition("#")
    return head if sep and structured_format(head) is not None else uri


def snippet(
    uri: str,
    expected_hash: str | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fields: FieldMapping = DEFAULT_FIELDS,
) -> Snippet:
    """The title and first characters of a source article, read as the pipeline reads it.

    ``uri`` may name a record of a structured file (``feed.jsonl#L12``, ``export.json#3``):
    the file is read and that record picked. Never raises: an unreadable, undecodable or
    changed source is described in ``note``.
    """
    path = _source_file(uri)
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            data = handle.read(max_bytes + 1)
    except Exception as error:  # any filesystem's error: shown in the report instead
        return Snippet(None, "", f"source file not readable now ({type(error).__name__})")
    try:
        text, encoding = decode_text(decompress(path, data, max_bytes))
    except Rejected as rejected:
        return Snippet(None, "", f"source file no longer decodes ({rejected.reason})")
    found = [
        o
        for o in split_input(RawArticle(uri=path, text=text, encoding=encoding), fields)
        if o.uri == uri and isinstance(o, RawArticle)
    ]
    articles, _ = normalize_batch(RawBatch(articles=found))
    if not len(articles):
        return Snippet(None, "", "the source no longer holds this article")
    note = None
    if expected_hash and articles.content_hashes[0] != expected_hash:
        note = "the source file has changed since it was ingested"
    return Snippet(articles.titles[0], _shorten(articles.texts[0]), note)


def select_runs(manifests: list[dict], run_id: str | None, all_runs: bool) -> list[dict]:
    """The manifests a report covers: one run (default: the latest committed), or all."""
    if all_runs:
        return manifests
    if run_id is None:
        return [max(manifests, key=lambda m: (m.get("committed_at") or "", m["run_id"]))]
    chosen = [m for m in manifests if m["run_id"] == run_id]
    if not chosen:
        known = ", ".join(m["run_id"] for m in manifests[-10:])
        raise UnknownRunError(f"no committed run {run_id!r} (latest runs: {known})")
    return chosen


def _per_date(dates: list[dt.date | None]) -> tuple[list[tuple[str, int]], str]:
    known = Counter(d for d in dates if d is not None)
    unit = "day"
    if len(known) > MAX_DATE_COLUMNS:
        unit = "month"
        known = Counter(d.replace(day=1) for d in dates if d is not None)
    fmt = "%Y-%m-%d" if unit == "day" else "%Y-%m"
    items = [(d.strftime(fmt), n) for d, n in sorted(known.items())]
    missing = sum(1 for d in dates if d is None)
    if missing:
        items.append((NO_DATE, missing))
    return items, unit


def _clusters(
    output: str,
    duplicates: list[dict],
    limit: int,
    per_cluster: int,
    max_bytes: int,
    fields: FieldMapping,
) -> tuple[list[Cluster], int]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in duplicates:
        groups[row["duplicate_of"]].append(row)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    ids = [canonical_id for canonical_id, _ in ranked]
    canonical_rows = (
        _read(
            output,
            "articles",
            ARTICLES,
            ["article_id", "source_uri", "title", "text", "published_date", "run_id"],
            pc.field("article_id").isin(ids),
        ).to_pylist()
        if ids
        else []
    )
    canonicals: dict[str, dict] = {}
    for row in sorted(canonical_rows, key=lambda r: r["run_id"]):
        canonicals.setdefault(row["article_id"], row)
    clusters = []
    for canonical_id, rows in ranked:
        kept = canonicals.get(canonical_id)
        if kept is None:
            shown = Snippet(None, "", "the kept article is not in the dataset's articles")
        else:
            shown = Snippet(kept["title"], _shorten(kept["text"]))
        rows = sorted(rows, key=lambda r: (-r["similarity"], r["source_uri"]))
        members = [
            Member(
                article_id=r["article_id"],
                source_uri=r["source_uri"],
                method=r["method"],
                similarity=float(r["similarity"]),
                run_id=r["run_id"],
                snippet=snippet(r["source_uri"], r["content_hash"], max_bytes, fields),
            )
            for r in rows[:per_cluster]
        ]
        clusters.append(
            Cluster(
                canonical_id=canonical_id,
                canonical_uri=kept["source_uri"] if kept else None,
                canonical_run=kept["run_id"] if kept else None,
                canonical_date=kept["published_date"] if kept else None,
                canonical=shown,
                size=len(rows),
                members=members,
            )
        )
    return clusters, len(groups)


def collect(
    output: str,
    run_id: str | None = None,
    all_runs: bool = False,
    clusters: int = 10,
    per_cluster: int = 12,
    max_quarantine_rows: int = 100,
) -> ReportData:
    """Reads what the report shows for one run (default: the latest) or all runs.

    Raises:
        newsingest.pipeline.load.DatasetNotFoundError: no dataset at ``output``.
        UnknownRunError: ``run_id`` is not a committed run.
    """
    output = output.rstrip("/")
    manifests, _ = committed_runs(output)
    chosen = select_runs(manifests, run_id, all_runs)
    run_ids = [m["run_id"] for m in chosen]
    in_scope = None if all_runs else pc.field("run_id").isin(run_ids)
    max_bytes = max(
        (m.get("settings", {}).get("max_file_bytes") or DEFAULT_MAX_BYTES for m in chosen),
        default=DEFAULT_MAX_BYTES,
    )

    articles = _read(
        output, "articles", ARTICLES, ["published_date", "date_status"], in_scope
    ).to_pydict()
    per_date, unit = _per_date(articles["published_date"])
    duplicates = _read(
        output,
        "duplicates",
        DUPLICATES,
        [
            "article_id",
            "source_uri",
            "duplicate_of",
            "similarity",
            "method",
            "content_hash",
            "run_id",
        ],
        in_scope,
    ).to_pylist()
    similarities: dict[str, list[float]] = defaultdict(list)
    for row in duplicates:
        similarities[row["method"]].append(float(row["similarity"]))
    quarantine_table = _read(
        output,
        "quarantine",
        QUARANTINE,
        ["source_uri", "reason", "detail", "size_bytes", "sha256", "run_id"],
        in_scope,
    )
    reasons = Counter(quarantine_table.column("reason").to_pylist())
    quarantine = sorted(quarantine_table.to_pylist(), key=lambda r: (r["reason"], r["source_uri"]))[
        :max_quarantine_rows
    ]
    mappings = [m.get("settings", {}).get("json_fields") for m in chosen]
    fields = parse_field_mapping(next((f for f in mappings if f), None))
    shown, n_clusters = _clusters(output, duplicates, clusters, per_cluster, max_bytes, fields)
    return ReportData(
        output=output,
        scope="all" if all_runs else run_ids[0],
        manifests=chosen,
        all_runs=manifests,
        per_date=per_date,
        per_date_unit=unit,
        date_status=dict(sorted(Counter(articles["date_status"]).items())),
        methods=dict(sorted(Counter(r["method"] for r in duplicates).items())),
        similarities=dict(sorted(similarities.items())),
        clusters=shown,
        n_clusters=n_clusters,
        quarantine=quarantine,
        reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        rows={
            "kept": len(articles["published_date"]),
            "duplicates": len(duplicates),
            "quarantined": quarantine_table.num_rows,
        },
    )
