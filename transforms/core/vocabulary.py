"""Token classification for features: a process-wide token -> columns vocabulary (Beam-free).

Each distinct token is classified once (hash, kind, story-term or figure hash, and
the entity scan columns of :mod:`transforms.core.entities`); the values are pure
functions of the token, so the vocabulary's contents never change features.
"""

from __future__ import annotations

import threading
from itertools import repeat

import numpy as np
import xxhash

from newsingest.transforms.core import entities
from newsingest.transforms.core.stop_words import STOP_WORDS
from newsingest.transforms.core.tokens import TOKEN_SEED

__all__ = [
    "BIGRAM_MIX",
    "CHAR_WEIGHT_CLASS",
    "KIND_CHAR",
    "KIND_NUMBER",
    "KIND_OTHER",
    "KIND_TERM",
    "Vocabulary",
    "token_entry",
    "vocabulary_for",
]

_NO_SPACE = (
    ("\u0e00", "\u0eff"),
    ("\u1000", "\u109f"),
    ("\u1780", "\u17ff"),
    ("\u3040", "\u30ff"),
    ("\u3400", "\u4dbf"),
    ("\u4e00", "\u9fff"),
    ("\uf900", "\ufaff"),
)
KIND_OTHER, KIND_NUMBER, KIND_TERM, KIND_CHAR = 0, 1, 2, 3
_TERM_SEED = 0x7E57
_FIGURE_SEED = 0xF16
CHAR_WEIGHT_CLASS = 3
BIGRAM_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _is_no_space(char: str) -> bool:
    return any(low <= char <= high for low, high in _NO_SPACE)


def token_entry(token: str, min_term_len: int) -> tuple[int, int, int]:
    """(64-bit token hash, kind, 32-bit term or figure hash) of one token."""
    data = token.encode("utf-8")
    value = xxhash.xxh3_64_intdigest(data, seed=TOKEN_SEED)
    if token[0].isdigit():
        return value, KIND_NUMBER, xxhash.xxh32_intdigest(data, seed=_FIGURE_SEED)
    if len(token) == 1 and _is_no_space(token):
        return value, KIND_CHAR, 0
    if len(token) >= min_term_len and token not in STOP_WORDS:
        weight = min(len(token), 12) - 3
        term = (xxhash.xxh32_intdigest(data, seed=_TERM_SEED) & ~0xF) | weight
        return value, KIND_TERM, term
    return value, KIND_OTHER, 0


_COLUMNS = (
    ("hash", np.uint64),
    ("kind", np.int8),
    ("extra", np.uint32),
    ("type", np.int8),
    ("flags", np.int16),
    ("letters", np.int32),
    ("capitals", np.int32),
    ("entity", np.uint32),
    ("part", np.uint64),
    ("acronym", np.uint32),
)


class Vocabulary:
    """Process-wide token -> id, with per-id columns; bounded, values pure functions.

    ``casefold=True`` takes stream tokens (:data:`entities.STREAM_RE`, original case):
    the product columns (hash, kind, extra) are :func:`token_entry` of the casefolded
    token (``'s`` -> ``s``; none for marks), the others :func:`entities.scan_entry`.
    ``casefold=False`` takes tokens of :func:`tokenize` as they are (product columns
    only). Per token, a lookup is C-level (``map`` of ``dict.get`` into
    ``np.fromiter``); Python code runs once per new distinct token.
    """

    _LIMIT = 400_000

    def __init__(self, min_term_len: int, casefold: bool) -> None:
        self._min_term_len = min_term_len
        self._casefold = casefold
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._ids: dict[str, int] = {}
        self.columns = {name: np.empty(1024, dtype) for name, dtype in _COLUMNS}

    def _entry(self, token: str) -> tuple[int, ...]:
        if not self._casefold:
            return (*token_entry(token, self._min_term_len), *_NO_SCAN)
        scan = entities.scan_entry(token, STOP_WORDS)
        if scan[0] in (entities.MARK, entities.NEWLINE):
            return (0, KIND_OTHER, 0, *scan)
        product = "s" if scan[0] == entities.POSSESSIVE else token.casefold()
        return (*token_entry(product, self._min_term_len), *scan)

    def lookup(self, tokens: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Ids of ``tokens``, in order, and the columns they index.

        Thread-safe: the columns returned stay valid for these ids whatever other
        threads add later (growth copies, a reset starts new arrays).
        """
        with self._lock:
            return self._lookup(tokens)

    def _lookup(self, tokens: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if len(self._ids) > self._LIMIT:
            self._reset()
        ids_of = self._ids
        ids = np.fromiter(map(ids_of.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        missing = np.flatnonzero(ids < 0)
        if not len(missing):
            return ids, dict(self.columns)
        new = list(dict.fromkeys(tokens[i] for i in missing.tolist()))
        base = len(ids_of)
        rows = np.array([self._entry(token) for token in new], dtype=np.uint64)
        size = base + len(new)
        if size > len(self.columns["hash"]):
            capacity = max(size, 2 * len(self.columns["hash"]))
            for name, dtype in _COLUMNS:
                grown = np.empty(capacity, dtype)
                grown[:base] = self.columns[name][:base]
                self.columns[name] = grown
        for k, (name, dtype) in enumerate(_COLUMNS):
            self.columns[name][base:size] = rows[:, k].astype(dtype)
        ids_of.update(zip(new, range(base, size), strict=True))
        ids[missing] = np.fromiter(
            map(ids_of.__getitem__, (tokens[i] for i in missing.tolist())),
            dtype=np.int64,
            count=len(missing),
        )
        return ids, dict(self.columns)


_NO_SCAN = (entities.WORD, 0, 0, 0, 0, 0, 0)
_VOCABULARIES: dict[tuple[int, bool], Vocabulary] = {}


def vocabulary_for(min_term_len: int, casefold: bool) -> Vocabulary:
    key = (min_term_len, casefold)
    vocabulary = _VOCABULARIES.get(key)
    if vocabulary is None:
        vocabulary = _VOCABULARIES.setdefault(key, Vocabulary(min_term_len, casefold))
    return vocabulary
