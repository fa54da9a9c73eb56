"""The numpy walk of py3langid's automaton classifies exactly as py3langid does."""

from __future__ import annotations

import random

import numpy as np
import py3langid
import pytest

from newsingest.transforms.core import language_id
from tests.transforms.core.fast_path_texts import all_texts


def test_the_bundled_model_takes_the_fast_path():
    automaton = language_id._automaton()
    assert automaton is not None
    assert 1 <= automaton.window <= language_id.MAX_WINDOW


def _paths_to_deepest_states(automaton, limit: int = 64) -> list[bytes]:
    """Shortest byte strings reaching the automaton's deepest states (breadth first)."""
    size = len(automaton.row_base)
    parent = np.full(size, -1, dtype=np.int64)
    via = np.zeros(size, dtype=np.int64)
    parent[0] = 0
    frontier = np.array([0])
    byte_values = np.arange(256)
    while True:
        moves = automaton.row_base[frontier][:, None] + byte_values
        targets = automaton.next_move[moves].astype(np.int64).ravel()
        sources = np.repeat(frontier, 256)
        unseen = np.flatnonzero(parent[targets] < 0)
        if not len(unseen):
            break
        frontier, first = np.unique(targets[unseen], return_index=True)
        parent[frontier] = sources[unseen[first]]
        via[frontier] = unseen[first] % 256
        deepest = frontier

    def path(state: int) -> bytes:
        out = []
        while state != 0:
            out.append(int(via[state]))
            state = int(parent[state])
        return bytes(reversed(out))

    paths = [path(int(state)) for state in deepest[:limit]]
    assert {len(value) for value in paths} == {automaton.window}
    return paths


def test_feature_counts_match_the_library_walk_on_the_deepest_states():
    identifier = py3langid.langid._get_identifier()
    automaton = language_id._automaton()
    rng = random.Random(11)
    for deep in _paths_to_deepest_states(automaton):
        for prefix in (b"", b"ab ", bytes(rng.randrange(256) for _ in range(9))):
            data = prefix + deep + deep[::-1] + deep
            expected = py3langid.langid.visit_counts(
                identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data
            )
            visits = language_id._visits(automaton, data)
            if expected is None:
                assert visits is None
                continue
            features, counts = visits
            assert dict(zip(features.tolist(), counts.tolist(), strict=True)) == expected
            assert features.tolist() == list(expected)


@pytest.mark.parametrize("text", ["", " ", "a", "12 34", "\n\n", "İ", "中", "x" * 5000])
def test_edge_cases_match_the_library(text):
    assert language_id.classify(text) == py3langid.classify(text)


def test_classification_and_score_match_the_library_bit_for_bit():
    texts = all_texts()
    assert len(texts) > 600
    mismatches = [
        text[:80] for text in texts if language_id.classify(text) != py3langid.classify(text)
    ]
    assert mismatches == []
