"""The Arrow schemas of the articles, duplicates, quarantine and index tables.

Guarantees:
  * Each schema carries its name and ``SCHEMA_VERSION`` in the Arrow metadata,
    which pyarrow writes into every Parquet file's footer.
  * Columns only ever get added (at the end, nullable) within a major version;
    a rename, removal or type change bumps ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "SCHEMA_VERSION",
    "TableSchema",
    "ARTICLES",
    "DUPLICATES",
    "QUARANTINE",
    "INDEX",
    "empty_table",
    "schema_of_file",
]

SCHEMA_VERSION = "1"
_NAME_KEY = b"newsingest.schema"
_VERSION_KEY = b"newsingest.schema_version"
_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class TableSchema:
    """A named, versioned Arrow schema."""

    name: str
    arrow: pa.Schema

    @property
    def version(self) -> str:
        return SCHEMA_VERSION


def _schema(name: str, fields: list[pa.Field]) -> TableSchema:
    metadata = {_NAME_KEY: name.encode(), _VERSION_KEY: SCHEMA_VERSION.encode()}
    return TableSchema(name=name, arrow=pa.schema(fields, metadata=metadata))


ARTICLES = _schema(
    "articles",
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("published_date", pa.date32()),
        pa.field("published_at", _UTC),
        pa.field("date_raw", pa.string()),
        pa.field("date_status", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("ingested_at", _UTC, nullable=False),
        pa.field("source_id", pa.string()),
        pa.field("story_id", pa.string()),
    ],
)

DUPLICATES = _schema(
    "duplicates",
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string(), nullable=False),
        pa.field("similarity", pa.float32(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("published_date", pa.date32()),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("ingested_at", _UTC, nullable=False),
        pa.field("story_id", pa.string()),
    ],
)

QUARANTINE = _schema(
    "quarantine",
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("sha256", pa.string()),
        pa.field("raw_content", pa.binary()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("ingested_at", _UTC, nullable=False),
    ],
)

INDEX = _schema(
    "index",
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("doc_key", pa.uint64(), nullable=False),
        pa.field("content_key", pa.uint64(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),
        pa.field("rank", pa.int64(), nullable=False),
        pa.field("band_keys", pa.list_(pa.uint64()), nullable=False),
        pa.field("features", pa.binary()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.uint64()),
        pa.field("method", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("story_key", pa.uint64()),
    ],
)


def empty_table(schema: TableSchema) -> pa.Table:
    """A zero-row table of ``schema``."""
    return schema.arrow.empty_table()


def schema_of_file(path: str) -> tuple[str | None, str | None]:
    """(schema name, schema version) recorded in a local Parquet file's footer."""
    metadata = pq.read_schema(path).metadata or {}
    name = metadata.get(_NAME_KEY)
    version = metadata.get(_VERSION_KEY)
    return (name.decode() if name else None, version.decode() if version else None)
