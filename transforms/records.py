"""Plain element types that flow between newsingest's transforms (Beam-free).

Elements are *batches* (one per chunk of input files), not single articles:
per-element overhead on Beam runners is paid once per few hundred articles,
and numeric work (signatures, band keys) is vectorised over the batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from newsingest.schemas import ARTICLES, QUARANTINE

__all__ = [
    "FileRef",
    "FileChunk",
    "RawArticle",
    "RawBatch",
    "ArticleBatch",
    "FeatureBatch",
    "QuarantineRecord",
    "quarantine_table",
]


@dataclass(frozen=True)
class FileRef:
    """A matched input file: its URI and size in bytes."""

    uri: str
    size: int


@dataclass
class FileChunk:
    """A work item: consecutive files of the sorted input listing.

    One object (pickled once) rather than a list of ``FileRef`` (pickled one by
    one by Beam's coders).
    """

    index: int
    refs: list[FileRef]


@dataclass(frozen=True)
class RawArticle:
    """One decoded input: a plain file, or one record of a structured file or page.

    Plain files carry their date header and title inside ``text``. A structured
    input (``structured=True``: a JSON record or an HTML page's main content)
    carries them apart: ``text`` is the body only, ``title`` and ``date_raw``
    the mapped fields as written (normalised like a header later), and
    ``source_id`` the record's own id or URL.
    """

    uri: str
    text: str
    encoding: str
    title: str | None = None
    date_raw: str | None = None
    source_id: str | None = None
    structured: bool = False


@dataclass
class RawBatch:
    """Decoded articles of one chunk of input files, in input (path) order."""

    articles: list[RawArticle]


@dataclass(frozen=True)
class QuarantineRecord:
    """One rejected input: why, and its raw bytes (or a pointer when too large)."""

    uri: str
    reason: str
    detail: str
    size_bytes: int
    sha256: str | None
    raw_content: bytes | None


@dataclass
class ArticleBatch:
    """Normalised articles of one chunk, column-wise.

    ``doc_keys`` are the 64-bit integer form of ``article_ids``
    (``article_id == f"{doc_key:016x}"``); ``dedup_texts`` are the texts the
    dedup features are computed from (boilerplate removed) and are never
    written out.
    """

    doc_keys: np.ndarray
    article_ids: list[str]
    source_uris: list[str]
    published_dates: list[dt.date | None]
    published_ats: list[dt.datetime | None]
    date_raws: list[str | None]
    date_statuses: list[str]
    titles: list[str | None]
    texts: list[str]
    content_hashes: list[str]
    encodings: list[str]
    dedup_texts: list[str] = field(repr=False)
    source_ids: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.article_ids)

    def select(self, rows: list[int]) -> ArticleBatch:
        """A batch of the given rows, in that order."""
        values = {
            name: [getattr(self, name)[i] for i in rows] if getattr(self, name) else []
            for name in self.__dataclass_fields__
            if name != "doc_keys"
        }
        return ArticleBatch(doc_keys=self.doc_keys[rows], **values)

    def to_table(
        self, run_id: str, ingested_at: dt.datetime, story_ids: list[str] | None = None
    ) -> pa.Table:
        """The batch as a table of the ``articles`` schema (``story_id`` null unless
        ``story_ids`` are given)."""
        n = len(self)
        return pa.table(
            {
                "article_id": self.article_ids,
                "source_uri": self.source_uris,
                "published_date": self.published_dates,
                "published_at": self.published_ats,
                "date_raw": self.date_raws,
                "date_status": self.date_statuses,
                "title": self.titles,
                "text": self.texts,
                "content_hash": self.content_hashes,
                "encoding": self.encodings,
                "run_id": [run_id] * n,
                "ingested_at": [ingested_at] * n,
                "source_id": self.source_ids or [None] * n,
                "story_id": story_ids or [None] * n,
            },
            schema=ARTICLES.arrow,
        )


@dataclass
class FeatureBatch:
    """Dedup features of one chunk: what the dedup stages carry instead of texts.

    ``ranks`` orders canonical choice: lower rank wins (see
    ``transforms.core.canonical``). ``keys`` holds each article's LSH bucket
    keys (``(n, k)`` uint64). ``prior`` marks articles published by an earlier
    run: they are never removed; ``story_keys`` (uint64, prior batches) holds the
    story keys earlier runs gave them (``transforms.core.stories``).
    """

    doc_keys: np.ndarray
    ranks: np.ndarray
    features: list = field(repr=False)
    keys: np.ndarray = field(repr=False, default=None)
    prior: bool = False
    story_keys: np.ndarray | None = field(repr=False, default=None)

    def __len__(self) -> int:
        return len(self.features)


def quarantine_table(
    records: list[QuarantineRecord], run_id: str, ingested_at: dt.datetime
) -> pa.Table:
    """Records as a table of the ``quarantine`` schema, sorted by URI."""
    records = sorted(records, key=lambda r: (r.uri, r.reason))
    n = len(records)
    return pa.table(
        {
            "source_uri": [r.uri for r in records],
            "reason": [r.reason for r in records],
            "detail": [r.detail for r in records],
            "size_bytes": [r.size_bytes for r in records],
            "sha256": [r.sha256 for r in records],
            "raw_content": [r.raw_content for r in records],
            "run_id": [run_id] * n,
            "ingested_at": [ingested_at] * n,
        },
        schema=QUARANTINE.arrow,
    )
