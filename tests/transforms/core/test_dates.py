import datetime as dt
import random
from pathlib import Path

import pytest

from newsingest.transforms.core.dates import (
    DATE_INVALID,
    DATE_MISSING,
    DATE_PARSED,
    MAX_YEAR,
    MIN_YEAR,
    DateHeader,
    parse_date_value,
    split_date_header,
)

SEEDS = Path("/work/shared/seeds")
BODY = "Reflecting a significant development, officials met on Monday."


def _d(year, month, day):
    return dt.date(year, month, day)


def _utc(year, month, day, hour, minute, second=0, micro=0):
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.timezone.utc)


# (raw text, published_date, published_at, date_raw, body start)
# fmt: off
PARSED = [
    # the seeds' inline form
    (f" date 2024-03-28 {BODY}", _d(2024, 3, 28), None, "2024-03-28", "Reflecting a"),
    ("date 2024-03-27 SEOUL (Reuters) - In a", _d(2024, 3, 27), None, "2024-03-27", "SEOUL (Reut"),
    ("date March 28, 2024 2 killed in blast", _d(2024, 3, 28), None, "March 28, 2024", "2 killed"),
    ("date 2024-03-28 10 people died", _d(2024, 3, 28), None, "2024-03-28", "10 people"),
    ("date 2024-03-28 2 Americans held", _d(2024, 3, 28), None, "2024-03-28", "2 Americans"),
    ("date 2024-03-28 09:15 AMERICANS", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "2024-03-28 09:15", "AMERICANS"),
    ("date 2024-03-28 May was warm", _d(2024, 3, 28), None, "2024-03-28", "May was"),
    ("date 2024-03-28 Zelensky said", _d(2024, 3, 28), None, "2024-03-28", "Zelensky"),
    # ISO 8601
    ("Date: 2024-03-28T09:15:00+09:00\nBody", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 15),
     "2024-03-28T09:15:00+09:00", "Body"),
    ("date 2024-03-28 09:15:00Z Body", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "2024-03-28 09:15:00Z", "Body"),
    ("date 2024-03-28T09:15:00.123456789-05:00 Body", _d(2024, 3, 28),
     _utc(2024, 3, 28, 14, 15, 0, 123456), "2024-03-28T09:15:00.123456789-05:00", "Body"),
    ("date 2024-03-28T09:15:00,5Z Body", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15, 0, 500000),
     "2024-03-28T09:15:00,5Z", "Body"),
    ("date 2024-03-28T09:15+0530 Body", _d(2024, 3, 28), _utc(2024, 3, 28, 3, 45),
     "2024-03-28T09:15+0530", "Body"),
    ("date 2024-03-28 09:15 -05 Body", _d(2024, 3, 28), _utc(2024, 3, 28, 14, 15),
     "2024-03-28 09:15 -05", "Body"),
    ("date 2024-03-28 9:15 GMT+9 Body", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 15),
     "2024-03-28 9:15 GMT+9", "Body"),
    # RFC 2822 / HTTP-date / asctime
    ("Date: Thu, 28 Mar 2024 09:15:00 +0900\n\nBody", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 15),
     "Thu, 28 Mar 2024 09:15:00 +0900", "Body"),
    ("Date: Thu, 28 Mar 2024 09:15:00 GMT\nBody", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "Thu, 28 Mar 2024 09:15:00 GMT", "Body"),
    ("Date: Thu, 28 Mar 2024 09:15:00 UTC Body", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "Thu, 28 Mar 2024 09:15:00 UTC", "Body"),
    ("Date: Thu, 28 Mar 2024 09:15:00 EST Body", _d(2024, 3, 28), _utc(2024, 3, 28, 14, 15),
     "Thu, 28 Mar 2024 09:15:00 EST", "Body"),
    ("Date: Thu, 28 Mar 2024 23:30:00 PDT Body", _d(2024, 3, 28), _utc(2024, 3, 29, 6, 30),
     "Thu, 28 Mar 2024 23:30:00 PDT", "Body"),
    ("Date: Thursday, 28 March 2024 09:15 KST Body", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 15),
     "Thursday, 28 March 2024 09:15 KST", "Body"),
    ("Date: Thu Mar 28 09:15:00 2024\nBody", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "Thu Mar 28 09:15:00 2024", "Body"),
    # Reuters
    ("Date: 26-FEB-1987 15:01:01.79\nBody", _d(1987, 2, 26), _utc(1987, 2, 26, 15, 1, 1, 790000),
     "26-FEB-1987 15:01:01.79", "Body"),
    # month names
    ("Date: March 28, 2024\nBody", _d(2024, 3, 28), None, "March 28, 2024", "Body"),
    ("Date: Mar 28, 2024\nBody", _d(2024, 3, 28), None, "Mar 28, 2024", "Body"),
    ("Date: Mar. 28th, 2024 Body", _d(2024, 3, 28), None, "Mar. 28th, 2024", "Body"),
    ("Date: Sept 3 2024 Body", _d(2024, 9, 3), None, "Sept 3 2024", "Body"),
    ("Date: Thursday, March 28, 2024 Body", _d(2024, 3, 28), None,
     "Thursday, March 28, 2024", "Body"),
    ("Date: 28 March 2024\nBody", _d(2024, 3, 28), None, "28 March 2024", "Body"),
    ("Date: 28 mar 2024 Body", _d(2024, 3, 28), None, "28 mar 2024", "Body"),
    ("Date: 1st December, 2023 Body", _d(2023, 12, 1), None, "1st December, 2023", "Body"),
    # numeric forms and the day/month rule
    ("Date: 28.03.2024 Body", _d(2024, 3, 28), None, "28.03.2024", "Body"),
    ("Date: 04.03.2024 Body", _d(2024, 3, 4), None, "04.03.2024", "Body"),
    ("Date: 2024/03/28 Body", _d(2024, 3, 28), None, "2024/03/28", "Body"),
    ("Date: 2024.03.28 Body", _d(2024, 3, 28), None, "2024.03.28", "Body"),
    ("Date: 03/04/2024 Body", _d(2024, 3, 4), None, "03/04/2024", "Body"),
    ("Date: 12/11/2024 Body", _d(2024, 12, 11), None, "12/11/2024", "Body"),
    ("Date: 13/04/2024 Body", _d(2024, 4, 13), None, "13/04/2024", "Body"),
    ("Date: 04-03-2024 Body", _d(2024, 4, 3), None, "04-03-2024", "Body"),
    ("Date: 28/03/2024 Body", _d(2024, 3, 28), None, "28/03/2024", "Body"),
    # times with zone names, am/pm, "at"
    ("Published on March 28, 2024 9:15 AM EST Body", _d(2024, 3, 28), _utc(2024, 3, 28, 14, 15),
     "March 28, 2024 9:15 AM EST", "Body"),
    ("date 28 March 2024 09:15 CET Body", _d(2024, 3, 28), _utc(2024, 3, 28, 8, 15),
     "28 March 2024 09:15 CET", "Body"),
    ("date March 28, 2024 at 9 p.m. Body", _d(2024, 3, 28), _utc(2024, 3, 28, 21, 0),
     "March 28, 2024 at 9 p.m.", "Body"),
    ("date March 28, 2024, 12:05 am Body", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 5),
     "March 28, 2024, 12:05 am", "Body"),
    ("date March 28, 2024 12 PM Body", _d(2024, 3, 28), _utc(2024, 3, 28, 12, 0),
     "March 28, 2024 12 PM", "Body"),
    # naive time = UTC; the stated date stays even when UTC is another day
    ("date 2024-03-28 09:15 Body", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "2024-03-28 09:15", "Body"),
    ("date 2024-03-28T01:00+09:00 Body", _d(2024, 3, 28), _utc(2024, 3, 27, 16, 0),
     "2024-03-28T01:00+09:00", "Body"),
    # US generic zones follow daylight saving
    ("date January 5, 2024 10:00 ET Body", _d(2024, 1, 5), _utc(2024, 1, 5, 15, 0),
     "January 5, 2024 10:00 ET", "Body"),
    ("date July 5, 2024 10:00 ET Body", _d(2024, 7, 5), _utc(2024, 7, 5, 14, 0),
     "July 5, 2024 10:00 ET", "Body"),
    ("date 2024-03-10 03:00 PT Body", _d(2024, 3, 10), _utc(2024, 3, 10, 10, 0),
     "2024-03-10 03:00 PT", "Body"),
    ("date 2006-07-01 10:00 CT Body", _d(2006, 7, 1), _utc(2006, 7, 1, 15, 0),
     "2006-07-01 10:00 CT", "Body"),
    ("date 2024-03-10 01:30 PT Body", _d(2024, 3, 10), _utc(2024, 3, 10, 9, 30),
     "2024-03-10 01:30 PT", "Body"),
    ("date 2024-11-03 00:30 ET Body", _d(2024, 11, 3), _utc(2024, 11, 3, 4, 30),
     "2024-11-03 00:30 ET", "Body"),
    ("date 2024-11-03 03:00 ET Body", _d(2024, 11, 3), _utc(2024, 11, 3, 8, 0),
     "2024-11-03 03:00 ET", "Body"),
    ("date 2006-03-20 10:00 CT Body", _d(2006, 3, 20), _utc(2006, 3, 20, 16, 0),
     "2006-03-20 10:00 CT", "Body"),
    ("date 2006-10-28 10:00 MT Body", _d(2006, 10, 28), _utc(2006, 10, 28, 16, 0),
     "2006-10-28 10:00 MT", "Body"),
    # labels, case, colon, placement
    ("DATE: 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Dated 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Published 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("published on: 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("First published: 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Publication date : 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Posted on March 28, 2024 Body", _d(2024, 3, 28), None, "March 28, 2024", "Body"),
    ("Updated: 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Last updated 2024-03-28 Body", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("\n\n  Date: 2024-03-28\n\nBody", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("\ufeffDate: 2024-03-28\nBody", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Date:\n2024-03-28\nBody", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("date 2024-03-28", _d(2024, 3, 28), None, "2024-03-28", ""),
    # consecutive headers: all removed, the non-"updated" one reported
    ("Published: March 28, 2024\nUpdated: March 29, 2024 10:00 ET\nBody", _d(2024, 3, 28), None,
     "March 28, 2024", "Body"),
    ("Updated: March 29, 2024\nPublished: March 28, 2024 Body", _d(2024, 3, 28), None,
     "March 28, 2024", "Body"),
    # unlabelled: only a first line that is entirely a date
    ("\n2024-03-28\nBody", _d(2024, 3, 28), None, "2024-03-28", "Body"),
    ("Thu, 28 Mar 2024 09:15:00 GMT  \nBody", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15),
     "Thu, 28 Mar 2024 09:15:00 GMT", "Body"),
    # year window edges
    ("date 1800-01-01 Body", _d(1800, 1, 1), None, "1800-01-01", "Body"),
    ("date 2200-12-31 Body", _d(2200, 12, 31), None, "2200-12-31", "Body"),
    ("date 2024-02-29 Body", _d(2024, 2, 29), None, "2024-02-29", "Body"),
]
# fmt: on

# (raw text, date_raw, body start)
INVALID = [
    ("date 2024-13-45 Body", "2024-13-45", "Body"),
    ("Date: yesterday\nBody", "yesterday", "Body"),
    ("Date: yesterday, " + "officials said " * 5, "yesterday,", "officials said"),
    ("Date: sometime last week\nBody", "sometime last week", "Body"),
    ("date 2024-02-30 Body", "2024-02-30", "Body"),
    ("date 2023-02-29 Body", "2023-02-29", "Body"),
    ("Date: 0000-01-01 Body", "0000-01-01", "Body"),
    ("date 1799-12-31 Body", "1799-12-31", "Body"),
    ("date 2201-01-01 Body", "2201-01-01", "Body"),
    ("Date: 31.02.2024 Body", "31.02.2024", "Body"),
    ("Date: 13/13/2024 Body", "13/13/2024", "Body"),
    ("Date: 2024-03-28 25:00 Body", "2024-03-28 25:00", "Body"),
    ("Date: 2024-03-28 13 PM Body", "2024-03-28 13 PM", "Body"),
    ("Date: 2024-03-28 09:61 Body", "2024-03-28 09:61", "Body"),
    ("Date: 2024-03-28 09:15 +2500 Body", "2024-03-28 09:15 +2500", "Body"),
    ("Date:\nThe minister said " + "x" * 50, "", "The minister said"),
    ("Date:", "", ""),
    ("\n2024-02-30\nBody", "2024-02-30", "Body"),
]

MISSING = [
    "What's happened\nNorth Korean Foreign Minister",
    "Updated guidance from the ministry says",
    "Date night ideas for the weekend",
    "Posted 3 times today",
    "date yesterday the minister said",
    "2024-03-28 was a turning point",
    "March 28, 2024 2 killed in blast",
    "SEOUL (Reuters) - On 2024-03-28 officials met.",
    "The report, dated 2024-03-28, said",
    "Datelines matter",
    "",
    "   \n\t ",
]


@pytest.mark.parametrize("text,date,at,raw,body", PARSED)
def test_parsed_headers(text, date, at, raw, body):
    header = split_date_header(text)
    assert header.status == DATE_PARSED
    assert header.published_date == date
    assert header.published_at == at
    assert header.date_raw == raw
    assert header.body.startswith(body)
    assert header.body == header.body.lstrip()


@pytest.mark.parametrize("text,date,at,raw,body", PARSED)
def test_published_at_is_utc_aware(text, date, at, raw, body):
    published_at = split_date_header(text).published_at
    if published_at is not None:
        assert published_at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text,raw,body", INVALID)
def test_invalid_headers(text, raw, body):
    header = split_date_header(text)
    assert header == DateHeader(None, None, raw, DATE_INVALID, header.body)
    assert header.body.startswith(body)


@pytest.mark.parametrize("text", MISSING)
def test_missing_headers(text):
    assert split_date_header(text) == DateHeader(None, None, None, DATE_MISSING, text.lstrip())


def test_missing_strips_bom():
    assert split_date_header("\ufeff Hello").body == "Hello"


def test_exact_body_after_inline_header():
    assert split_date_header(f" date 2024-03-28 {BODY}").body == BODY


@pytest.mark.parametrize(
    "value,date,at",
    [
        ("2024-03-28", _d(2024, 3, 28), None),
        ("  2024-03-28T09:15:00Z ", _d(2024, 3, 28), _utc(2024, 3, 28, 9, 15)),
        ("Thu, 28 Mar 2024 09:15:00 +0900", _d(2024, 3, 28), _utc(2024, 3, 28, 0, 15)),
        ("26-FEB-1987 15:01:01.79", _d(1987, 2, 26), _utc(1987, 2, 26, 15, 1, 1, 790000)),
        ("March 28, 2024 9:15 AM EST", _d(2024, 3, 28), _utc(2024, 3, 28, 14, 15)),
        ("28.03.2024", _d(2024, 3, 28), None),
    ],
)
def test_parse_date_value(value, date, at):
    assert parse_date_value(value) == (date, at)


@pytest.mark.parametrize(
    "value,message",
    [
        ("yesterday", "unrecognised"),
        ("", "unrecognised"),
        ("2024-03-28 Body", "unrecognised"),
        ("2024-13-45", "month"),
        ("2024-02-30", "day"),
        ("0000-01-01", "outside 1800..2200"),
        ("2024-03-28 25:00", "impossible time"),
        ("2024-03-28 13 PM", "am/pm"),
        ("2024-03-28 09:00 +2500", "offset"),
    ],
)
def test_parse_date_value_rejects(value, message):
    with pytest.raises(ValueError, match=message):
        parse_date_value(value)


def test_year_window_constants():
    assert (MIN_YEAR, MAX_YEAR) == (1800, 2200)


SEED_EXPECTED = [
    ("000_", _d(2024, 3, 28), "Reflecting"),
    ("001_", _d(2024, 3, 27), "SEOUL"),
    ("002_", _d(2023, 11, 14), "The recent"),
    ("003_", None, "What's happened"),
    ("004_", _d(2024, 3, 25), "Following"),
]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not available")
@pytest.mark.parametrize("prefix,date,body", SEED_EXPECTED)
def test_seeds(prefix, date, body):
    (path,) = SEEDS.glob(f"{prefix}*.txt")
    text = path.read_text(encoding="utf-8")
    header = split_date_header(text)
    assert header.published_date == date
    assert header.published_at is None
    assert header.status == (DATE_MISSING if date is None else DATE_PARSED)
    assert header.date_raw == (None if date is None else date.isoformat())
    assert header.body.startswith(body)
    header_text = "" if date is None else f"date {date.isoformat()}"
    assert header.body == text.lstrip().removeprefix(header_text).lstrip()


_FUZZ_PIECES = [
    "date", "Date:", "Published on", "Updated", " ", "\n", "\ufeff", "2024", "-", "/", ".",
    ":", "03", "28", "13", "99", "0", "T", "Z", "+09:00", "+0900", "GMT", "ET", "AM", "p.m.",
    "Mar", "March", "Thu,", ",", "at", "x", "é", "北", "\t", "(", ")", "12", "1987", "FEB",
]  # fmt: skip


def test_fuzz_never_raises_and_body_is_suffix():
    rng = random.Random(20240328)
    for _ in range(5000):
        text = "".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randint(0, 14)))
        if rng.random() < 0.2:
            text = "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 30)))
        header = split_date_header(text)
        assert header.status in (DATE_PARSED, DATE_MISSING, DATE_INVALID)
        assert text.endswith(header.body)
        assert (header.published_date is not None) == (header.status == DATE_PARSED)
        assert (header.date_raw is None) == (header.status == DATE_MISSING)
        if header.date_raw:
            assert header.date_raw in text
