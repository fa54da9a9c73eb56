"""Format dispatch when reading files: plain, JSON Lines/JSON records, HTML, compressed."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import apache_beam as beam
import orjson
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsingest.transforms.core.structured import parse_field_mapping
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.read import ReadArticles, read_records
from newsingest.transforms.records import FileRef, QuarantineRecord, RawArticle, RawBatch

PAGES = Path(__file__).resolve().parents[2] / "sample_data" / "structured" / "pages"
BODY = "Barge loadings of wheat resumed at the Enns terminal on Friday, the operator said."
COMPRESS = {"": lambda b: b, ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def _ref(path: Path) -> FileRef:
    return FileRef(uri=str(path), size=path.stat().st_size)


def _feed(*records) -> bytes:
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


FEED = _feed(
    {"url": "u1", "title": "Enns reopens", "published": "2024-03-28", "text": BODY},
    '{"text": "truncated',
    {"title": "no body"},
    {"id": 2, "content": BODY + " Second."},
)


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
@pytest.mark.parametrize("compression", sorted(COMPRESS))
def test_json_lines_files_give_one_outcome_per_record(tmp_path, suffix, compression):
    path = tmp_path / f"feed{suffix}{compression}"
    path.write_bytes(COMPRESS[compression](FEED))
    outcomes = read_records(_ref(path), 1 << 20)
    assert [o.uri for o in outcomes] == [f"{path}#L{n}" for n in (1, 2, 3, 4)]
    good = [o for o in outcomes if isinstance(o, RawArticle)]
    bad = [o for o in outcomes if isinstance(o, QuarantineRecord)]
    assert [(g.title, g.date_raw, g.source_id, g.structured) for g in good] == [
        ("Enns reopens", "2024-03-28", "u1", True),
        (None, None, "2", True),
    ]
    assert [(b.reason, b.raw_content) for b in bad] == [
        ("invalid_json", b'{"text": "truncated'),
        ("missing_text", b'{"title":"no body"}'),
    ]
    assert all(b.sha256 and b.size_bytes == len(b.raw_content) for b in bad)


@pytest.mark.parametrize("compression", sorted(COMPRESS))
def test_json_arrays_and_single_objects(tmp_path, compression):
    array = tmp_path / f"export.json{compression}"
    array.write_bytes(COMPRESS[compression](orjson.dumps([{"text": BODY}, {"body": 3}])))
    outcomes = read_records(_ref(array), 1 << 20)
    assert [(o.uri, type(o).__name__) for o in outcomes] == [
        (f"{array}#0", "RawArticle"),
        (f"{array}#1", "QuarantineRecord"),
    ]
    single = tmp_path / f"one.json{compression}"
    single.write_bytes(COMPRESS[compression](orjson.dumps({"headline": "H", "articleBody": BODY})))
    [article] = read_records(_ref(single), 1 << 20)
    assert (article.uri, article.title, article.text) == (str(single), "H", BODY)


def test_the_field_mapping_is_applied(tmp_path):
    path = tmp_path / "ccnews.jsonl"
    path.write_bytes(_feed({"maintext": BODY, "title": "T", "date_publish": "2024-03-28 09:15:00"}))
    mapping = parse_field_mapping("body=maintext,date=date_publish")
    [article] = read_records(_ref(path), 1 << 20, mapping)
    assert (article.text, article.date_raw) == (BODY, "2024-03-28 09:15:00")
    [rejected] = read_records(_ref(path), 1 << 20)
    assert rejected.reason == "missing_text"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "binary"),
        (b"[]", "no_text"),  # no letter or digit at all: the decoder rejects it
        (b"{\"articles\": []}", "missing_text"),  # one object, no body field
    ],
)
def test_a_structured_file_that_holds_no_record_is_one_quarantine_record(tmp_path, data, reason):
    path = tmp_path / "feed.json"
    path.write_bytes(data)
    [record] = read_records(_ref(path), 1 << 20)
    assert (record.uri, record.reason) == (str(path), reason)


def test_a_too_large_structured_file_is_a_pointer(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(FEED)
    [record] = read_records(_ref(path), 16)
    assert (record.reason, record.raw_content) == ("too_large", None)


@pytest.mark.parametrize("name", ["page.html", "page.htm.gz", "page.txt", "page"])
def test_html_pages_by_name_or_by_content(tmp_path, name):
    html = (PAGES / "budapest-bridge-closure.html").read_bytes()
    path = tmp_path / name
    path.write_bytes(gzip.compress(html) if name.endswith(".gz") else html)
    [article] = read_records(_ref(path), 1 << 20)
    assert article.uri == str(path) and article.structured
    assert article.title == "Budapest closes Chain Bridge to cars for flood works"
    assert "<p>" not in article.text and "trackPageView" not in article.text


def test_a_page_without_main_text_is_quarantined_with_the_page(tmp_path):
    path = tmp_path / "cookie-wall.html"
    path.write_bytes((PAGES / "cookie-wall.html").read_bytes())
    [record] = read_records(_ref(path), 1 << 20)
    assert record.reason == "no_main_text"
    assert record.raw_content == path.read_bytes()


def test_plain_files_are_still_one_article(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(f" date 2024-03-28 {BODY}\n")
    [article] = read_records(_ref(path), 1 << 20)
    assert not article.structured and article.text.startswith(" date 2024-03-28")


def test_normalised_records_use_their_fields_and_hash_like_plain_files(tmp_path):
    record = tmp_path / "feed.jsonl"
    record.write_bytes(
        _feed({"title": "Enns reopens", "published": "2024-03-28T09:15:00Z", "text": BODY})
    )
    plain = tmp_path / "story.txt"
    plain.write_text(f"Date: 2024-03-27\n\nEnns reopens\n\n{BODY}\n")
    raws = read_records(_ref(record), 1 << 20) + read_records(_ref(plain), 1 << 20)
    batch, rejected = normalize_batch(RawBatch(articles=raws))
    assert rejected == []
    assert (batch.titles[0], batch.texts[0]) == ("Enns reopens", BODY)
    assert batch.date_statuses == ["parsed", "parsed"]
    assert [str(d) for d in batch.published_dates] == ["2024-03-28", "2024-03-27"]
    assert batch.published_ats[0].isoformat() == "2024-03-28T09:15:00+00:00"
    assert batch.content_hashes[0] == batch.content_hashes[1]
    assert batch.source_ids == [None, None]


def test_read_articles_counts_records_and_routes_bad_ones(tmp_path, local_runner):
    (tmp_path / "feed.jsonl.gz").write_bytes(gzip.compress(FEED))
    (tmp_path / "story.txt").write_text(f" date 2024-03-28 {BODY}\n")
    (tmp_path / "page.html").write_bytes((PAGES / "cookie-wall.html").read_bytes())
    with TestPipeline(runner=local_runner) as p:
        read = p | ReadArticles([str(tmp_path)], chunk_size=2)
        uris = read.articles | beam.FlatMap(lambda batch: [a.uri for a in batch.articles])
        reasons = read.quarantine | beam.Map(lambda r: (Path(r.uri).name, r.reason))
        total = read.matched | beam.CombineGlobally(sum)
        feed = tmp_path / "feed.jsonl.gz"
        assert_that(
            uris,
            equal_to([f"{feed}#L1", f"{feed}#L4", str(tmp_path / "story.txt")]),
            label="Articles",
        )
        assert_that(
            reasons,
            equal_to(
                [
                    ("feed.jsonl.gz#L2", "invalid_json"),
                    ("feed.jsonl.gz#L3", "missing_text"),
                    ("page.html", "no_main_text"),
                ]
            ),
            label="Quarantine",
        )
        assert_that(total, equal_to([6]), label="Matched")


def test_read_articles_refuses_a_bad_mapping():
    from newsingest.transforms.core.structured import FieldMapping

    with pytest.raises(ValueError):
        ReadArticles(["x"], fields=FieldMapping(body=()))


def test_a_large_feed_is_cut_into_chunk_sized_batches(tmp_path, local_runner):
    records = [{"text": f"{BODY} Item {i}."} for i in range(5)]
    (tmp_path / "feed.jsonl").write_bytes(_feed(*records))
    with TestPipeline(runner=local_runner) as p:
        read = p | ReadArticles([str(tmp_path)], chunk_size=2)
        sizes = read.articles | beam.Map(lambda batch: len(batch.articles))
        assert_that(sizes, equal_to([2, 2, 1]), label="BatchSizes")
