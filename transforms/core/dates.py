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
  * After leading whitespace and a BOM, the text starts with a label -- ``date``,
    ``dated``, ``published``, ``first published``, ``publication date``,
    ``posted``, ``updated``, ``last updated`` (``on``/``at`` may follow
    ``published``, ``posted`` and ``updated``), in any case, with or without a
    colon. The value may follow on the same
    line (the seeds' inline ``" date 2024-03-28 Body..."``) or on the next line.
  * Without a colon the label counts only if a date-shaped value follows, so prose
    such as ``"Updated guidance ..."`` or ``"Date night ..."`` stays body text.
  * Without a label, only a first non-blank line that is entirely a date counts.
    Dates anywhere else in the body are never headers.
  * Further labelled headers directly after the first one (``Published: ...``
    then ``Updated: ...``) are removed from the body as well, when they parse.
    The reported header is the first one whose label is not ``updated``-like,
    else the first one.

Inline values: the value is the longest prefix that parses as one of the forms
below (date, optional time, optional zone), ending at a word boundary. A time needs
a colon (``9:15``) or am/pm (``9 AM``), and a zone must follow a time, so body text
such as ``"SEOUL (Reuters) - ..."`` or ``"2 killed in ..."`` is never eaten.

Forms (month and weekday names in English, any case, full or 3-4 letter
abbreviations, optional trailing dot; a leading weekday is accepted and ignored):
  * ``2024-03-28``, ``2024/03/28``, ``2024.03.28`` -- year first.
  * ``28.03.2024`` -- dotted is day first.
  * ``03/28/2024``, ``03-28-2024`` -- month first unless the first number is over
    12, then day first (``28/03/2024``).
  * ``28 March 2024``, ``28 Mar. 2024``, ``28th March, 2024``, ``26-FEB-1987``.
  * ``March 28, 2024``, ``Mar 28 2024``, ``March 28th, 2024``.
  * RFC 2822 / HTTP-date (``Thu, 28 Mar 2024 09:15:00 +0900``, ``... GMT``) and
    asctime (``Thu Mar 28 09:15:00 2024``).
  Years have four digits, within ``MIN_YEAR..MAX_YEAR``.

Times follow the date after ``T``, whitespace, a comma and/or ``at``:
``09:15``, ``09:15:00``, fractional seconds (``15:01:01.79``, kept to
microseconds), ``9:15 AM``, ``9 p.m.``. Seconds run 0..59 (no leap second).

Zones: ``Z``, offsets ``+09:00``/``+0900``/``+09``, ``UTC+9``/``GMT-05:00`` and the
upper-case names UT UTC GMT WET EST EDT CST CDT MST MDT PST PDT AKST AKDT HST BST
CET WEST CEST EET EEST MSK IST PKT ICT WIB SGT HKT AWST JST KST ACST AEST AEDT
NZST NZDT (RFC 2822 meanings for the US names, so CST is US Central; IST is India).
``ET``/``CT``/``MT``/``PT`` resolve daylight saving by the US rules (second Sunday
of March to first Sunday of November from 2007, first Sunday of April to last
Sunday of October before). A time without a zone is taken as UTC.

Invalid values: a label followed by a date-shaped value that is impossible
(``2024-02-30``, month 13, year outside the window, hour 25) is ``DATE_INVALID``
with ``date_raw`` the date-shaped text. A label with a colon followed by anything
else is also invalid: ``date_raw`` is the rest of the label's line when that line
is short (at most 40 characters), else its first word plus any directly following
words that contain digits or are month names. A first line that is entirely an
impossible date-shaped value (``2024-02-30``) is invalid too. The body starts after
``date_raw``; leading whitespace and BOMs are always stripped from it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

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
MIN_YEAR, MAX_YEAR = 1800, 2200


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


_HS_CHARS = r" \t\u00a0\u2009\u202f"  # horizontal whitespace: a value stays on one line
_HS = rf"[{_HS_CHARS}]"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_WEEKDAY = (
    r"(?:(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    rf"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?,?{_HS}+)"
)
_ZONE_OFFSETS = {  # minutes east of UTC
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600,
    "BST": 60, "CET": 60, "WEST": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "IST": 330, "PKT": 300, "ICT": 420, "WIB": 420,
    "SGT": 480, "HKT": 480, "AWST": 480, "JST": 540, "KST": 540,
    "ACST": 570, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_US_ZONES = {"ET": -300, "CT": -360, "MT": -420, "PT": -480}  # standard offsets
_ZONE_NAMES = "|".join(sorted((*_ZONE_OFFSETS, *_US_ZONES), key=len, reverse=True))

_TIME = (
    r"(?P<H>\d{1,2})(?::(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?)?"
    rf"(?:{_HS}*(?P<ap>[ap])\.?m\.?(?!\w))?"
    r"(?(M)|(?(ap)|(?!)))"  # a bare number is not a time
)
_ZONE = (
    rf"(?:{_HS}*(?P<z>(?-i:(?:UTC|GMT|UT){_HS}*[+-]\d{{1,2}}(?::?\d{{2}})?(?!\d)"
    rf"|[+-]\d{{2}}(?::?\d{{2}})?(?!\d)|(?:{_ZONE_NAMES})(?!\w))))?"
)
_TIME_TAIL = rf"(?:(?:t|{_HS}*,{_HS}*(?:at{_HS}+)?|{_HS}+(?:at{_HS}+)?){_TIME}{_ZONE})?"
_END = r"(?!\w)"

_DATE_FORMS = (
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})",
    r"(?P<a>\d{1,2})(?P<sep>[-/])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})",
    rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[-{_HS_CHARS}/]+(?P<mon>{_MONTH})\.?"
    rf"[-{_HS_CHARS}/,]+(?P<y>\d{{4}})",
    rf"(?P<mon>{_MONTH})\.?{_HS}+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?{_HS}+(?P<y>\d{{4}})",
)
_FORMS = tuple(
    re.compile(rf"{_WEEKDAY}?{form}{_TIME_TAIL}{_END}", re.IGNORECASE) for form in _DATE_FORMS
) + (
    re.compile(
        rf"{_WEEKDAY}(?P<mon>{_MONTH}){_HS}+(?P<d>\d{{1,2}}){_HS}+{_TIME}{_ZONE}{_HS}+"
        rf"(?P<y>\d{{4}}){_END}",
        re.IGNORECASE,
    ),
)
_OFFSET_RE = re.compile(r"(?:UTC|GMT|UT)?\s*([+-])(\d{1,2}):?(\d{2})?")

_LABEL_RE = re.compile(
    r"(?P<label>dated?|(?:first\s+)?published(?:\s+(?:on|at))?|publication\s+date"
    r"|posted(?:\s+(?:on|at))?|(?:last\s+)?updated(?:\s+(?:on|at))?)"
    r"(?:[ \t]*(?P<colon>:)|(?=\s))",
    re.IGNORECASE,
)
_UPDATE_LABEL_RE = re.compile(r"(?:last\s+)?updated", re.IGNORECASE)
_SPACE_RE = re.compile(r"[\s\ufeff]*")
_WORD_RE = re.compile(r"[^\s]+")
_DATEISH_WORD_RE = re.compile(rf".*\d|{_MONTH}\.?,?$", re.IGNORECASE)
_SHORT_VALUE = 40
_MAX_HEADERS = 4
_UTC = dt.timezone.utc


@dataclass(frozen=True)
class _Header:
    label: str | None
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
    match = _longest_match(text, 0)
    if match is None or match.end() != len(text):
        raise ValueError(f"unrecognised date value: {value!r}")
    return _build(match)


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
        if header.label is None or not _UPDATE_LABEL_RE.match(header.label):
            return header
    return headers[0]


def _read_labelled(text: str, pos: int, parsed_only: bool = False) -> _Header | None:
    label = _LABEL_RE.match(text, pos)
    if label is None:
        return None
    name = " ".join(label.group("label").split())
    value_start = _skip_space(text, label.end())
    match = _longest_match(text, value_start)
    if match is not None:
        header = _header_from_match(name, match)
        return None if parsed_only and header.date is None else header
    if parsed_only or label.group("colon") is None:
        return None
    raw, end = _undecodable_value(text, label.end())
    return _Header(name, raw, None, None, end)


def _read_unlabelled(text: str, pos: int) -> _Header | None:
    match = _longest_match(text, pos)
    if match is None:
        return None
    line_end = text.find("\n", pos)
    line = text[pos:] if line_end < 0 else text[pos:line_end]
    if match.end() - pos != len(line.rstrip()):
        return None
    return _header_from_match(None, match)


def _header_from_match(label: str | None, match: re.Match[str]) -> _Header:
    try:
        date, at = _build(match)
    except (ValueError, OverflowError):
        date, at = None, None
    return _Header(label, match.group(0), date, at, match.end())


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


def _longest_match(text: str, pos: int) -> re.Match[str] | None:
    best = None
    for form in _FORMS:
        match = form.match(text, pos)
        if match is not None and (best is None or match.end() > best.end()):
            best = match
    return best


def _build(match: re.Match[str]) -> tuple[dt.date, dt.datetime | None]:
    groups = match.groupdict()
    date = _date(groups)
    if groups["H"] is None:
        return date, None
    hour, minute, second, micro = _time(groups)
    offset = _offset(groups["z"], date, hour)
    local = dt.datetime(date.year, date.month, date.day, hour, minute, second, micro, tzinfo=_UTC)
    return date, local - dt.timedelta(minutes=offset)


def _date(groups: dict[str, str | None]) -> dt.date:
    year = int(groups["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} outside {MIN_YEAR}..{MAX_YEAR}")
    if groups.get("mon"):
        month = _MONTH_NUMBERS[groups["mon"][:3].lower()]
        day = int(groups["d"])
    elif groups.get("a"):
        first, second = int(groups["a"]), int(groups["b"])
        month, day = (second, first) if first > 12 else (first, second)
    else:
        month, day = int(groups["m"]), int(groups["d"])
    return dt.date(year, month, day)


def _time(groups: dict[str, str | None]) -> tuple[int, int, int, int]:
    hour = int(groups["H"])
    minute = int(groups["M"] or 0)
    second = int(groups["S"] or 0)
    micro = int((groups["F"] or "")[:6].ljust(6, "0"))
    if groups["ap"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} impossible with am/pm")
        hour = hour % 12 + (12 if groups["ap"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"impossible time {hour:02d}:{minute:02d}:{second:02d}")
    return hour, minute, second, micro


def _offset(zone: str | None, date: dt.date, hour: int) -> int:
    """Minutes east of UTC for ``zone`` (None: UTC) at local ``date``/``hour``."""
    if zone is None:
        return 0
    if zone in _ZONE_OFFSETS:
        return _ZONE_OFFSETS[zone]
    if zone in _US_ZONES:
        return _US_ZONES[zone] + (60 if _us_daylight_saving(date, hour) else 0)
    sign, hours, minutes = _OFFSET_RE.fullmatch(zone).groups()
    total = int(hours) * 60 + int(minutes or 0)
    if int(hours) > 23 or int(minutes or 0) > 59:
        raise ValueError(f"impossible zone offset {zone!r}")
    return -total if sign == "-" else total


def _us_daylight_saving(date: dt.date, hour: int) -> bool:
    if date.year >= 2007:
        start, end = _nth_sunday(date.year, 3, 2), _nth_sunday(date.year, 11, 1)
    else:
        start, end = _nth_sunday(date.year, 4, 1), _nth_sunday(date.year, 10, -1)
    if date == start:
        return hour >= 2
    if date == end:
        return hour < 2
    return start < date < end


def _nth_sunday(year: int, month: int, nth: int) -> dt.date:
    """The ``nth`` Sunday of the month; ``nth == -1`` is the last one."""
    if nth > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)
