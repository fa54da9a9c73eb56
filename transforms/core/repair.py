"""Mojibake repair and a compatibility normalisation that keeps meaning (Beam-free).

:func:`repair_mojibake` undoes UTF-8 text that was once decoded as cp1252, Latin-1 or
cp1251 (``MÃ¼nchen`` -> ``München``, ``â€œnoâ€\x9d`` -> ``“no”``,
``РџСЂРµР·РёРґРµРЅС‚`` -> ``Президент``) with ``ftfy.fix_encoding``, line by line and only
on lines a cheap guard flags, so clean text pays one regex scan and comes back as the
same object.

:func:`fold_compatibility` replaces NFKC: NFC plus only the compatibility folds that
do not change what the text says -- fullwidth/halfwidth forms (``Ｔｏｋｙｏ``, ``２０２４``,
halfwidth katakana), mathematical styled letters (``𝐁𝐨𝐥𝐝``), Arabic presentation forms,
small and vertical punctuation, Latin and Armenian ligatures (``ﬁ``) and leaders
(``…`` -> ``...``). Superscripts, subscripts, fractions, circled and squared forms and
other compatibility characters (``m²``, ``CO₂``, ``¼``, ``①``, ``№``, ``µ``) are kept,
where NFKC turned ``m²`` into ``m2`` and ``MÃ¼nchen`` into ``MÃ1⁄4nchen``.

Guarantees: pure and deterministic for a given ``ftfy`` version; idempotent; text
without a flagged sequence (repair) or a folded character (fold, apart from NFC) is
returned unchanged.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

__all__ = ["fold_compatibility", "needs_repair", "repair_mojibake"]

# What a UTF-8 continuation byte (0x80-0xBF) becomes when read as cp1252 / Latin-1.
_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
# ... and as cp1251 (Cyrillic UTF-8 lead bytes 0xD0/0xD1 read as "Р"/"С").
_CP1251_CONTINUATION = (
    "\u0401-\u040c\u040e\u040f\u0451-\u045c\u045e\u045f\u0490\u0491\u00a0-\u00bf"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac"
    "\u2116\u2122"
)
# A UTF-8 lead byte read as cp1252/Latin-1 (U+00C2-U+00F4) or cp1251 followed by a
# continuation byte read the same way. Clean text rarely has these pairs; when it
# does, ftfy leaves it alone (the guard only decides whether ftfy is asked). Two
# patterns that each start with a character set search faster than one alternation.
_MOJIBAKE_RES = (
    re.compile(f"[\u00c2-\u00f4][{_CP1252_CONTINUATION}]"),
    re.compile(f"[\u0420\u0421][{_CP1251_CONTINUATION}]"),
)

_FOLDED_TYPES = frozenset(
    {"<wide>", "<narrow>", "<small>", "<vertical>", "<font>", "<initial>", "<medial>",
     "<final>", "<isolated>"}
)  # fmt: skip
_FOLDED_COMPAT = (
    *range(0xFB00, 0xFB07),  # Latin ligatures ff fi fl ffi ffl ſt st
    *range(0xFB13, 0xFB18),  # Armenian ligatures
    0x2024, 0x2025, 0x2026,  # one-dot leader, two-dot leader, ellipsis
    0x203C, 0x2047, 0x2048, 0x2049,  # !! ?? ?! !?
)  # fmt: skip
# Blocks holding every character of the folded types (checked by the tests).
_FOLD_BLOCKS = (
    (0x2000, 0x2150),
    (0x3000, 0x3100),
    (0xFB00, 0x10000),
    (0x1D400, 0x1D800),
    (0x1EE00, 0x1EF00),
    (0x1FBF0, 0x1FC00),
)


def _fold_table() -> dict[int, str]:
    table = {}
    for low, high in _FOLD_BLOCKS:
        for code in range(low, high):
            char = chr(code)
            kind = unicodedata.decomposition(char).split(" ", 1)[0]
            if kind in _FOLDED_TYPES or code in _FOLDED_COMPAT:
                table[code] = unicodedata.normalize("NFKC", char)
    return table


_FOLDS = _fold_table()
# The blocks, as one short character set: most non-ASCII text has no character in
# them, and a set of a few ranges is searched far faster than one of ~3,000 characters.
_FOLD_BLOCK_RE = re.compile(
    "["
    + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high - 1))}" for low, high in _FOLD_BLOCKS)
    + "]"
)


def _fold(match: re.Match[str]) -> str:
    char = match.group()
    return _FOLDS.get(ord(char), char)


def fold_compatibility(text: str) -> str:
    """NFC, with the meaning-preserving compatibility folds described above."""
    if text.isascii():
        return text
    if _FOLD_BLOCK_RE.search(text) is not None:
        text = _FOLD_BLOCK_RE.sub(_fold, text)
    return unicodedata.normalize("NFC", text)


def needs_repair(text: str) -> bool:
    """Whether ``text`` has a sequence typical of mojibake (the cheap guard)."""
    return not text.isascii() and any(guard.search(text) for guard in _MOJIBAKE_RES)


def repair_mojibake(text: str) -> str:
    """Undo mojibake line by line with ``ftfy.fix_encoding``; clean text is returned as is.

    Only lines the guard flags are given to ftfy, so a file whose lines were damaged
    differently (or not at all) is repaired line by line.
    """
    if not needs_repair(text):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if any(guard.search(line) for guard in _MOJIBAKE_RES):
            lines[index] = ftfy.fix_encoding(line)
    return "\n".join(lines)
