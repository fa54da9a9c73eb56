"""Canonical order and article identity (Beam-free).

Canonical rule: within a duplicate cluster the kept article is the one with
the earliest ``published_date``; ties go to the earliest ``published_at``
(an article with a time beats one without), then to the smallest
``article_id``. Articles without a date rank after all dated ones.
"""

from __future__ import annotations

import datetime as dt

import xxhash

__all__ = ["article_key", "article_id", "content_key", "epoch_days", "rank"]

_EPOCH = dt.date(1970, 1, 1)
_DAY_SLOTS = 4 * 86_400
_NO_TIME = 3 * 86_400
_NO_DATE_DAYS = 1 << 30
_ID_SEED = 0xA271C1E


def article_key(source_uri: str, content_hash: str) -> int:
    """Deterministic 64-bit identity of one input file's content at its URI."""
    return xxhash.xxh3_64_intdigest(f"{source_uri}\0{content_hash}".encode(), seed=_ID_SEED)


def content_key(content_hash: str) -> int:
    """The 64-bit key of a content hash (its first 16 hex digits)."""
    return int(content_hash[:16], 16)


def article_id(key: int) -> str:
    """The public, fixed-width hex form of an article key (sorts like the key)."""
    return f"{key:016x}"


def epoch_days(day: dt.date | None) -> int | None:
    """Days since 1970-01-01, or None."""
    return None if day is None else (day - _EPOCH).days


def rank(published_date: dt.date | None, published_at: dt.datetime | None) -> int:
    """A 64-bit sort key: lower ranks are more canonical (ties broken by article key)."""
    days = epoch_days(published_date)
    if days is None:
        return _NO_DATE_DAYS * _DAY_SLOTS
    slot = _NO_TIME
    if published_at is not None:
        offset = int(published_at.timestamp()) - days * 86_400 + 86_400
        slot = min(max(offset, 0), _NO_TIME - 1)
    return days * _DAY_SLOTS + slot
