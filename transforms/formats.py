"""One decoded input file -> its articles: plain text, JSON records or an HTML page.

The dispatch between input formats (Beam-free; the parsers live in
``transforms.core.structured`` and ``transforms.core.html_extract``):

* ``.jsonl``/``.ndjson``/``.json`` (compressed or not): one article per record,
  each with its own ``source_uri`` (``file.jsonl#L12``, ``file.json#3``); a bad
  record becomes a quarantine record of its own, with its raw text.
* ``.html``/``.htm``/``.xhtml``, or any other file whose decoded text starts like
  an HTML document: the page's main text, title and date; a page without main
  text is quarantined as ``no_main_text`` with the decoded page.
* anything else: the file is one plain article (date header and title inside).
"""

from __future__ import annotations

import hashlib
from types import MappingProxyType

from newsingest.transforms.core.html_extract import (
    NoMainText,
    extract_html,
    is_html_name,
    looks_like_html,
)
from newsingest.transforms.core.structured import (
    RECORD_REASONS,
    BadRecord,
    FieldMapping,
    parse_records,
    structured_format,
)
from newsingest.transforms.records import QuarantineRecord, RawArticle

__all__ = ["split_input", "DEFAULT_FIELDS", "INPUT_REASONS"]

DEFAULT_FIELDS = FieldMapping()

INPUT_REASONS = MappingProxyType(
    {
        **RECORD_REASONS,
        "no_records": "A JSON Lines/JSON file that holds no record at all.",
        "no_main_text": "An HTML page without main text (navigation, scripts or markup only).",
    }
)


def split_input(
    raw: RawArticle, fields: FieldMapping = DEFAULT_FIELDS
) -> list[RawArticle | QuarantineRecord]:
    """The articles and rejected records of one decoded file, in file order.

    A plain file gives itself back unchanged. A structured file may give no
    article at all (every record bad, or only blank lines: then one
    ``no_records`` quarantine record for the file, so no input goes
    unaccounted).
    """
    fmt = structured_format(raw.uri)
    if fmt is not None:
        outcomes = [_from_record(raw, record) for record in parse_records(raw.text, fmt, fields)]
        return outcomes or [_quarantine(raw.uri, "no_records", "no JSON record", raw.text)]
    if is_html_name(raw.uri) or looks_like_html(raw.text):
        return [_from_html(raw)]
    return [raw]


def _from_record(raw: RawArticle, record) -> RawArticle | QuarantineRecord:
    uri = raw.uri + record.fragment
    if isinstance(record, BadRecord):
        return _quarantine(uri, record.reason, record.detail, record.raw)
    return RawArticle(
        uri=uri,
        text=record.body,
        encoding=raw.encoding,
        title=record.title,
        date_raw=record.date_raw,
        source_id=record.source_id,
        structured=True,
    )


def _from_html(raw: RawArticle) -> RawArticle | QuarantineRecord:
    try:
        page = extract_html(raw.text)
    except NoMainText as error:
        return _quarantine(raw.uri, "no_main_text", error.detail, raw.text)
    return RawArticle(
        uri=raw.uri,
        text=page.text,
        encoding=raw.encoding,
        title=page.title,
        date_raw=page.date_raw,
        source_id=page.source_id,
        structured=True,
    )


def _quarantine(uri: str, reason: str, detail: str, text: str) -> QuarantineRecord:
    """A rejected record or page; its decoded text is kept, as UTF-8."""
    data = text.encode("utf-8", "surrogatepass")
    return QuarantineRecord(
        uri=uri,
        reason=reason,
        detail=detail,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        raw_content=data,
    )
