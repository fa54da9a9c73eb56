"""Date headers in the languages of the news: one parametrized table per language.

Every row is a whole article start (label, value, body) and the expected calendar date,
UTC instant and raw value. ``FAST`` rows must be read by the regex fast path (the
dateparser fallback is disabled for them); ``FALLBACK`` rows need dateparser.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsingest.transforms.core import date_fallback, date_zones, dates
from newsingest.transforms.core.date_forms import MONTH_NUMBERS, name_key
from newsingest.transforms.core.date_labels import LABELS
from newsingest.transforms.core.date_names import MONTHS_BY_LANGUAGE, WEEKDAYS_BY_LANGUAGE
from newsingest.transforms.core.dates import (
    DATE_INVALID,
    DATE_MISSING,
    DATE_PARSED,
    parse_date_value,
    split_date_header,
)

ROOT = Path(__file__).resolve().parents[3]
D = dt.date(2024, 3, 28)


def _utc(hour, minute, day=28, month=3):
    return dt.datetime(2024, month, day, hour, minute, tzinfo=dt.timezone.utc)


# language -> [(article start, date, instant, date_raw)]
# fmt: off
FAST = {
    "de": [
        ("Datum: 28. März 2024", D, None, "28. März 2024"),
        ("Veröffentlicht am 28.03.2024 um 09:15 Uhr", D, _utc(9, 15), "28.03.2024 um 09:15 Uhr"),
        ("Donnerstag, 28. März 2024, 09:15 Uhr MEZ", D, _utc(8, 15),
         "Donnerstag, 28. März 2024, 09:15 Uhr MEZ"),
        ("Stand: 28.03.2024 10:00 MESZ", D, _utc(8, 0), "28.03.2024 10:00 MESZ"),
        ("Aktualisiert am 28. Mär. 2024", D, None, "28. Mär. 2024"),
        ("Erschienen am 5. Dezember 2023", dt.date(2023, 12, 5), None, "5. Dezember 2023"),
        ("Datum: 05/03/2024", dt.date(2024, 3, 5), None, "05/03/2024"),
        ("28. Jänner 2024", dt.date(2024, 1, 28), None, "28. Jänner 2024"),
    ],
    "fr": [
        ("Publié le 28 mars 2024 à 09h15", D, _utc(9, 15), "28 mars 2024 à 09h15"),
        ("Date : jeudi 28 mars 2024", D, None, "jeudi 28 mars 2024"),
        ("Mis à jour le 1er avril 2024", dt.date(2024, 4, 1), None, "1er avril 2024"),
        ("Publié le 28 févr. 2024", dt.date(2024, 2, 28), None, "28 févr. 2024"),
        ("28 AOÛT 2024", dt.date(2024, 8, 28), None, "28 AOÛT 2024"),
        ("Date de publication : 28/03/2024 09:15", D, _utc(9, 15), "28/03/2024 09:15"),
    ],
    "es": [
        ("Fecha: 28 de marzo de 2024", D, None, "28 de marzo de 2024"),
        ("Publicado el jueves, 28 de marzo de 2024 a las 09:15", D, _utc(9, 15),
         "jueves, 28 de marzo de 2024 a las 09:15"),
        ("Actualizado: 28 mar 2024 10:00 CET", D, _utc(9, 0), "28 mar 2024 10:00 CET"),
        ("Fecha: 05/03/2024", dt.date(2024, 3, 5), None, "05/03/2024"),
        ("28 de sept. de 2024", dt.date(2024, 9, 28), None, "28 de sept. de 2024"),
    ],
    "it": [
        ("Pubblicato il 28 marzo 2024 alle 09:15", D, _utc(9, 15), "28 marzo 2024 alle 09:15"),
        ("Data: giovedì 28 marzo 2024", D, None, "giovedì 28 marzo 2024"),
        ("Aggiornato il 28 mag 2024", dt.date(2024, 5, 28), None, "28 mag 2024"),
        ("Data di pubblicazione: 28/03/2024", D, None, "28/03/2024"),
    ],
    "pt": [
        ("Publicado em 28 de março de 2024 às 09h15", D, _utc(9, 15),
         "28 de março de 2024 às 09h15"),
        ("Data: quinta-feira, 28 de março de 2024", D, None, "quinta-feira, 28 de março de 2024"),
        ("Atualizado em 28 out. 2024", dt.date(2024, 10, 28), None, "28 out. 2024"),
        ("Data: 03/04/2024", dt.date(2024, 4, 3), None, "03/04/2024"),
    ],
    "nl": [
        ("Gepubliceerd op 28 maart 2024 om 09:15", D, _utc(9, 15), "28 maart 2024 om 09:15"),
        ("Datum publicatie: 28-03-2024", D, None, "28-03-2024"),
        ("Bijgewerkt: donderdag 28 mrt 2024", D, None, "donderdag 28 mrt 2024"),
        ("28 mei 2024", dt.date(2024, 5, 28), None, "28 mei 2024"),
    ],
    "pl": [
        ("Opublikowano: 28 marca 2024 r., 09:15", D, _utc(9, 15), "28 marca 2024 r., 09:15"),
        ("Data publikacji: czwartek, 28 marca 2024", D, None, "czwartek, 28 marca 2024"),
        ("Aktualizacja: 28.03.2024 o 09:15", D, _utc(9, 15), "28.03.2024 o 09:15"),
        ("28 października 2024", dt.date(2024, 10, 28), None, "28 października 2024"),
        ("28 paź 2024", dt.date(2024, 10, 28), None, "28 paź 2024"),
    ],
    "ru": [
        ("Дата: 28 марта 2024", D, None, "28 марта 2024"),
        ("Опубликовано 28 марта 2024 года в 09:15", D, _utc(9, 15),
         "28 марта 2024 года в 09:15"),
        ("28 марта 2024 г.", D, None, "28 марта 2024 г."),
        ("Обновлено: 28.03.2024 12:15 MSK", D, _utc(9, 15), "28.03.2024 12:15 MSK"),
        ("четверг, 28 мар. 2024", D, None, "четверг, 28 мар. 2024"),
    ],
    "uk": [
        ("Опубліковано 28 березня 2024 р.", D, None, "28 березня 2024 р."),
    ],
    "tr": [
        ("Tarih: 28 Mart 2024", D, None, "28 Mart 2024"),
        ("Yayınlanma: 28 Mart 2024 Perşembe 09:15", D, _utc(9, 15),
         "28 Mart 2024 Perşembe 09:15"),
        ("28 MAYIS 2024", dt.date(2024, 5, 28), None, "28 MAYIS 2024"),
        ("Güncelleme: 28 Eki 2024", dt.date(2024, 10, 28), None, "28 Eki 2024"),
        ("28 Ağustos 2024", dt.date(2024, 8, 28), None, "28 Ağustos 2024"),
        ("YAYINLANMA: 28 EKİM 2024", dt.date(2024, 10, 28), None, "28 EKİM 2024"),
        ("TARİH: 28 ŞUBAT 2024", dt.date(2024, 2, 28), None, "28 ŞUBAT 2024"),
    ],
    "ar": [
        ("تاريخ النشر: 28 مارس 2024", D, None, "28 مارس 2024"),
        ("نشر في الخميس، 28 آذار 2024", D, None, "الخميس، 28 آذار 2024"),
        ("٢٨ مارس ٢٠٢٤", D, None, "٢٨ مارس ٢٠٢٤"),
        ("التاريخ: 28 كانون الثاني 2024", dt.date(2024, 1, 28), None, "28 كانون الثاني 2024"),
        ("28 جانفي 2024", dt.date(2024, 1, 28), None, "28 جانفي 2024"),
        ("آخر تحديث: ٢٨ مارس ٢٠٢٤ ٠٩:١٥", D, _utc(9, 15), "٢٨ مارس ٢٠٢٤ ٠٩:١٥"),
    ],
    "el": [
        ("Ημερομηνία: 28 Μαρτίου 2024", D, None, "28 Μαρτίου 2024"),
        ("28 ΜΑΡΤΊΟΥ 2024", D, None, "28 ΜΑΡΤΊΟΥ 2024"),
    ],
    "hi": [
        ("28 मार्च 2024", D, None, "28 मार्च 2024"),
    ],
    "zh": [
        ("2024年3月28日", D, None, "2024年3月28日"),
        ("发布时间：2024年03月28日 09:15", D, _utc(9, 15), "2024年03月28日 09:15"),
        ("日期：２０２４年３月２８日", D, None, "２０２４年３月２８日"),
        ("发布时间：2024-03-28 09:15", D, _utc(9, 15), "2024-03-28 09:15"),
        ("2024年3月28日 星期四 09:15", D, _utc(9, 15), "2024年3月28日 星期四 09:15"),
        ("更新時間：2024年3月28日 9点15分", D, _utc(9, 15), "2024年3月28日 9点15分"),
    ],
    "ja": [
        ("公開日：2024年3月28日(木) 9:15", D, _utc(9, 15), "2024年3月28日(木) 9:15"),
        ("2024年3月28日 9時15分 JST", D, _utc(0, 15), "2024年3月28日 9時15分 JST"),
    ],
    "ko": [
        ("2024년 3월 28일", D, None, "2024년 3월 28일"),
        ("입력 2024.03.28 09:15", D, _utc(9, 15), "2024.03.28 09:15"),
    ],
    "en": [
        ("Published: March 28, 2024 10:00 Europe/London", D, _utc(10, 0),
         "March 28, 2024 10:00 Europe/London"),
        ("date 2024-07-01 10:00 America/New_York", dt.date(2024, 7, 1),
         _utc(14, 0, day=1, month=7), "2024-07-01 10:00 America/New_York"),
    ],
}
# Values the fast path cannot read, read by dateparser in the label's language.
FALLBACK = [
    ("Fecha: jueves 28 marzo, 24", D, None, "jueves 28 marzo, 24"),
    ("Datum: 28 März 24", D, None, "28 März 24"),
    ("Published: the 28th of March, 2024", D, None, "the 28th of March, 2024"),
    ("Date : le 28 mars 2024", D, None, "le 28 mars 2024"),
]
# (article start, date_raw, body start): what follows the date stays body text.
INLINE = [
    ("date 2024-03-28 Sunday 5 people died", "2024-03-28", "Sunday 5 people"),
    ("date 28 March 2024 Monday's vote", "28 March 2024", "Monday's vote"),
    ("Datum: 28. März 2024 Heute tagte der Rat", "28. März 2024", "Heute tagte"),
    ("date 2024-03-28 o 5 people", "2024-03-28", "o 5 people"),
]
# Starts that must not become a header.
NOT_HEADERS = [
    "Data: 45% of respondents said yes",
    "Stand: the committee did not move",
    "Datum der Wahl ist noch offen",
    "Fecha límite para inscribirse",
    "时间不早了",
    "Aktualisiert wird die Liste morgen",
]
# fmt: on

_ROWS = [(lang, *row) for lang, rows in FAST.items() for row in rows]


@pytest.fixture
def no_fallback(monkeypatch):
    """Make the dateparser fallback unusable, so a row passing proves the fast path."""

    def refuse(value, languages):
        raise AssertionError(f"fallback called for {value!r} ({languages})")

    monkeypatch.setattr(dates, "parse_with_dateparser", refuse)


@pytest.mark.parametrize("language,start,date,at,raw", _ROWS, ids=[r[0] for r in _ROWS])
def test_fast_path_per_language(no_fallback, language, start, date, at, raw):
    header = split_date_header(f"{start}\nBody of the article.")
    assert (header.status, header.published_date, header.published_at, header.date_raw) == (
        DATE_PARSED,
        date,
        at,
        raw,
    )
    assert header.body == "Body of the article."


# Alone, a slash date is read month first (no label says which language it is in).
_UNAMBIGUOUS = [row for row in _ROWS if not re.search(r"\d/\d", row[4])]


@pytest.mark.parametrize(
    "language,start,date,at,raw", _UNAMBIGUOUS, ids=[r[0] for r in _UNAMBIGUOUS]
)
def test_value_alone_parses(language, start, date, at, raw):
    assert parse_date_value(raw) == (date, at)


def test_slash_dates_alone_are_month_first():
    assert parse_date_value("05/03/2024") == (dt.date(2024, 5, 3), None)
    assert parse_date_value("28/03/2024") == (D, None)


@pytest.mark.parametrize("start,date,at,raw", FALLBACK)
def test_dateparser_fallback(start, date, at, raw):
    header = split_date_header(f"{start}\nBody of the article.")
    assert (header.status, header.published_date, header.published_at, header.date_raw) == (
        DATE_PARSED,
        date,
        at,
        raw,
    )
    assert header.body == "Body of the article."


@pytest.mark.parametrize("text,raw,body", INLINE)
def test_inline_values_leave_the_body_alone(text, raw, body):
    header = split_date_header(text)
    assert (header.status, header.date_raw) == (DATE_PARSED, raw)
    assert header.body.startswith(body)


@pytest.mark.parametrize("start", NOT_HEADERS)
def test_words_that_look_like_labels_stay_body(start):
    text = f"{start}\nMore text."
    assert split_date_header(text).status == DATE_MISSING


@pytest.mark.parametrize(
    "start",
    [
        "Fecha: ayer",
        "Datum: gestern",
        "Дата: вчера",
        "Fecha: hace 2 horas",
        "Datum: 31. Februar 2024",
        "Fecha: 28 de marzo de 1750",
    ],
)
def test_relative_or_impossible_values_stay_invalid(start):
    header = split_date_header(f"{start}\nBody")
    assert header.status == DATE_INVALID and header.published_date is None


def test_fallback_rejects_relative_and_partial_dates():
    for value, language in [("yesterday", "en"), ("ayer", "es"), ("March 2024", "en"),
                            ("vor 2 Stunden", "de"), ("28 марта", "ru")]:  # fmt: skip
        assert date_fallback.parse_with_dateparser(value, (language,)) is None


def test_every_language_has_twelve_months_and_seven_weekdays():
    for language, names in MONTHS_BY_LANGUAGE.items():
        assert set(names.values()) == set(range(1, 13)), language
        for name, number in names.items():
            assert MONTH_NUMBERS[name_key(name)] == number
    for language, names in WEEKDAYS_BY_LANGUAGE.items():
        assert len(names) >= 7, language


def test_labels_cover_the_languages_of_the_issue():
    languages = {language for names, _ in LABELS.values() for language in names}
    assert {"de", "fr", "es", "it", "pt", "nl", "pl", "ru", "tr", "ar", "zh", "ja"} <= languages


def test_generated_name_table_is_current():
    pytest.importorskip("babel")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_date_names.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- zones


def test_fixed_abbreviations_match_rfc_2822_and_the_tz_database():
    expected = {"UT": 0, "GMT": 0, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
                "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "CET": 60, "CEST": 120,
                "IST": 330, "JST": 540, "MSK": 180, "AEDT": 660, "NZDT": 780}  # fmt: skip
    assert {k: date_zones.FIXED_ZONES[k] for k in expected} == expected


@pytest.mark.parametrize(
    "value,at",
    [
        ("2024-03-10 01:59 ET", dt.datetime(2024, 3, 10, 6, 59, tzinfo=dt.timezone.utc)),
        ("2024-03-10 03:00 ET", dt.datetime(2024, 3, 10, 7, 0, tzinfo=dt.timezone.utc)),
        ("2024-11-03 01:30 ET", dt.datetime(2024, 11, 3, 5, 30, tzinfo=dt.timezone.utc)),
        ("2024-11-03 02:00 ET", dt.datetime(2024, 11, 3, 7, 0, tzinfo=dt.timezone.utc)),
        ("2006-04-02 03:00 PT", dt.datetime(2006, 4, 2, 10, 0, tzinfo=dt.timezone.utc)),
        ("2006-10-29 03:00 PT", dt.datetime(2006, 10, 29, 11, 0, tzinfo=dt.timezone.utc)),
        ("2024-07-01 12:00 Europe/Berlin", dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.timezone.utc)),
        ("2024-01-01 12:00 Asia/Kolkata", dt.datetime(2024, 1, 1, 6, 30, tzinfo=dt.timezone.utc)),
    ],
)
def test_generic_zones_follow_the_tz_database(value, at):
    assert parse_date_value(value)[1] == at


def test_unknown_tz_database_key_is_invalid():
    header = split_date_header("Date: 2024-03-28 10:00 Europe/Atlantis\nBody")
    assert header.status == DATE_INVALID


# --------------------------------------------------------------------------- fuzz

_PIECES = [
    "Datum:", "Fecha:", "Publié le", "Дата:", "Tarih:", "发布时间：", "公開日：", "تاريخ:",
    " ", "\n", "28", "28.", "03", "2024", "٢٠٢٤", "２０２４", "年", "月", "日", "de", "März",
    "marzo", "марта", "Mart", "مارس", "(木)", "09:15", "9h15", "Uhr", "à", "г.", ",", "/",
    "-", "MEZ", "Europe/Berlin", "x", "24",
]  # fmt: skip


def test_multilingual_fuzz_never_raises_and_body_is_suffix():
    rng = random.Random(20240328)
    for _ in range(2000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        header = split_date_header(text)
        assert text.endswith(header.body)
        assert (header.published_date is not None) == (header.status == DATE_PARSED)
        if header.date_raw:
            assert header.date_raw in text
