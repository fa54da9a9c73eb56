"""Candidate band keys of the same-story tier."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.story_candidates import (
    BANDS,
    PROJECTION_SCALE,
    _projection,
    band_keys,
    embedding_band_keys,
    key_terms,
)
from newsingest.transforms.core.story_embedding import DIMENSIONS
from newsingest.transforms.core.story_signals import comparable, profile, too_little_evidence

from .test_story_signals import STORIES


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_band_keys_are_deterministic_and_shared_by_copies(lang):
    story = profile(None, STORIES[lang][0], None)
    again = profile(None, STORIES[lang][0], None)
    keys = band_keys(story)
    assert keys.dtype == np.uint64 and len(keys) == BANDS
    assert np.array_equal(keys, band_keys(again))
    assert len(key_terms(story)) > 0


def _embedding_keys(article, bands: int = DedupConfig().story_embedding_bands) -> np.ndarray:
    return embedding_band_keys(np.asarray(article.embedding)[None, :], bands)[0]


@pytest.mark.parametrize("keys_of", [band_keys, _embedding_keys], ids=["lexical", "embedding"])
@pytest.mark.parametrize("lang", sorted(STORIES))
def test_another_story_shares_fewer_buckets_than_a_rewrite(lang, keys_of):
    story, rewrite, other = (profile(None, text, None) for text in STORIES[lang])
    near = len(np.intersect1d(keys_of(story), keys_of(rewrite)))
    far = len(np.intersect1d(keys_of(story), keys_of(other)))
    assert near > far


def test_an_article_without_words_has_no_band_keys():
    assert len(band_keys(profile(None, "12 34 56", None, "en"))) == 0


def test_embedding_projection_is_exact_in_float32():
    rng = np.random.default_rng(3)
    embeddings = rng.integers(-127, 128, size=(64, DIMENSIONS)).astype(np.int8)
    embeddings[0] = 127
    embeddings[1] = -127
    matrix = _projection(24)
    assert np.array_equal(matrix, np.rint(matrix)) and np.abs(matrix).max() < 8 * PROJECTION_SCALE
    exact = embeddings.astype(np.int64) @ matrix.astype(np.int64)
    assert np.array_equal(embeddings.astype(np.float32) @ matrix, exact.astype(np.float32))
    assert np.abs(exact).max() < 2**24


def test_embedding_keys_are_per_row_and_prefix_stable():
    rng = np.random.default_rng(4)
    embeddings = rng.integers(-127, 128, size=(10, DIMENSIONS)).astype(np.int8)
    keys = embedding_band_keys(embeddings, 24)
    assert keys.shape == (10, 24) and keys.dtype == np.uint64
    assert np.array_equal(embedding_band_keys(embeddings[::-1], 24), keys[::-1])
    assert np.array_equal(embedding_band_keys(embeddings[3:4], 24)[0], keys[3])
    assert np.array_equal(embedding_band_keys(embeddings, 8), keys[:, :8])
    assert len(np.unique(keys)) == keys.size, "bands never share keys"
    assert embedding_band_keys(embeddings, 0).shape == (10, 0)


def test_comparable_key_terms_are_the_lexical_bands_terms():
    for texts in STORIES.values():
        for text in texts:
            article = profile(None, text, None)
            assert comparable(article).key_terms == set(key_terms(article).tolist())


def test_too_little_evidence_needs_no_shared_term_and_a_low_embedding_cosine():
    story, rewrite, other = (comparable(profile(None, t, None)) for t in STORIES["en"])
    assert not too_little_evidence(story, rewrite)
    assert story.key_terms.isdisjoint(other.key_terms)
    assert too_little_evidence(story, other)
    german = comparable(profile(None, STORIES["de"][0], None))
    assert not too_little_evidence(story, german), "a translation has the evidence"
    stripped = replace(german, lemmas={}, entities={})
    assert stripped.key_terms.isdisjoint(story.key_terms)
    assert not too_little_evidence(story, stripped), "the embedding alone suffices (0.71)"
    assert too_little_evidence(replace(other, embedding=german.embedding), stripped) is False
