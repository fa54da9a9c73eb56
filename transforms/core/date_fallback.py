"""``dateparser`` as the fallback for labelled date values the fast path cannot read.

Only ``dates.split_date_header`` calls it, for a value after a label with a colon
(``Fecha: jueves 28 marzo, 24``) that no fast form matches. It is slow (see
``bench/dates.py``), so it is imported on first use and never sees unlabelled text.

Guarantees:
  * Deterministic: only absolute dates are read (no "yesterday", "2 hours ago", no
    clock), the day, month and year must all be written, only the label's languages
    are tried (``date``: English then French), the zone defaults to UTC and
    no local time zone is consulted.
  * The year window of the fast path applies (``MIN_YEAR..MAX_YEAR``).
  * Never raises on bad input: returns None.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from newsingest.transforms.core.date_forms import MAX_YEAR, MIN_YEAR

__all__ = ["parse_with_dateparser"]

_SETTINGS = {
    "PARSERS": ["absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    "STRICT_PARSING": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "RELATIVE_BASE": dt.datetime(2000, 1, 1),
    "PREFER_LOCALE_DATE_ORDER": True,
}
_TIME_RE = re.compile(r"\d{1,2}\s*[:h時时点]\s*\d{2}|\d\s*[ap]\.?m\b", re.IGNORECASE)
_MAX_VALUE_CHARS = 80


@functools.lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...]):
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(languages), settings=_SETTINGS)


def parse_with_dateparser(
    value: str, languages: tuple[str, ...]
) -> tuple[dt.date, dt.datetime | None] | None:
    """Read ``value`` with dateparser in ``languages`` (tried in order); None when it cannot.

    Returns:
        ``(date, instant)`` like ``dates.parse_date_value``: the instant (UTC) only
        when the value writes a time.
    """
    if not value or len(value) > _MAX_VALUE_CHARS or not any(c.isdigit() for c in value):
        return None
    try:
        data = _parser(tuple(languages)).get_date_data(value)
    except (ValueError, TypeError, OverflowError, LookupError):
        return None
    moment = data["date_obj"] if data is not None else None
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        return None
    instant = (
        moment.astimezone(dt.timezone.utc)
        if moment.tzinfo
        else moment.replace(tzinfo=dt.timezone.utc)
    )
    return moment.date(), instant if _TIME_RE.search(value) else None
