"""Date headers at the top of raw articles: find, parse and peel off (Beam-free).

``split_date_header`` looks for a date header at the very start of an article and
returns the stated calendar date, the UTC instant (when a time is given), the raw
value and the body without the header. ``parse_date_value`` parses one complete
date value.

Guarantees:
  * Pure and deterministic: no clock, locale or environment is consulted; all
    regexes are compiled at import time.
  * ``split_date_header`` never raises; undecodable values give ``DATE_INVALID``.
  * ``published_date`` is the calendar date as written (local, never shifted to
    UTC); ``published_at`` is timezone-aware UTC and set only when a time is given.

Where a header is recognised:
  * After leading whitespace and a BOM, the text starts with a label, in any case,
    with or without a colon (``:`` or fullwidth ``：``). English: ``date``, ``dated``,
    ``published``, ``first published``, ``publication date``, ``posted``,
    ``updated``, ``last updated`` (``on``/``at`` may follow ``published``, ``posted``
    and ``updated``). Other languages (``date_labels``): ``Datum``,
    ``Veröffentlicht am``, ``Publié le``, ``Mis à jour le``, ``Fecha``,
    ``Publicado el``, ``Pubblicato il``, ``Publicado em``, ``Gepubliceerd op``,
    ``Opublikowano``, ``Дата``, ``Опубликовано``, ``Tarih``, ``Yayın tarihi``,
    ``تاريخ النشر``, ``日期``, ``发布时间``, ``公開日``, ``입력`` and more. The value
    may follow on the same line (the seeds' inline ``" date 2024-03-28 Body..."``)
    or on the next line.
  * Without a colon the label counts only if a date-shaped value follows, so prose
    such as ``"Updated guidance ..."`` or ``"Date night ..."`` stays body text. Labels
    that are also common words (``Data``, ``Stand``, ``时间``) always need one.
  * Without a label, only a first non-blank line that is entirely a date counts.
    Dates anywhere else in the body are never headers.
  * Further labelled headers directly after the first one (``Published: ...``
    then ``Updated: ...``) are removed from the body as well, when they parse.
    The reported header is the first one whose label is not ``updated``-like
    (``Aktualisiert``, ``Mis à jour``, ``更新时间``, ...), else the first one.

Inline values: the value is the longest prefix that parses as one of the forms
below (date, optional time, optional zone), ending at a word boundary. A time needs
a colon (``9:15``), ``h`` (``9h15``), ``時``/``点`` or am/pm (``9 AM``), and a zone must
follow a time, so body text such as ``"SEOUL (Reuters) - ..."`` or ``"2 killed in ..."``
is never eaten.

Forms (``date_forms``). Month and weekday names are CLDR's (``date_names``, generated
by ``tools/generate_date_names.py``: wide and abbreviated, genitive/format and
stand-alone forms) for de fr es it pt nl pl ru uk tr ar (with the Levantine, Iraqi
and Maghreb months) el cs sv da nb ro id hi, weekdays also for zh ja ko, plus the
English spellings; any case, optional trailing dot. A leading weekday (``Donnerstag,``
``jeudi``, ``الخميس،``) is accepted and ignored, as is a trailing one in parentheses
(``(木)``) or before the time or the end of the line (``28 Mart 2024 Perşembe``).
Digits may be any Unicode decimal digits (Arabic-Indic ``٢٨``, fullwidth ``２８``).
  * ``2024-03-28``, ``2024/03/28``, ``2024.03.28`` -- year first.
  * ``28.03.2024`` -- dotted is day first.
  * ``03/28/2024``, ``03-28-2024`` -- after an English label or none: month first
    unless the first number is over 12, then day first (``28/03/2024``). After a
    label of any other language: day first (``Datum: 05/03/2024`` is 5 March).
  * ``28 March 2024``, ``28 Mar. 2024``, ``28th March, 2024``, ``26-FEB-1987``,
    ``28. März 2024``, ``1er avril 2024``, ``28 de marzo de 2024``, ``28 marca 2024 r.``,
    ``28 марта 2024 г.``/``года``, ``٢٨ مارس ٢٠٢٤``.
  * ``March 28, 2024``, ``Mar 28 2024``, ``March 28th, 2024``.
  * ``2024年3月28日``, ``2024년 3월 28일`` (markers from CLDR's long patterns).
  * RFC 2822 / HTTP-date (``Thu, 28 Mar 2024 09:15:00 +0900``, ``... GMT``) and
    asctime (``Thu Mar 28 09:15:00 2024``).
  Years have four digits, within ``MIN_YEAR..MAX_YEAR`` (1800..2200): older or
  later years, and two-digit years, are not dates of news.

Times follow the date after ``T``, whitespace, a comma and/or a connector word
(``at``, ``um``, ``à``, ``a las``, ``alle``, ``às``, ``om``, ``o``, ``в``, ...):
``09:15``, ``09:15:00``, fractional seconds (``15:01:01.79``, kept to
microseconds), ``9:15 AM``, ``9 p.m.``, ``09h15``, ``9時15分``, optional ``Uhr``.
Seconds run 0..59 (no leap second).

Zones (``date_zones``, through ``zoneinfo``): ``Z``, offsets
``+09:00``/``+0900``/``+09``, ``UTC+9``/``GMT-05:00``, fixed upper-case abbreviations
(UT UTC GMT WET WEST EST EDT CST CDT MST MDT PST PDT AKST AKDT HST BST CET CEST MEZ
MESZ EET EEST MSK IST PKT ICT WIB SGT HKT AWST JST KST ACST AEST AEDT NZST NZDT;
RFC 2822 meanings, so CST is US Central; IST is India), the generic ``ET``/``CT``/
``MT``/``PT``/``AKT``/``HT`` and tz database keys (``Europe/Berlin``), whose daylight
saving is the tz database's at the stated local time. A time without a zone is UTC.

Fallback: a label with a colon whose value no form reads (``Fecha: jueves 28 marzo,
24``, ``Published: the 28th of March, 2024``) is given to ``dateparser`` in the
label's language (``date_fallback``: absolute dates with day, month and year only).

Invalid values: a label followed by a date-shaped value that is impossible
(``2024-02-30``, month 13, year outside the window, hour 25) is ``DATE_INVALID``
with ``date_raw`` the date-shaped text. A label with a colon followed by anything
else that the fallback cannot read either is also invalid: ``date_raw`` is the rest
of the label's line when that line is short (at most 40 characters), else its first
word plus any directly following words that contain digits or are month names. A
first line that is entirely an impossible date-shaped value (``2024-02-30``) is
invalid too. The body starts after ``date_raw``; leading whitespace and BOMs are
always stripped from it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from newsingest.transforms.core.date_fallback import parse_with_dateparser
from newsingest.transforms.core.date_forms import (
    MAX_YEAR,
    MIN_YEAR,
    MONTH_WORD,
    build,
    first_letters,
    match_value,
    name_key,
    trie_pattern,
)
from newsingest.transforms.core.date_labels import LABELS, UPDATED, VALUE_REQUIRED

__all__ = [
    "DATE_PARSED",
    "DATE_MISSING",
    "DATE_INVALID",
    "MIN_YEAR",
    "MAX_YEAR",
    "DateHeader",
    "split_date_header",
    "parse_date_value",
]

DATE_PARSED, DATE_MISSING, DATE_INVALID = "parsed", "missing", "invalid"


@dataclass(frozen=True)
class DateHeader:
    """The date header of one article and the text that follows it.

    Attributes:
        published_date: Calendar date as stated in the header (local, not UTC);
            None unless ``status`` is ``DATE_PARSED``.
        published_at: Timezone-aware UTC instant when the header gives a time,
            else None.
        date_raw: The header's value exactly as written; None when no header.
        status: ``DATE_PARSED``, ``DATE_MISSING`` or ``DATE_INVALID``.
        body: The text with the header removed, leading whitespace stripped.
    """

    published_date: dt.date | None
    published_at: dt.datetime | None
    date_raw: str | None
    status: str
    body: str


_LABEL_KINDS = dict(LABELS) | {key.replace("\u0131", "i"): value for key, value in LABELS.items()}
_LABEL_WORDS = trie_pattern(sorted(LABELS))
_LABEL_RE = re.compile(
    rf"(?P<label>{_LABEL_WORDS})(?:[ \t]*(?P<colon>[:：])|(?=\s))", re.IGNORECASE
)
_LABEL_INITIALS = first_letters(_LABEL_KINDS)
_SPACE_RE = re.compile(r"[\s\ufeff]*")
_WORD_RE = re.compile(r"[^\s]+")
_DATEISH_WORD_RE = re.compile(rf".*\d|(?:{MONTH_WORD})\.?,?$", re.IGNORECASE)
_SHORT_VALUE = 40
_MAX_HEADERS = 4


@dataclass(frozen=True)
class _Header:
    label: str | None
    updated: bool
    raw: str
    date: dt.date | None
    at: dt.datetime | None
    end: int


def parse_date_value(value: str) -> tuple[dt.date, dt.datetime | None]:
    """Parse one complete date value in any supported form.

    Args:
        value: The value alone, e.g. ``"Thu, 28 Mar 2024 09:15:00 +0900"``;
            surrounding whitespace is ignored.

    Returns:
        ``(date, instant)``: the calendar date as written and, when a time is
        given, the timezone-aware UTC instant, else None.

    Raises:
        ValueError: The value is not entirely one supported form, or names an
            impossible date, time or zone offset, or a year outside
            ``MIN_YEAR..MAX_YEAR``.
    """
    text = value.strip()
    found = match_value(text, 0)
    if found is None or found[0] != len(text):
        raise ValueError(f"unrecognised date value: {value!r}")
    return build(found[1])


def split_date_header(text: str) -> DateHeader:
    """Split a raw article into its date header and body; never raises.

    Args:
        text: The raw article text.

    Returns:
        A ``DateHeader``. ``DATE_MISSING``: no header, ``body`` is ``text`` without
        leading whitespace/BOM. ``DATE_INVALID``: a header whose value does not
        parse; ``date_raw`` holds it and the dates are None. ``DATE_PARSED``: both
        dates as documented on ``DateHeader``.
    """
    start = _skip_space(text, 0)
    headers = []
    header = _read_labelled(text, start) or _read_unlabelled(text, start)
    while header is not None:
        headers.append(header)
        if header.date is None or len(headers) == _MAX_HEADERS:
            break
        header = _read_labelled(text, _skip_space(text, header.end), parsed_only=True)
    if not headers:
        return DateHeader(None, None, None, DATE_MISSING, text[start:])
    chosen = _primary(headers)
    body = text[_skip_space(text, headers[-1].end) :]
    status = DATE_INVALID if chosen.date is None else DATE_PARSED
    return DateHeader(chosen.date, chosen.at, chosen.raw, status, body)


def _skip_space(text: str, pos: int) -> int:
    return _SPACE_RE.match(text, pos).end()


def _primary(headers: list[_Header]) -> _Header:
    for header in headers:
        if not header.updated:
            return header
    return headers[0]


def _read_labelled(text: str, pos: int, parsed_only: bool = False) -> _Header | None:
    if pos >= len(text) or text[pos].lower() not in _LABEL_INITIALS:
        return None
    label = _LABEL_RE.match(text, pos)
    if label is None:
        return None
    name = " ".join(label.group("label").split())
    languages, kind = _LABEL_KINDS[name_key(name)]
    updated = kind == UPDATED
    value_start = _skip_space(text, label.end())
    found = match_value(text, value_start)
    if found is not None:
        header = _header(text, value_start, found, name, updated, languages[0] != "en")
        return None if parsed_only and header.date is None else header
    if label.group("colon") is None or name_key(name) in VALUE_REQUIRED:
        return None
    raw, end = _undecodable_value(text, label.end())
    parsed = parse_with_dateparser(raw, languages) if raw else None
    if parsed is not None:
        return _Header(name, updated, raw, parsed[0], parsed[1], end)
    return None if parsed_only else _Header(name, updated, raw, None, None, end)


def _read_unlabelled(text: str, pos: int) -> _Header | None:
    found = match_value(text, pos)
    if found is None:
        return None
    line_end = text.find("\n", pos)
    line = text[pos:] if line_end < 0 else text[pos:line_end]
    if found[0] - pos != len(line.rstrip()):
        return None
    return _header(text, pos, found, None, False, day_first=False)


def _header(
    text: str,
    start: int,
    found: tuple[int, re.Match[str]],
    label: str | None,
    updated: bool,
    day_first: bool,
) -> _Header:
    end, match = found
    try:
        date, at = build(match, day_first)
    except (ValueError, OverflowError):
        date, at = None, None
    return _Header(label, updated, text[start:end], date, at, end)


def _undecodable_value(text: str, pos: int) -> tuple[str, int]:
    """Return the raw value after a colon label that matched no form, and its end."""
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    line = text[pos:line_end]
    if len(line.strip()) <= _SHORT_VALUE:
        return line.strip(), line_end
    words = list(_WORD_RE.finditer(text, pos, line_end))
    end = words[0].end()
    for word in words[1:]:
        if not _DATEISH_WORD_RE.match(word.group(0)):
            break
        end = word.end()
    start = words[0].start()
    return text[start:end], end
