"""Batched MinHash signatures and LSH band keys (Beam-free).

The signatures are exactly datasketch's ``MinHash(num_perm, seed,
scheme="affine32")`` fed with our 32-bit shingle hashes (``hashfunc`` the
identity): the same MurmurHash3 pre-mix and the same seeded affine
permutations, computed for many documents at once with one
``np.minimum.reduceat``. ``tests/transforms/core/test_minhash.py`` checks the
equality against datasketch itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "LshParams",
    "lsh_params",
    "permutations",
    "signatures",
    "signatures_flat",
    "band_keys",
    "EMPTY_VALUE",
]

EMPTY_VALUE = np.uint32(0xFFFFFFFF)
_FMIX32 = (
    np.uint32(16),
    np.uint32(0x85EBCA6B),
    np.uint32(13),
    np.uint32(0xC2B2AE35),
    np.uint32(16),
)
# Shingles signed per block: bounds the (num_perm x block) scratch matrix.
_BLOCK = 1 << 15


@dataclass(frozen=True)
class LshParams:
    """LSH banding: ``bands`` bands of ``rows`` signature values each."""

    bands: int
    rows: int


_GRID = np.linspace(0.0, 1.0, 4001)


def _integral(values: np.ndarray, low: float, high: float) -> float:
    inside = (low <= _GRID) & (high >= _GRID)
    return float(np.trapezoid(values[inside], _GRID[inside])) if inside.sum() > 1 else 0.0


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> LshParams:
    """The (bands, rows) minimising false-positive plus false-negative probability.

    The same criterion as datasketch's ``MinHashLSH`` (equal weights), integrated
    numerically with numpy so that importing datasketch (and scipy) is not needed
    at run time; ``tests/transforms/core/test_minhash.py`` checks the choice
    equals datasketch's.
    """
    best, best_error = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            collision = 1.0 - (1.0 - _GRID**rows) ** bands
            false_positive = _integral(collision, 0.0, threshold)
            false_negative = _integral(1.0 - collision, threshold, 1.0)
            error = 0.5 * false_positive + 0.5 * false_negative
            if error < best_error:
                best, best_error = (bands, rows), error
    return LshParams(bands=best[0], rows=best[1])


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) uint32 parameters datasketch's ``affine32`` scheme draws for ``seed``.

    Drawn exactly as ``datasketch.MinHash(num_perm, seed, scheme="affine32")``
    does (tested), without importing datasketch at run time.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a[:, None], b[:, None]


def _fmix32(values: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


def _long_signature(a: np.ndarray, b: np.ndarray, mixed: np.ndarray) -> np.ndarray:
    """The signature of one document with more than ``_BLOCK`` values, a block at a time
    (memory stays at ``num_perm * _BLOCK`` words whatever the document's length)."""
    result = np.full(a.shape[0], EMPTY_VALUE, dtype=np.uint32)
    for lo in range(0, len(mixed), _BLOCK):
        permuted = a * mixed[None, lo : lo + _BLOCK] + b
        np.minimum(result, permuted.min(axis=1), out=result)
    return result


def signatures(shingles: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures of many shingle-hash arrays, shape ``(len(shingles), num_perm)``.

    Row ``i`` equals datasketch's ``MinHash(num_perm, seed, scheme="affine32",
    hashfunc=int)`` updated with every value of ``shingles[i]``. A document
    without shingles gets the all-``EMPTY_VALUE`` signature.
    """
    a, b = permutations(num_perm, seed)
    out = np.full((len(shingles), num_perm), EMPTY_VALUE, dtype=np.uint32)
    lengths = np.fromiter((len(s) for s in shingles), dtype=np.int64, count=len(shingles))
    nonempty = np.flatnonzero(lengths)
    start = 0
    while start < len(nonempty):
        stop, total = start, 0
        while stop < len(nonempty) and (stop == start or total + lengths[nonempty[stop]] <= _BLOCK):
            total += lengths[nonempty[stop]]
            stop += 1
        docs = nonempty[start:stop]
        values = _fmix32(np.concatenate([shingles[i] for i in docs]).astype(np.uint32))
        if total > _BLOCK:
            out[docs[0]] = _long_signature(a, b, values)
            start = stop
            continue
        permuted = a * values[None, :] + b
        offsets = np.concatenate(([0], np.cumsum(lengths[docs])[:-1]))
        out[docs] = np.minimum.reduceat(permuted, offsets, axis=1).T
        start = stop
    return out


def signatures_flat(values: np.ndarray, counts: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """``signatures`` of documents given as one flat array of shingle hashes.

    Document ``i`` owns ``counts[i]`` consecutive values of ``values``. Equal
    to ``signatures([values[o_i : o_i + counts[i]] for i ...])``.
    """
    a, b = permutations(num_perm, seed)
    docs = len(counts)
    out = np.full((docs, num_perm), EMPTY_VALUE, dtype=np.uint32)
    if docs == 0 or len(values) == 0:
        return out
    mixed = _fmix32(values.astype(np.uint32))
    ends = np.cumsum(counts)
    starts = ends - counts
    doc = 0
    while doc < docs:
        stop = int(np.searchsorted(ends, starts[doc] + _BLOCK, side="right"))
        stop = max(stop, doc + 1)
        block = np.arange(doc, stop)
        block = block[counts[block] > 0]
        if len(block) == 1 and counts[block[0]] > _BLOCK:
            lo, hi = int(starts[block[0]]), int(ends[block[0]])
            out[block[0]] = _long_signature(a, b, mixed[lo:hi])
        elif len(block):
            lo, hi = int(starts[block[0]]), int(ends[block[-1]])
            permuted = a * mixed[None, lo:hi] + b
            out[block] = np.minimum.reduceat(permuted, starts[block] - lo, axis=1).T
        doc = stop
    return out


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys(sigs: np.ndarray, params: LshParams, namespace: int = 0) -> np.ndarray:
    """64-bit bucket key of every band of every signature, shape ``(n, bands)``.

    Two signatures share key ``[i, j]`` iff their band ``j`` values are equal
    (up to 64-bit hash collisions). ``namespace`` separates independent LSH
    indexes (e.g. the near-duplicate and same-story tiers) sharing one shuffle.
    """
    n = sigs.shape[0]
    used = sigs[:, : params.bands * params.rows].astype(np.uint64)
    per_band = used.reshape(n, params.bands, params.rows)
    keys = np.zeros((n, params.bands), dtype=np.uint64)
    for row in range(params.rows):
        keys = (keys ^ per_band[:, :, row]) * _BAND_MIX
        keys ^= keys >> np.uint64(31)
    band_ids = np.arange(params.bands, dtype=np.uint64) + np.uint64(namespace) * np.uint64(1 << 16)
    keys ^= (band_ids + np.uint64(1)) * np.uint64(0xC2B2AE3D27D4EB4F)
    keys *= _BAND_MIX
    keys ^= keys >> np.uint64(29)
    return keys
