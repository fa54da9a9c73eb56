"""``py3langid`` classification with its byte automaton walked by numpy (Beam-free).

``py3langid`` counts its byte n-gram features by walking a deterministic automaton one
byte at a time in Python (``langid.visit_counts``): about 1 ms per 2,000 characters,
a large share of a same-story profile. The automaton is an Aho-Corasick scanner, so its
state after a byte depends only on the last :data:`WINDOW` bytes (the depth of its
trie). :func:`classify` therefore runs the automaton from the start state over every
window at once - :data:`WINDOW` vectorised steps instead of one Python step per byte -
and scores the features as the library does (its naive-Bayes sum, in the same order).

Guarantees:
  * ``classify(text) == py3langid.classify(text)`` for every text, bit for bit: the
    same states, the same feature counts in the same first-seen order, the same
    scoring code (tests compare them on multilingual corpora and random text).
  * The window is derived from the bundled model when first used (a breadth-first
    walk of the automaton), never assumed; an automaton deeper than the bound
    :data:`MAX_WINDOW`, or a library configuration this module does not mirror
    (probability normalisation), falls back to ``py3langid.classify``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import py3langid
from py3langid import langid

__all__ = ["MAX_WINDOW", "classify"]

MAX_WINDOW = 8


@dataclass(frozen=True)
class _Automaton:
    next_move: np.ndarray
    row_base: np.ndarray
    output: np.ndarray
    window: int
    weights: np.ndarray


def _depth(next_move: np.ndarray, row_base: np.ndarray) -> int:
    """Largest breadth-first distance of a state from the start state."""
    seen = np.zeros(len(row_base), dtype=bool)
    seen[0] = True
    frontier = np.array([0], dtype=np.intp)
    byte_values = np.arange(256, dtype=np.intp)
    level = 0
    while True:
        targets = next_move[(row_base[frontier][:, None] + byte_values).ravel()]
        targets = np.unique(targets[~seen[targets]])
        if not len(targets):
            return level
        seen[targets] = True
        frontier = targets
        level += 1


@functools.cache
def _automaton() -> _Automaton | None:
    identifier = langid._get_identifier()
    if identifier._norm_probs:
        return None
    next_move = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32)
    row_base = np.asarray(identifier._rowbase, dtype=np.intp)
    window = _depth(next_move, row_base)
    if window > MAX_WINDOW:
        return None
    output = np.asarray(identifier.tk_output, dtype=np.intp)
    # float16 -> float32 is exact, and numpy's matmul of the library's float32 counts
    # with float16 rows computes in float32: the same products, without the slow casts.
    weights = np.asarray(identifier.nb_ptc, dtype=np.float32)
    return _Automaton(next_move, row_base, output, window, weights)


def _visits(automaton: _Automaton, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """``langid.visit_counts`` of ``data`` as (features, counts) in first-seen order."""
    text = np.frombuffer(data, dtype=np.uint8)
    size = len(text)
    states = np.zeros(size, dtype=np.intp)
    for back in range(min(automaton.window, size) - 1, -1, -1):
        tail = states[back:]
        states[back:] = automaton.next_move[automaton.row_base[tail] + text[: size - back]]
    features = automaton.output[states]
    features = features[features >= 0]
    if not len(features):
        return None
    keys, first, counts = np.unique(features, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return keys[order], counts[order].astype(np.float32)


def classify(text: str) -> tuple[str, float]:
    """``py3langid.classify(text)``: (ISO 639-1 code, raw score), computed faster."""
    automaton = _automaton()
    if automaton is None:
        return py3langid.classify(text)
    identifier = langid._get_identifier()
    data = identifier._encode(text)
    visits = _visits(automaton, data)
    if visits is None:
        return py3langid.classify(text)
    features, counts = visits
    scores = np.log1p(counts) @ automaton.weights[features] + identifier.nb_pc
    for kept, folded in identifier._alias_pairs:
        scores[kept] = max(scores[kept], scores[folded])
        scores[folded] = langid.RAW_FLOOR
    best = int(scores.argmax())
    confidence = float(scores[best])
    if identifier.min_confidence is not None and confidence < identifier.min_confidence:
        return "und", confidence
    return identifier.nb_classes[best], confidence
