"""NormalizeArticles: date headers, clean text, titles, content hashes and ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from newsingest.transforms.core.canonical import article_id, article_key
from newsingest.transforms.core.dates import (
    DATE_INVALID,
    DATE_MISSING,
    DateHeader,
    split_date_header,
)
from newsingest.transforms.core.structured import date_of_value
from newsingest.transforms.core.text import (
    clean_text,
    content_hash,
    detect_title,
    strip_boilerplate,
)
from newsingest.transforms.progress import ProgressSettings, report
from newsingest.transforms.read import QUARANTINE_TAG
from newsingest.transforms.records import ArticleBatch, QuarantineRecord, RawArticle, RawBatch
from newsingest.transforms.timing import stage_timer

__all__ = ["NormalizeArticles", "normalize_batch"]


def normalize_batch(batch: RawBatch) -> tuple[ArticleBatch, list[QuarantineRecord]]:
    """Normalises every article of ``batch``; articles without any text are rejected.

    The stored text is ``clean_text`` of the body after the date header and
    the title; the content hash covers the title and body (not the header), so
    copies that differ only in their date header are exact duplicates. Dedup
    features are computed from the body without title and trailing
    boilerplate, so a re-titled copy of a short item is still a near duplicate.
    Structured inputs (JSON records, HTML pages) bring their title and date as
    separate fields: the date value is parsed like a header's, the title is
    taken as is, and the hash covers title and body the same way, so a record
    and a plain file with the same title and body are exact duplicates.
    """
    rows: dict[str, list] = {name: [] for name in _COLUMNS}
    keys: list[int] = []
    rejected: list[QuarantineRecord] = []
    for raw in batch.articles:
        if raw.structured:
            header, title, body = _split_structured(raw)
            content = f"{title}\n\n{body}" if title else body
            if not body:
                rejected.append(_no_text(raw.uri, raw.text))
                continue
        else:
            header = split_date_header(clean_text(raw.text))
            content = header.body.strip()
            if not content:
                rejected.append(_no_text(raw.uri, raw.text))
                continue
            title, body = detect_title(content)
        digest = content_hash(content, already_clean=True)
        key = article_key(raw.uri, digest)
        keys.append(key)
        rows["article_ids"].append(article_id(key))
        rows["source_uris"].append(raw.uri)
        rows["published_dates"].append(header.published_date)
        rows["published_ats"].append(header.published_at)
        rows["date_raws"].append(header.date_raw)
        rows["date_statuses"].append(header.status)
        rows["titles"].append(title)
        rows["texts"].append(body)
        rows["content_hashes"].append(digest)
        rows["encodings"].append(raw.encoding)
        rows["dedup_texts"].append(strip_boilerplate(body))
        rows["source_ids"].append(raw.source_id)
    articles = ArticleBatch(doc_keys=np.array(keys, dtype=np.uint64), **rows)
    return articles, rejected


_COLUMNS = (
    "article_ids",
    "source_uris",
    "published_dates",
    "published_ats",
    "date_raws",
    "date_statuses",
    "titles",
    "texts",
    "content_hashes",
    "encodings",
    "dedup_texts",
    "source_ids",
)


def _split_structured(raw: RawArticle) -> tuple[DateHeader, str | None, str]:
    """Date, title and body of a record whose fields came apart (JSON, HTML).

    The date value goes through the same parser as date headers; the title and
    body are cleaned like a plain article's (no title detection: the field is
    the title).
    """
    published_date, published_at, date_raw, status = date_of_value(raw.date_raw)
    title = (clean_text(raw.title).strip() or None) if raw.title else None
    body = clean_text(raw.text).strip()
    return DateHeader(published_date, published_at, date_raw, status, body), title, body


def _no_text(uri: str, text: str) -> QuarantineRecord:
    """A decoded input with nothing but a header (or a record whose body cleans to
    nothing): its decoded text, as UTF-8, is kept."""
    data = text.encode("utf-8")
    return QuarantineRecord(
        uri=uri,
        reason="no_text",
        detail="nothing but a date header or whitespace after normalisation",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        raw_content=data,
    )


class _NormalizeFn(beam.DoFn):
    def __init__(self, progress: ProgressSettings | None):
        self._progress = progress
        self._missing = Metrics.counter("newsingest", "date_missing")
        self._invalid = Metrics.counter("newsingest", "date_invalid")

    def process(self, batch: RawBatch) -> Iterator:
        with stage_timer("normalize"):
            articles, rejected = normalize_batch(batch)
        report(self._progress, "normalized", len(batch.articles))
        self._missing.inc(articles.date_statuses.count(DATE_MISSING))
        self._invalid.inc(articles.date_statuses.count(DATE_INVALID))
        for record in rejected:
            yield beam.pvalue.TaggedOutput(QUARANTINE_TAG, record)
        if len(articles):
            yield articles


class NormalizeArticles(beam.PTransform):
    """``PCollection[RawBatch]`` -> ``PCollection[ArticleBatch]`` (+ quarantine).

    Parses each article's date header (missing or invalid dates keep the
    article with a null date and a ``date_status``), cleans the text, detects a
    title and computes the content hash and deterministic ``article_id``.
    Batches keep their input order; articles whose text is empty after the
    header are emitted on ``QUARANTINE_TAG`` with reason ``no_text``.
    """

    def __init__(self, progress: ProgressSettings | None = None):
        super().__init__()
        self._progress = progress

    def expand(self, batches):
        return batches | "Normalize" >> beam.ParDo(_NormalizeFn(self._progress)).with_outputs(
            QUARANTINE_TAG, main="articles"
        )
