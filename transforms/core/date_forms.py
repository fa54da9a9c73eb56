"""The date value forms of ``dates``: regexes built once at import, and their reading.

Month and weekday names come from CLDR (``date_names``, generated) plus the English
spellings the parser always accepted; labels and connector words from ``date_labels``.
Names are compiled into prefix tries, so a value costs about the same whichever of the
~20 languages it is written in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from newsingest.transforms.core.date_labels import TIME_CONNECTORS, YEAR_WORDS
from newsingest.transforms.core.date_names import (
    CJK_DATE_MARKERS,
    MONTHS_BY_LANGUAGE,
    WEEKDAYS_BY_LANGUAGE,
    YEAR_SUFFIXES,
)
from newsingest.transforms.core.date_zones import (
    FIXED_ZONES,
    GENERIC_ZONES,
    IANA_ZONE_PATTERN,
    zone_offset_minutes,
)

__all__ = [
    "MIN_YEAR",
    "MAX_YEAR",
    "MONTH_WORD",
    "build",
    "first_letters",
    "match_value",
    "name_key",
    "trie_pattern",
]

MIN_YEAR, MAX_YEAR = 1800, 2200
_UTC = dt.timezone.utc

_ENGLISH_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_ENGLISH_WEEKDAYS = (
    "monday", "mon", "tuesday", "tues", "tue", "wednesday", "wed", "thursday", "thurs",
    "thur", "thu", "friday", "fri", "saturday", "sat", "sunday", "sun",
)  # fmt: skip


def name_key(name: str) -> str:
    """Lookup form of a month or weekday name (as in ``tools/generate_date_names.py``)."""
    key = unicodedata.normalize("NFC", name.casefold().replace("\u0307", ""))
    return " ".join(key.rstrip(".\u0970").split())


def _month_table() -> dict[str, int]:
    table = dict(_ENGLISH_MONTHS)
    for names in MONTHS_BY_LANGUAGE.values():
        table.update(names)
    # Upper-case Turkish "MAYIS" casefolds to "mayis": accept the dotless-i spelling too.
    for key, number in list(table.items()):
        table.setdefault(key.replace("\u0131", "i"), number)
    return table


def trie_pattern(words) -> str:
    """A regex alternation of ``words`` as a prefix trie (longest alternative first).

    Spaces inside a word match any run of horizontal whitespace.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = []
        for char in sorted((c for c in node if c), key=lambda c: (-_depth(node[c]), c)):
            piece = _HS + "+" if char == " " else re.escape(char)
            branches.append(piece + render(node[char]))
        if not branches:
            return ""
        optional = "" in node
        body = branches[0] if len(branches) == 1 and not optional else "|".join(branches)
        if len(branches) == 1 and not optional:
            return body
        return f"(?:{body}){'?' if optional else ''}"

    return render(trie)


def first_letters(words) -> frozenset[str]:
    """Lower-case and upper-case-lowered first characters of ``words`` (for set tests)."""
    letters = set()
    for word in words:
        letters.update({word[0].lower(), word[0].upper().lower()})
    return frozenset(letters)


def _depth(node: dict) -> int:
    return 1 + max((_depth(child) for child in node.values()), default=0)


MONTH_NUMBERS = _month_table()
_WEEKDAY_NAMES = sorted(
    {*_ENGLISH_WEEKDAYS, *(n for names in WEEKDAYS_BY_LANGUAGE.values() for n in names)}
)

_HS_CHARS = " \t\u00a0\u2009\u202f\u3000"  # horizontal whitespace: a value stays on one line
_HS = f"[{_HS_CHARS}]"
MONTH_WORD = trie_pattern(sorted(MONTH_NUMBERS))
_WEEKDAY_WORD = trie_pattern(_WEEKDAY_NAMES)
_WEEKDAY = rf"(?:{_WEEKDAY_WORD}\.?[,،]?{_HS}+)"
# A weekday after the date: in parentheses, or followed by the end of the line or a
# time ("28 Mart 2024 Perşembe 09:15"), so body text such as "Sunday 5 people ..." stays.
_TRAILING_WEEKDAY = (
    rf"(?:{_HS}*[(（]{_WEEKDAY_WORD}\.?[)）]"
    rf"|,?{_HS}+{_WEEKDAY_WORD}(?!\w)"
    rf"(?={_HS}*(?:\n|\Z)|[{_HS_CHARS},]+\d{{1,2}}[:：h時时点]\d))?"
)
_YEAR_TAIL = rf"(?:{_HS}*{trie_pattern(sorted({*YEAR_SUFFIXES, *YEAR_WORDS}))}(?!\w))?"

_ZONE_NAMES = trie_pattern(sorted(n for n in (*FIXED_ZONES, *GENERIC_ZONES) if n != "Z"))
_TIME = (
    r"(?P<H>\d{1,2})(?:(?:[:：]|h(?=\d\d)|[時时点](?=\d))(?P<M>\d{2})分?"
    r"(?:[:：](?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?)?"
    rf"(?:{_HS}*(?P<ap>[ap])\.?m\.?(?!\w))?"
    r"(?(M)|(?(ap)|(?!)))"  # a bare number is not a time
    rf"(?:{_HS}*(?:Uhr|h)(?!\w))?"
)
_ZONE = (
    rf"(?:{_HS}*(?P<z>(?-i:(?:UTC|GMT|UT){_HS}*[+-]\d{{1,2}}(?::?\d{{2}})?(?!\d)"
    rf"|[+-]\d{{2}}(?::?\d{{2}})?(?!\d)|Z(?!\w)|(?:{_ZONE_NAMES})(?!\w)"
    rf"|{IANA_ZONE_PATTERN}(?![\w/]))))?"
)
_CONNECTOR = trie_pattern(TIME_CONNECTORS)
_TIME_TAIL = (
    rf"(?:(?:t|{_HS}*[,،]{_HS}*(?:{_CONNECTOR}{_HS}+)?|{_HS}+(?:{_CONNECTOR}{_HS}+)?"
    rf"|{_HS}+[-|]{_HS}+){_TIME}{_ZONE})?"
)
_END = r"(?!\w)"
_ORDINAL = r"(?:st|nd|rd|th|er|º|ª)?\.?"
_CJK_FORMS = tuple(
    rf"(?P<y>\d{{4}}){_HS}*{re.escape(y)}{_HS}*(?P<m>\d{{1,2}}){_HS}*{re.escape(m)}"
    rf"{_HS}*(?P<d>\d{{1,2}}){_HS}*{re.escape(d)}"
    for y, m, d in CJK_DATE_MARKERS
)
_DATE_FORMS = (
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})",
    r"(?P<a>\d{1,2})(?P<sep>[-/])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})",
    rf"(?P<d>\d{{1,2}}){_ORDINAL}[-{_HS_CHARS}/]+(?:de{_HS}+)?(?P<mon>{MONTH_WORD})\.?"
    rf"[-{_HS_CHARS}/,،]+(?:de{_HS}+)?(?P<y>\d{{4}})",
    rf"(?P<mon>{MONTH_WORD})\.?{_HS}+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?{_HS}+(?P<y>\d{{4}})",
    *_CJK_FORMS,
)
_DIGIT_FORMS = tuple(
    re.compile(rf"{form}{_YEAR_TAIL}{_TRAILING_WEEKDAY}{_TIME_TAIL}{_END}", re.IGNORECASE)
    for form in _DATE_FORMS
    if not form.startswith("(?P<mon>")
)
_MONTH_FIRST_FORM = re.compile(
    rf"{_DATE_FORMS[4]}{_YEAR_TAIL}{_TRAILING_WEEKDAY}{_TIME_TAIL}{_END}", re.IGNORECASE
)
_ASCTIME_FORM = re.compile(  # after a weekday only: "Thu Mar 28 09:15:00 2024"
    rf"(?P<mon>{MONTH_WORD}){_HS}+(?P<d>\d{{1,2}}){_HS}+{_TIME}{_ZONE}{_HS}+(?P<y>\d{{4}}){_END}",
    re.IGNORECASE,
)
_LEADING_WEEKDAY = re.compile(_WEEKDAY, re.IGNORECASE)
# First letters (lower case) a weekday or month name can start with: a cheap set test
# spares the big name tries at the start of ordinary prose.
_WEEKDAY_INITIALS = first_letters(_WEEKDAY_NAMES)
_MONTH_INITIALS = first_letters(MONTH_NUMBERS)
_CJK_FORM_COUNT = len(_CJK_FORMS)


def match_value(text: str, pos: int) -> tuple[int, re.Match[str]] | None:
    """The longest date value starting at ``pos``: ``(end, match)``, or None.

    A leading weekday (not before a CJK form) is matched once and skipped; the value
    is ``text[pos:end]``. Forms are picked by their first character, so a position
    that starts no date costs two or three failed regex matches.
    """
    best: re.Match[str] | None = None
    if pos >= len(text):
        return None
    first = text[pos]
    weekday = None
    if first.lower() in _WEEKDAY_INITIALS:
        weekday = _LEADING_WEEKDAY.match(text, pos)
    starts = (pos,) if weekday is None else (pos, weekday.end())
    for start in starts:
        if start >= len(text):
            continue
        if text[start].isdecimal():
            forms = _DIGIT_FORMS if start == pos else _DIGIT_FORMS[: -_CJK_FORM_COUNT or None]
        elif start != pos:
            forms = (_MONTH_FIRST_FORM, _ASCTIME_FORM)
        elif first.lower() in _MONTH_INITIALS:
            forms = (_MONTH_FIRST_FORM,)
        else:
            continue
        for form in forms:
            match = form.match(text, start)
            if match is not None and (best is None or match.end() > best.end()):
                best = match
    return None if best is None else (best.end(), best)


_OFFSET_RE = re.compile(r"(?:UTC|GMT|UT)?\s*([+-])(\d{1,2}):?(\d{2})?")


def build(match: re.Match[str], day_first: bool = False) -> tuple[dt.date, dt.datetime | None]:
    """The calendar date and (when a time is given) UTC instant of a ``match_value`` match.

    ``day_first`` reads an ambiguous ``05/03/2024`` as 5 March (else May 3).

    Raises:
        ValueError: impossible date, time or offset, unknown zone, or a year outside
            ``MIN_YEAR..MAX_YEAR``.
    """
    groups = match.groupdict()
    date = _date(groups, day_first)
    if groups["H"] is None:
        return date, None
    hour, minute, second, micro = _time(groups)
    local = dt.datetime(date.year, date.month, date.day, hour, minute, second, micro)
    offset = _offset(groups["z"], local)
    return date, local.replace(tzinfo=_UTC) - dt.timedelta(minutes=offset)


def _date(groups: dict[str, str | None], day_first: bool) -> dt.date:
    year = int(groups["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} outside {MIN_YEAR}..{MAX_YEAR}")
    if groups.get("mon"):
        month = MONTH_NUMBERS[name_key(groups["mon"])]
        day = int(groups["d"])
    elif groups.get("a"):
        first, second = int(groups["a"]), int(groups["b"])
        month, day = (second, first) if day_first or first > 12 else (first, second)
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


def _offset(zone: str | None, local: dt.datetime) -> int:
    """Minutes east of UTC for ``zone`` (None: UTC) at naive ``local`` time."""
    if zone is None:
        return 0
    offset = _OFFSET_RE.fullmatch(zone)
    if offset is None:
        return zone_offset_minutes(zone, local)
    sign, hours, minutes = offset.groups()
    if int(hours) > 23 or int(minutes or 0) > 59:
        raise ValueError(f"impossible zone offset {zone!r}")
    total = int(hours) * 60 + int(minutes or 0)
    return -total if sign == "-" else total
