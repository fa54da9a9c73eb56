r"""Language-agnostic tokenisation and seeded shingle hashing (Beam-free).

Guarantees:
  * Deterministic: the same text gives the same tokens and hashes on every
    machine and Python process (xxhash with a fixed seed, never ``hash()``).
  * Numbers are tokens like words (``1.2``, ``46``), never erased: templated
    wire items that differ only in their figures get different shingles.
  * Scripts written without spaces (Han, Kana, Thai, Lao, Khmer, Myanmar) are
    split into one token per character, so word n-grams become character
    n-grams there and every language shingles sensibly.
  * Words are Unicode-aware (the ``regex`` module's properties): a word starts
    with a letter or a non-decimal number (``\p{L}``, ``\p{No}``, ``\p{Nl}``)
    and goes on through letters, numbers and combining marks (``\p{M}``), so
    Devanagari ``हिन्दी``, Arabic with harakat or a decomposed ``é`` stay one word
    (the standard library's ``\w`` has no marks and split them into letters).
    Variation selectors are not part of words. ASCII text, where both agree, is
    matched by a standard-library twin of the pattern (about twice as fast).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import regex
import xxhash

__all__ = [
    "ASCII_WORD_PATTERN",
    "NUMBER_PATTERN",
    "TOKEN_PATTERN",
    "TokenPattern",
    "WORD_CONTINUE",
    "WORD_PATTERN",
    "tokenize",
    "token_hashes",
    "shingle_hashes",
]

_NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
)
_VARIATION_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
# ``regex`` V1 character sets with set difference (``--``); compile with ``regex.V1``.
WORD_START = rf"[\p{{L}}\p{{No}}\p{{Nl}}--[{_NO_SPACE_SCRIPTS}]]"
WORD_CONTINUE = rf"[\p{{L}}\p{{M}}\p{{No}}\p{{Nl}}--[{_NO_SPACE_SCRIPTS}{_VARIATION_SELECTORS}]]"
WORD_PATTERN = f"{WORD_START}{WORD_CONTINUE}*"
NUMBER_PATTERN = r"\d+(?:[.,]\d+)*"
ASCII_WORD_PATTERN = "[A-Za-z]+"


class TokenPattern:
    """A token regex for any text, and its twin for ASCII text.

    ``findall`` uses the standard-library twin when the text is ASCII and the ``regex``
    (V1) pattern otherwise; the twin must give the same matches on ASCII text (the
    tests check it on random ASCII).
    """

    def __init__(self, pattern: str, ascii_pattern: str) -> None:
        self.unicode = regex.compile(pattern, regex.V1)
        self.ascii = re.compile(ascii_pattern)

    def findall(self, text: str) -> list[str]:
        return (self.ascii if text.isascii() else self.unicode).findall(text)

    @property
    def pattern(self) -> str:
        """Both patterns, as one string: what a feature version hashes."""
        return f"{self.unicode.pattern}\x00{self.ascii.pattern}"


TOKEN_PATTERN = _TOKEN_RE = TokenPattern(
    rf"[{_NO_SPACE_SCRIPTS}]|{NUMBER_PATTERN}|{WORD_PATTERN}",
    rf"{NUMBER_PATTERN}|{ASCII_WORD_PATTERN}",
)

TOKEN_SEED = 0x5EED
# Odd 64-bit multipliers, one per position inside an n-gram: they make the
# combined shingle hash order-sensitive ("a b" != "b a").
_POSITION_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x2545F4914F6CDD1D,
        0x94D049BB133111EB,
    ],
    dtype=np.uint64,
)
MAX_NGRAM = len(_POSITION_MULTIPLIERS)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into case-folded word, number and single-character tokens."""
    return _TOKEN_RE.findall(text.casefold())


def token_hashes(tokens: Iterable[str], cache: dict[str, int] | None = None) -> np.ndarray:
    """Seeded 64-bit xxhash of each token, in order, as a ``uint64`` array.

    ``cache`` (token -> hash) may be shared across documents of one batch; it
    only saves time and never changes a value.
    """
    if cache is None:
        cache = {}
    values = []
    append = values.append
    for token in tokens:
        value = cache.get(token)
        if value is None:
            value = xxhash.xxh3_64_intdigest(token.encode("utf-8"), seed=TOKEN_SEED)
            cache[token] = value
        append(value)
    return np.fromiter(values, dtype=np.uint64, count=len(values))


def shingle_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """32-bit hashes of every contiguous ``n``-gram of token ``hashes``.

    A document with fewer than ``n`` (but at least one) tokens yields one
    shingle over all its tokens; an empty one yields an empty array. The result
    keeps duplicates and order: callers needing a set use ``np.unique``.
    """
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"n must be in 1..{MAX_NGRAM}, got {n}")
    count = len(hashes)
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    width = min(n, count)
    windows = count - width + 1
    combined = np.zeros(windows, dtype=np.uint64)
    for position in range(width):
        combined += hashes[position : position + windows] * _POSITION_MULTIPLIERS[position]
    combined ^= combined >> np.uint64(29)
    return (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32) ^ (
        combined >> np.uint64(32)
    ).astype(np.uint32)
