"""Candidate band keys of the same-story tier: MinHash bands over rare key terms.

An article's *key terms* are its :data:`TOP_LEMMAS` heaviest lemmas and
:data:`TOP_ENTITIES` heaviest entity terms by rarity weight (:mod:`story_signals`).
Two rewrites of one story share most of their rarest words and names even when
their wording differs, so MinHash over these small sets, cut into :data:`BANDS` bands
of :data:`ROWS` rows, puts them in a common bucket with high probability while
unrelated articles rarely collide.

Guarantees: deterministic (fixed multipliers from a seeded generator, seeded xxhash
for the bucket keys), a pure function of one profile (incremental: an article's keys
never depend on the others), no all-pairs step - candidates are the articles sharing a
band key, exactly like the near tier's LSH bands. Templated items (earnings or
dividend tables) all share their rare table words, so the engine should keep them out
of these bands, as the near tier keeps them out of its story family.
"""

from __future__ import annotations

import numpy as np
import xxhash

from newsingest.transforms.core.story_signals import ArticleProfile, SparseVector

__all__ = [
    "BANDS",
    "ROWS",
    "TOP_ENTITIES",
    "TOP_LEMMAS",
    "band_keys",
    "band_keys_of",
    "key_terms",
]

TOP_LEMMAS = 16
TOP_ENTITIES = 8
BANDS = 48
ROWS = 2
_BAND_SEED = 0x5B
_GENERATOR_SEED = 20180531
_MULTIPLIERS = (
    np.random.default_rng(_GENERATOR_SEED).integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64)
    * np.uint64(2)
    + np.uint64(1)
)
_ENTITY_SALT = np.uint64(0x9E3779B97F4A7C15)


def _top(vector: SparseVector, count: int) -> np.ndarray:
    if not len(vector):
        return vector.keys
    order = np.lexsort((vector.keys, -vector.weights))[:count]
    return vector.keys[order]


def key_terms(article: ArticleProfile) -> np.ndarray:
    """Sorted distinct 64-bit keys of the article's heaviest lemmas and entity terms."""
    return _key_terms(article.lemmas, article.entities)


def _key_terms(lemmas: SparseVector, entities: SparseVector) -> np.ndarray:
    salted = _top(entities, TOP_ENTITIES) ^ _ENTITY_SALT
    return np.unique(np.concatenate((_top(lemmas, TOP_LEMMAS), salted)))


def band_keys(article: ArticleProfile) -> np.ndarray:
    """``BANDS`` 64-bit bucket keys (band index mixed in); empty without key terms."""
    return band_keys_of(article.lemmas, article.entities)


def band_keys_of(lemmas: SparseVector, entities: SparseVector) -> np.ndarray:
    """:func:`band_keys` of an article given only its lemma and entity vectors."""
    terms = _key_terms(lemmas, entities)
    if not len(terms):
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = terms[None, :] * _MULTIPLIERS[:, None]
        mixed ^= mixed >> np.uint64(31)
    minima = mixed.min(axis=1).reshape(BANDS, ROWS)
    return np.array(
        [
            xxhash.xxh3_64_intdigest(band.tobytes(), seed=_BAND_SEED + index)
            for index, band in enumerate(minima)
        ],
        dtype=np.uint64,
    )
