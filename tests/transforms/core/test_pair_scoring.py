"""Story pair scoring: the prepared form, exactly rounded signals, batch independence.

The signals are checked against an independent numpy oracle (sorted-key intersection
and dot products, the textbook definitions), the column-built prepared form against
the one built from a profile, and ``verify_pairs`` against itself over other batches,
orders and cache sizes: a pair's verdict and probability must be bit-identical
whatever it was scored with.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import xxhash

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.story_model import design_matrix, load_model
from newsingest.transforms.core.story_signals import (
    SIGNAL_NAMES,
    ArticleProfile,
    comparable,
    compare,
    pair_signals,
)
from newsingest.transforms.core.verification import ComparableCache, verify_pairs
from tests.transforms.core.test_story_signals import STORIES

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
DAY = 19_800
# Low thresholds so that some of the pairs below are story duplicates or links.
LOW = DedupConfig(story_threshold=0.3, story_group_threshold=0.2)


def _cos(a, b) -> float:
    if a is None or b is None or not len(a.keys) or not len(b.keys):
        return 0.0
    _, ia, ib = np.intersect1d(a.keys, b.keys, assume_unique=True, return_indices=True)
    return min(1.0, float(a.weights[ia] @ b.weights[ib]))


def _novelty(head, other) -> float:
    total = float(head.weights.sum())
    missing = ~np.isin(head.keys, other.keys, assume_unique=True)
    return float(head.weights[missing].sum()) / total if total > 0 else 0.0


def _jaccard(a, b) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _embedding_cos(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two int8 embeddings in float64 numpy (0.0 when either is zero)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(x) * np.linalg.norm(y)
    return float(x @ y / norms) if norms else 0.0


def oracle_signals(a: ArticleProfile, b: ArticleProfile) -> dict[str, float]:
    """The signals by their definitions (numpy, no shared code with ``compare``)."""
    shared = len(np.intersect1d(a.shingles, b.shingles, assume_unique=True))
    smaller = min(len(a.shingles), len(b.shingles))
    union = len(a.shingles) + len(b.shingles) - shared
    figs_a, figs_b = set(a.figures), set(b.figures)
    few, many = sorted((figs_a, figs_b), key=len)
    mass_a, mass_b = sum(a.mass.values()), sum(b.mass.values())
    small, large = (a.mass, b.mass) if mass_a <= mass_b else (b.mass, a.mass)
    total = min(mass_a, mass_b)
    contained = sum(min(w, large[k]) for k, w in small.items() if k in large)
    cos_head = _cos(a.head, b.head)
    return {
        "cos_title": cos_head if a.title is None or b.title is None else _cos(a.title, b.title),
        "cos_head": cos_head,
        "cos_head_cross": max(_cos(a.head, b.text), _cos(b.head, a.text)),
        "cos_text": _cos(a.text, b.text),
        "cos_lemma": _cos(a.lemmas, b.lemmas),
        "cos_entity": _cos(a.entities, b.entities),
        "cos_head_entity": _cos(a.head_entities, b.head_entities),
        "cos_embedding": _embedding_cos(a.embedding, b.embedding),
        "head_entity_novelty": max(
            _novelty(a.head_entities, b.entities), _novelty(b.head_entities, a.entities)
        ),
        "lemma_containment": contained / total if total > 0 else 0.0,
        "shingle_containment": shared / smaller if smaller else 0.0,
        "shingle_jaccard": shared / union if union else 0.0,
        "figure_jaccard": _jaccard(figs_a, figs_b),
        "shared_figures": math.log1p(len(figs_a & figs_b)),
        "shared_entities": math.log1p(len(set(a.entities.keys) & set(b.entities.keys))),
        "figures_missing": len(few - many) / len(few) if few else 0.0,
        "lead_figure_jaccard": _jaccard(a.lead_figures, b.lead_figures),
        "no_figures": float(not figs_a and not figs_b),
        "length_ratio": abs(math.log(max(a.token_count, 1) / max(b.token_count, 1))),
        "no_entities": float(not len(a.entities.keys) or not len(b.entities.keys)),
        "templated": float(a.templated or b.templated),
    }


def _texts() -> list[str]:
    texts = [text for stories in STORIES.values() for text in stories]
    if SEEDS.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return texts


def _table(texts: list[str], days: list[int | None]) -> FeatureTable:
    hashes = [xxhash.xxh3_128_hexdigest(t.encode("utf-8")) for t in texts]
    return FeatureTable.from_rows(compute_features(texts, hashes, days, DedupConfig()))


@pytest.fixture(scope="module")
def table() -> FeatureTable:
    texts = _texts()
    return _table(texts, [DAY + i % 3 for i in range(len(texts))])


def test_signals_match_the_numpy_oracle_on_every_pair(table):
    profiles = [table.profile(i) for i in range(len(table))]
    worst = 0.0
    for a, b in itertools.combinations(profiles, 2):
        expected = oracle_signals(a, b)
        got = dict(zip(SIGNAL_NAMES, pair_signals(a, b).tolist(), strict=True))
        assert got.keys() == expected.keys()
        worst = max(worst, max(abs(got[k] - expected[k]) for k in expected))
    assert worst <= 1e-12


def test_column_built_comparable_equals_the_one_from_the_profile(table):
    for i in range(len(table)):
        assert table.comparable(i) == comparable(table.profile(i))


def test_signals_are_bit_identical_in_either_order(table):
    prepared = [table.comparable(i) for i in range(len(table))]
    for a, b in itertools.combinations(prepared, 2):
        assert compare(a, b) == compare(b, a)


def test_probability_matches_the_matrix_formula_of_training():
    rng = np.random.default_rng(7)
    signals = rng.uniform(0.0, 1.0, size=(200, len(SIGNAL_NAMES)))
    model = load_model()
    z = ((design_matrix(signals) - model.mean) / model.scale) @ model.weights + model.intercept
    expected = 1.0 / (1.0 + np.exp(-z))
    assert np.max(np.abs(model.probabilities(signals) - expected)) <= 1e-12
    assert model.probabilities(signals)[5] == model.merge.probability(signals[5].tolist())


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    left, right = zip(*itertools.combinations(range(n), 2), strict=True)
    return np.array(left), np.array(right)


def test_verdicts_do_not_depend_on_batch_order_or_cache(table):
    left, right = _all_pairs(len(table))
    together = verify_pairs(table.take(left), table.take(right), LOW)
    assert {m.method for m in together if m is not None} & {"story", "story_link"}
    alone = [
        verify_pairs(table.take(left[[i]]), table.take(right[[i]]), LOW)[0]
        for i in range(len(left))
    ]
    assert together == alone
    order = np.random.default_rng(3).permutation(len(left))
    tiny = ComparableCache(limit=1)
    shuffled = verify_pairs(table.take(left[order]), table.take(right[order]), LOW, tiny)
    assert [together[i] for i in order.tolist()] == shuffled
    assert len(tiny) == 1


def test_cache_keeps_the_most_recently_used(table):
    cache = ComparableCache(limit=2)
    first = cache.get(table, 0)
    cache.get(table, 1)
    assert cache.get(table, 0) is first
    cache.get(table, 2)
    assert len(cache) == 2
    assert cache.get(table, 0) is first
    assert cache.get(table, 1) is not None and len(cache) == 2
