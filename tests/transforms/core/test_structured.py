"""JSON Lines / JSON records and the field mapping (transforms/core/structured.py)."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from newsingest.transforms.core.structured import (
    BadRecord,
    FieldMapping,
    Record,
    StructuredFormat,
    date_of_value,
    parse_field_mapping,
    parse_records,
    structured_format,
)

JSONL = StructuredFormat("jsonl")
JSON = StructuredFormat("json")
BODY = "Barge loadings resumed at Enns on Friday."


def _lines(*records) -> str:
    return "\n".join(r if isinstance(r, str) else orjson.dumps(r).decode() for r in records)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("feed.jsonl", "jsonl"),
        ("FEED.NDJSON", "jsonl"),
        ("feed.jsonl.gz", "jsonl"),
        ("export.json", "json"),
        ("export.json.bz2", "json"),
        ("export.json.xz", "json"),
        ("notes.txt", None),
        ("json.txt", None),
        ("feed.jsonl.zip", None),
    ],
)
def test_format_is_chosen_by_the_name_after_compression_suffixes(name, kind):
    fmt = structured_format(name)
    assert (fmt.kind if fmt else None) == kind


def test_jsonl_records_carry_line_numbers_and_default_fields():
    text = _lines(
        {"url": "https://a", "title": "T1", "published": "2024-03-28", "text": BODY},
        "",
        {"id": 7, "headline": "T2", "datePublished": "2024-03-29", "content": BODY},
        {"body": BODY, "date": "28 March 2024"},
        {"article": BODY, "publish_date": "2024-03-27"},
        {"articleBody": BODY},
    )
    records = list(parse_records(text, JSONL, FieldMapping()))
    assert [r.fragment for r in records] == ["#L1", "#L3", "#L4", "#L5", "#L6"]
    assert all(isinstance(r, Record) and r.body == BODY for r in records)
    assert records[0] == Record("#L1", BODY, "T1", "2024-03-28", "https://a")
    assert records[1] == Record("#L3", BODY, "T2", "2024-03-29", "7")
    assert [r.date_raw for r in records[2:]] == ["28 March 2024", "2024-03-27", None]
    assert records[2].title is None and records[2].source_id is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "cut off', "invalid_json"),
        ("not json", "invalid_json"),
        ("[1, 2]", "not_an_object"),
        ('"just a string"', "not_an_object"),
        ("null", "not_an_object"),
        ('{"title": "no body"}', "missing_text"),
        ('{"text": "   "}', "missing_text"),
        ('{"text": null, "body": ""}', "missing_text"),
        ('{"text": 42}', "wrong_type"),
        ('{"text": {"nested": "x"}}', "wrong_type"),
        ('{"text": ["a", 1]}', "wrong_type"),
        ('{"text": "ok", "title": 404}', "wrong_type"),
        ('{"text": "ok", "url": ["x"]}', "wrong_type"),
        ('{"text": "ok", "id": true}', "wrong_type"),
    ],
)
def test_a_bad_line_is_rejected_alone_with_its_raw_text(line, reason):
    good = orjson.dumps({"text": BODY}).decode()
    records = list(parse_records(f"{good}\n{line}\n{good}", JSONL, FieldMapping()))
    assert [type(r) for r in records] == [Record, BadRecord, Record]
    bad = records[1]
    assert (bad.fragment, bad.reason, bad.raw) == ("#L2", reason, line)
    assert bad.detail


def test_line_separators_inside_strings_do_not_split_records():
    body = "First paragraph.\u2028Second paragraph.\u0085Third."
    line = orjson.dumps({"text": body}).decode()
    records = list(parse_records(f"{line}\r\n{line}\n", JSONL, FieldMapping()))
    assert [(r.fragment, r.body) for r in records] == [("#L1", body), ("#L2", body)]


def test_a_list_of_paragraphs_is_joined_by_blank_lines():
    [record] = parse_records('{"text": ["One.", "Two."]}', JSONL, FieldMapping())
    assert record.body == "One.\n\nTwo."


def test_non_string_dates_are_kept_as_json_text_for_the_date_normaliser():
    [record] = parse_records('{"text": "x", "published": 1711617300}', JSONL, FieldMapping())
    assert record.date_raw == "1711617300"


def test_json_array_records_are_numbered_from_zero_and_a_bad_element_stands_alone():
    text = orjson.dumps([{"text": "a"}, 5, {"body": "b", "title": "B"}]).decode()
    records = list(parse_records(text, JSON, FieldMapping()))
    assert [r.fragment for r in records] == ["#0", "#1", "#2"]
    assert isinstance(records[1], BadRecord) and records[1].reason == "not_an_object"
    assert records[1].raw == "5"
    assert records[2].title == "B"


def test_a_single_json_object_is_one_record_without_fragment():
    [record] = parse_records('{"text": "a", "title": "A"}', JSON, FieldMapping())
    assert (record.fragment, record.body, record.title) == ("", "a", "A")


def test_an_invalid_json_document_is_one_bad_record():
    [bad] = parse_records('[{"text": "a"}, ', JSON, FieldMapping())
    assert (bad.fragment, bad.reason) == ("", "invalid_json")


def test_field_mapping_overrides_only_the_named_roles_and_reaches_nested_fields():
    mapping = parse_field_mapping("body=maintext, title=headline|title,date=meta.published")
    assert mapping.body == ("maintext",)
    assert mapping.title == ("headline", "title")
    assert mapping.id == FieldMapping().id
    line = orjson.dumps(
        {"maintext": BODY, "text": "ignored", "title": "T", "meta": {"published": "2024-03-28"}}
    ).decode()
    [record] = parse_records(line, JSONL, mapping)
    assert (record.body, record.title, record.date_raw) == (BODY, "T", "2024-03-28")
    [bad] = parse_records('{"text": "only the default field"}', JSONL, mapping)
    assert bad.reason == "missing_text"


@pytest.mark.parametrize(
    "spec", ["body", "summary=abstract", "body=", "body=a|", "date=.x", "title=a.,id=b"]
)
def test_bad_field_mappings_are_refused(spec):
    with pytest.raises(ValueError):
        parse_field_mapping(spec)


def test_describe_round_trips():
    mapping = parse_field_mapping("body=maintext|text,id=guid")
    assert parse_field_mapping(mapping.describe()) == mapping
    assert parse_field_mapping(None) == parse_field_mapping("") == FieldMapping()


_UTC = dt.timezone.utc
_DAY = dt.date(2024, 3, 28)


@pytest.mark.parametrize(
    ("value", "day", "at", "status"),
    [
        ("2024-03-28", dt.date(2024, 3, 28), None, "parsed"),
        ("2024-03-28T09:15:00+01:00", _DAY, dt.datetime(2024, 3, 28, 8, 15, tzinfo=_UTC), "parsed"),
        ("Thu, 28 Mar 2024 9:15 GMT", _DAY, dt.datetime(2024, 3, 28, 9, 15, tzinfo=_UTC), "parsed"),
        ("Published: 28 March 2024", dt.date(2024, 3, 28), None, "parsed"),
        ("2024-02-30", None, None, "invalid"),
        ("yesterday", None, None, "invalid"),
        ("1711617300", None, None, "invalid"),
        (None, None, None, "missing"),
        ("  ", None, None, "missing"),
    ],
)  # fmt: skip
def test_record_dates_go_through_the_date_header_parser(value, day, at, status):
    raw = value.strip() or None if value is not None else None
    assert date_of_value(value) == (day, at, raw, status)
