"""Time-zone names in date headers, resolved through ``zoneinfo`` (Beam-free).

Three kinds of names:
  * Abbreviations that name one offset (``EST``, ``CEST``, ``IST``, ``JST``, ...): the
    offset is read from the tz database at import, as the UTC offset of a zone at a
    moment it uses that abbreviation (``CEST``: Europe/Paris in summer). The meaning is
    fixed, as in RFC 2822: ``EST`` in July is still UTC-5. ``CST`` is US Central and
    ``IST`` India. German ``MEZ``/``MESZ`` and ``SGT``/``ICT`` (no longer abbreviations
    in the tz database) are read as the tz database's ``CET``/``CEST``/``+08``/``+07``.
  * Generic names that follow daylight saving (``ET``, ``CT``, ``MT``, ``PT``, ``AKT``,
    ``HT``) and tz database keys (``Europe/Berlin``): the offset is the zone's at the
    stated local date and time. A local time that occurs twice (autumn) is the first
    one, one that does not exist (spring gap) uses the offset before the change
    (PEP 495 ``fold=0``).
  * Numeric offsets are handled by the caller.

``tzdata`` is a dependency so that this works where the system has no zone files.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

__all__ = ["FIXED_ZONES", "GENERIC_ZONES", "IANA_ZONE_PATTERN", "zone_offset_minutes"]

# abbreviation -> (tz database key, abbreviation the tz database uses there)
_FIXED_SOURCES = {
    "WET": ("Europe/Lisbon", "WET"), "WEST": ("Europe/Lisbon", "WEST"),
    "EST": ("America/New_York", "EST"), "EDT": ("America/New_York", "EDT"),
    "CST": ("America/Chicago", "CST"), "CDT": ("America/Chicago", "CDT"),
    "MST": ("America/Denver", "MST"), "MDT": ("America/Denver", "MDT"),
    "PST": ("America/Los_Angeles", "PST"), "PDT": ("America/Los_Angeles", "PDT"),
    "AKST": ("America/Anchorage", "AKST"), "AKDT": ("America/Anchorage", "AKDT"),
    "HST": ("Pacific/Honolulu", "HST"), "BST": ("Europe/London", "BST"),
    "CET": ("Europe/Paris", "CET"), "CEST": ("Europe/Paris", "CEST"),
    "MEZ": ("Europe/Berlin", "CET"), "MESZ": ("Europe/Berlin", "CEST"),
    "EET": ("Europe/Athens", "EET"), "EEST": ("Europe/Athens", "EEST"),
    "MSK": ("Europe/Moscow", "MSK"), "IST": ("Asia/Kolkata", "IST"),
    "PKT": ("Asia/Karachi", "PKT"), "ICT": ("Asia/Bangkok", "+07"),
    "WIB": ("Asia/Jakarta", "WIB"), "SGT": ("Asia/Singapore", "+08"),
    "HKT": ("Asia/Hong_Kong", "HKT"), "AWST": ("Australia/Perth", "AWST"),
    "JST": ("Asia/Tokyo", "JST"), "KST": ("Asia/Seoul", "KST"),
    "ACST": ("Australia/Darwin", "ACST"), "AEST": ("Australia/Sydney", "AEST"),
    "AEDT": ("Australia/Sydney", "AEDT"), "NZST": ("Pacific/Auckland", "NZST"),
    "NZDT": ("Pacific/Auckland", "NZDT"),
}  # fmt: skip
GENERIC_ZONES = {
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles", "AKT": "America/Anchorage", "HT": "Pacific/Honolulu",
}  # fmt: skip
_UTC_NAMES = ("UT", "UTC", "GMT", "Z")
_PROBE_YEAR = 2024
IANA_ZONE_PATTERN = (
    r"(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)"
    r"/[A-Z][A-Za-z_+-]*(?:/[A-Z][A-Za-z_+-]*)?"
)
_IANA_RE = re.compile(IANA_ZONE_PATTERN)


def _offset_of(key: str, abbreviation: str) -> int:
    zone = zoneinfo.ZoneInfo(key)
    for month in range(1, 13):
        moment = dt.datetime(_PROBE_YEAR, month, 15, 12, tzinfo=zone)
        if moment.tzname() == abbreviation:
            return int(moment.utcoffset().total_seconds()) // 60
    raise LookupError(f"{key} does not use {abbreviation!r} in {_PROBE_YEAR}")


FIXED_ZONES: dict[str, int] = {name: 0 for name in _UTC_NAMES} | {
    name: _offset_of(key, abbreviation) for name, (key, abbreviation) in _FIXED_SOURCES.items()
}


@functools.lru_cache(maxsize=256)
def _zone(key: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(key)


def zone_offset_minutes(name: str, local: dt.datetime) -> int:
    """Minutes east of UTC that zone ``name`` has at naive local time ``local``.

    Raises:
        ValueError: ``name`` is neither a known abbreviation nor a tz database key.
    """
    if name in FIXED_ZONES:
        return FIXED_ZONES[name]
    key = GENERIC_ZONES.get(name)
    if key is None and _IANA_RE.fullmatch(name):
        key = name
    if key is None:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        zone = _zone(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return int(local.replace(tzinfo=zone).utcoffset().total_seconds()) // 60
