"""Candidate band keys of the same-story tier: MinHash bands over rare key terms, and
cross-polytope bands over the sentence embedding.

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

*Embedding bands* (:func:`embedding_band_keys`) find what shares meaning but few words:
a rewrite in other words, a report in another language. Each band concatenates
:data:`EMBEDDING_ROWS` cross-polytope hashes (Andoni et al., 2015): the embedding is
projected on :data:`EMBEDDING_AXES` random directions and the hash is the axis of
largest magnitude with its sign, so close vectors land on one of ``2 * AXES`` buckets
together far more often than unrelated ones. Guarantees: the projection matrix holds
small integers (a seeded Gaussian times :data:`PROJECTION_SCALE`, rounded) and the
stored embedding is int8, so every product and partial sum is an integer below 2**24:
float32 matrix arithmetic is exact in any order, on any BLAS, and the keys are a pure
function of the stored vector (ties go to the first axis). Band ``b`` uses its own
seeded directions, so the first ``k`` of ``n`` bands are the ``k`` bands of a
``k``-band configuration. An all-zero embedding (templated or empty) gets no keys.
"""

from __future__ import annotations

import functools

import numpy as np
import xxhash

from newsingest.transforms.core.story_embedding import DIMENSIONS
from newsingest.transforms.core.story_signals import (
    KEY_ENTITIES,
    KEY_ENTITY_SALT,
    KEY_LEMMAS,
    ArticleProfile,
    SparseVector,
)

__all__ = [
    "BANDS",
    "EMBEDDING_AXES",
    "EMBEDDING_ROWS",
    "PROJECTION_SCALE",
    "ROWS",
    "TOP_ENTITIES",
    "TOP_LEMMAS",
    "band_keys",
    "band_keys_of",
    "draws_digest",
    "embedding_band_keys",
    "key_terms",
]

TOP_LEMMAS = KEY_LEMMAS
TOP_ENTITIES = KEY_ENTITIES
EMBEDDING_ROWS = 2
EMBEDDING_AXES = 64
PROJECTION_SCALE = 8.0
_EMBEDDING_SEED = 20150912
_EMBEDDING_SALT = np.uint64(0xD6E8FEB86659FD93)
_EXACT_FLOAT32 = 2**24
BANDS = 48
ROWS = 2
_BAND_SEED = 0x5B
_GENERATOR_SEED = 20180531
_MULTIPLIERS = np.random.default_rng(_GENERATOR_SEED).integers(
    1, 2**63, size=BANDS * ROWS, dtype=np.uint64
) * np.uint64(2) + np.uint64(1)
_ENTITY_SALT = np.uint64(KEY_ENTITY_SALT)


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


@functools.lru_cache(maxsize=8)
def _projection(bands: int) -> np.ndarray:
    """``(DIMENSIONS, bands * ROWS * AXES)`` float32 of small integers (read-only)."""
    width = EMBEDDING_ROWS * EMBEDDING_AXES
    blocks = [
        np.rint(
            np.random.default_rng([_EMBEDDING_SEED, band]).standard_normal((DIMENSIONS, width))
            * PROJECTION_SCALE
        )
        for band in range(bands)
    ]
    matrix = np.hstack(blocks).astype(np.float32)
    if 128 * float(np.abs(matrix).sum(axis=0).max()) >= _EXACT_FLOAT32:
        raise ValueError("projection too large for exact float32 sums")
    matrix.flags.writeable = False
    return matrix


def draws_digest(embedding_bands: int) -> str:
    """xxh3 of the seeded random draws these keys use (band multipliers, projection):
    numpy does not promise one generator stream across releases, so the index's feature
    version hashes the draws themselves."""
    digest = xxhash.xxh3_64(_MULTIPLIERS.tobytes())
    if embedding_bands:
        digest.update(_projection(embedding_bands).tobytes())
    return digest.hexdigest()


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def embedding_band_keys(embeddings: np.ndarray, bands: int) -> np.ndarray:
    """``(n, bands)`` uint64 keys of ``(n, DIMENSIONS)`` int8 embeddings (none all zero).

    Key ``b`` of a row: the band index and the row's :data:`EMBEDDING_ROWS` signed
    largest axes of band ``b``'s projection, mixed (see the module guarantees).
    """
    embeddings = np.asarray(embeddings, dtype=np.int8)
    n = len(embeddings)
    if bands == 0 or n == 0:
        return np.empty((n, bands), dtype=np.uint64)
    projected = embeddings.astype(np.float32) @ _projection(bands)
    projected = projected.reshape(n, bands, EMBEDDING_ROWS, EMBEDDING_AXES)
    axis = np.argmax(np.abs(projected), axis=3)
    positive = np.take_along_axis(projected, axis[..., None], axis=3)[..., 0] > 0
    hashes = (axis * 2 + positive).astype(np.uint64)
    codes = np.zeros((n, bands), dtype=np.uint64)
    for row in range(EMBEDDING_ROWS):
        codes = codes * np.uint64(2 * EMBEDDING_AXES) + hashes[:, :, row]
    codes = codes + (np.arange(bands, dtype=np.uint64) << np.uint64(32))[None, :]
    return _mix(codes ^ _EMBEDDING_SALT)
