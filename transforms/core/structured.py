"""JSON Lines and JSON inputs: one article per record (Beam-free).

A structured file is cut into records, and each record becomes either a
:class:`Record` (body, title, date value, source id) or a :class:`BadRecord`
(reason, detail and the record's raw text), independently of the other
records: one bad line never rejects its file.

Formats, chosen by the file name (after any ``.gz``/``.bz2``/``.xz`` suffix):
  * ``.jsonl``, ``.ndjson``: one JSON value per line. Line numbers start at 1
    and count every line of the decoded file; blank lines are not records.
    Record URI: ``file.jsonl#L12``.
  * ``.json``: a JSON array of records (record URI ``file.json#3``, the
    0-based array index, as in a JSON Pointer), or one JSON object (one record;
    its URI is the file's URI, without a fragment).

Field mapping (:class:`FieldMapping`): each of ``body``, ``title``, ``date``
and ``id`` names the record fields tried in order; the first one present and
not null is used. A name may be a dotted path into nested objects
(``meta.published``). Defaults: body ``text``, ``body``, ``content``,
``article``, ``articleBody``; title ``title``, ``headline``; date
``published``, ``date``, ``publish_date``, ``datePublished``; id ``url``,
``id``. ``parse_field_mapping("body=maintext,title=headline")`` overrides some
of them (``|`` separates alternatives: ``body=maintext|text``).

Record rules (reasons are stable codes, see :data:`RECORD_REASONS`):
  * not valid JSON -> ``invalid_json``; a JSON value that is not an object ->
    ``not_an_object``;
  * no body field, or a body that is empty or only whitespace ->
    ``missing_text``;
  * a body that is not a string (or a list of strings, joined by blank lines),
    a title that is not a string, an id that is not a string or an integer ->
    ``wrong_type``;
  * a date that is not a string is kept as ``date_raw`` (its JSON text) and
    normalised later to ``invalid``, like an unreadable date header: the
    article is kept with a null date.

Guarantees: pure and deterministic (no clock, no environment); never raises
on bad data; the order of records is the order in the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import orjson

from newsingest.transforms.core.dates import (
    DATE_INVALID,
    DATE_MISSING,
    DATE_PARSED,
    parse_date_value,
    split_date_header,
)

__all__ = [
    "RECORD_REASONS",
    "FieldMapping",
    "Record",
    "BadRecord",
    "StructuredFormat",
    "structured_format",
    "parse_field_mapping",
    "parse_records",
    "date_of_value",
]

RECORD_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "invalid_json": "The line (or .json file) is not valid JSON.",
        "not_an_object": "The record is a JSON value other than an object.",
        "missing_text": "No mapped body field, or the body is empty.",
        "wrong_type": "A mapped field has the wrong type (body, title or id not text).",
    }
)

_DEFAULTS = {
    "body": ("text", "body", "content", "article", "articleBody"),
    "title": ("title", "headline"),
    "date": ("published", "date", "publish_date", "datePublished"),
    "id": ("url", "id"),
}


@dataclass(frozen=True)
class FieldMapping:
    """Which record fields hold the body, title, date and id (first present wins)."""

    body: tuple[str, ...] = _DEFAULTS["body"]
    title: tuple[str, ...] = _DEFAULTS["title"]
    date: tuple[str, ...] = _DEFAULTS["date"]
    id: tuple[str, ...] = _DEFAULTS["id"]

    def validate(self) -> None:
        """Raises ValueError when a role maps to no field or to an empty name."""
        for role in _DEFAULTS:
            names = getattr(self, role)
            if not names or any(not n or n.startswith(".") or n.endswith(".") for n in names):
                raise ValueError(f"json field mapping for {role!r} needs field names: {names!r}")

    def describe(self) -> str:
        """The mapping in ``--json-fields`` syntax (for manifests and messages)."""
        return ",".join(f"{role}={'|'.join(getattr(self, role))}" for role in _DEFAULTS)


def parse_field_mapping(spec: str | None) -> FieldMapping:
    """``"body=maintext,title=headline|title"`` -> a FieldMapping (other roles default).

    Raises:
        ValueError: an unknown role (not body/title/date/id), a missing ``=``, or
            an empty field name.
    """
    if not spec or not spec.strip():
        return FieldMapping()
    roles: dict[str, tuple[str, ...]] = {}
    for part in spec.split(","):
        role, sep, names = part.partition("=")
        role = role.strip()
        if not sep:
            raise ValueError(f"--json-fields: expected ROLE=FIELD, got {part.strip()!r}")
        if role not in _DEFAULTS:
            raise ValueError(
                f"--json-fields: unknown role {role!r} (roles: {', '.join(_DEFAULTS)})"
            )
        roles[role] = tuple(n.strip() for n in names.split("|"))
    mapping = FieldMapping(**roles)
    mapping.validate()
    return mapping


@dataclass(frozen=True)
class Record:
    """One well-formed record: ``fragment`` is appended to the file URI (``#L12``)."""

    fragment: str
    body: str
    title: str | None
    date_raw: str | None
    source_id: str | None


@dataclass(frozen=True)
class BadRecord:
    """One rejected record, with its raw text (the line, or the array element as JSON)."""

    fragment: str
    reason: str
    detail: str
    raw: str


@dataclass(frozen=True)
class StructuredFormat:
    """``kind`` is ``"jsonl"`` or ``"json"``."""

    kind: str


_COMPRESSED = (".gz", ".gzip", ".bz2", ".xz")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


def structured_format(name: str) -> StructuredFormat | None:
    """The structured format a file name announces, or None (compression suffixes ignored)."""
    lower = name.lower()
    for suffix in _COMPRESSED:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
            break
    for suffix, kind in _SUFFIXES.items():
        if lower.endswith(suffix):
            return StructuredFormat(kind)
    return None


def parse_records(
    text: str, fmt: StructuredFormat, mapping: FieldMapping
) -> Iterator[Record | BadRecord]:
    """Every record of a decoded structured file, in file order."""
    if fmt.kind == "jsonl":
        yield from _jsonl_records(text, mapping)
    else:
        yield from _json_records(text, mapping)


def _jsonl_records(text: str, mapping: FieldMapping) -> Iterator[Record | BadRecord]:
    # JSON strings cannot hold a raw line feed, so "\n" is the only record separator
    # (str.splitlines would also split on U+2028 and other characters JSON allows).
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fragment = f"#L{number}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield BadRecord(fragment, "invalid_json", f"line {number}: {error}", line)
            continue
        yield _record(fragment, value, line, mapping)


def _json_records(text: str, mapping: FieldMapping) -> Iterator[Record | BadRecord]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        yield BadRecord("", "invalid_json", str(error), text)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            raw = orjson.dumps(item).decode()
            yield _record(f"#{index}", item, raw, mapping)
    else:
        yield _record("", value, text, mapping)


def _lookup(record: dict, names: tuple[str, ...]) -> tuple[str | None, object]:
    """(field name, value) of the first mapped field present and not null."""
    for name in names:
        value: object = record
        for part in name.split("."):
            if not isinstance(value, dict) or part not in value:
                value = None
                break
            value = value[part]
        if value is not None:
            return name, value
    return None, None


def _record(fragment: str, value: object, raw: str, mapping: FieldMapping) -> Record | BadRecord:
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        return BadRecord(fragment, "not_an_object", f"record is a JSON {kind}", raw)
    body_field, body = _lookup(value, mapping.body)
    if isinstance(body, list) and all(isinstance(part, str) for part in body):
        body = "\n\n".join(body)
    if body_field is None:
        return BadRecord(
            fragment, "missing_text", f"no body field ({'/'.join(mapping.body)})", raw
        )
    if not isinstance(body, str):
        return _wrong_type(fragment, "body", body_field, body, raw)
    if not body.strip():
        return BadRecord(fragment, "missing_text", f"body field {body_field!r} is empty", raw)
    title_field, title = _lookup(value, mapping.title)
    if title is not None and not isinstance(title, str):
        return _wrong_type(fragment, "title", title_field, title, raw)
    id_field, source_id = _lookup(value, mapping.id)
    if isinstance(source_id, bool) or not isinstance(source_id, (str, int, type(None))):
        return _wrong_type(fragment, "id", id_field, source_id, raw)
    _, date = _lookup(value, mapping.date)
    if date is not None and not isinstance(date, str):
        date = orjson.dumps(date).decode()
    return Record(
        fragment=fragment,
        body=body,
        title=title or None,
        date_raw=(date.strip() or None) if date is not None else None,
        source_id=None if source_id is None else str(source_id),
    )


def _wrong_type(fragment: str, role: str, name: str | None, value: object, raw: str) -> BadRecord:
    return BadRecord(
        fragment,
        "wrong_type",
        f"{role} field {name!r} is a JSON {type(value).__name__}, not text",
        raw,
    )


def date_of_value(
    value: str | None,
) -> tuple[dt.date | None, dt.datetime | None, str | None, str]:
    """``(published_date, published_at, date_raw, status)`` of a record's date field.

    The value is parsed by the date-header parser (``parse_date_value``; a
    value that is a whole labelled header, ``"Published: 28 March 2024"``, is
    read by ``split_date_header``). None or blank -> ``missing``; anything
    that does not parse -> ``invalid`` with ``date_raw`` kept as written.
    """
    if value is None or not value.strip():
        return None, None, None, DATE_MISSING
    value = value.strip()
    try:
        day, at = parse_date_value(value)
    except ValueError:
        header = split_date_header(value)
        if header.status == DATE_PARSED and not header.body.strip():
            return header.published_date, header.published_at, value, DATE_PARSED
        return None, None, value, DATE_INVALID
    return day, at, value, DATE_PARSED
