"""Candidate band keys of the same-story tier."""

from __future__ import annotations

import numpy as np
import pytest

from newsingest.transforms.core.story_candidates import BANDS, band_keys, key_terms
from newsingest.transforms.core.story_signals import profile

from .test_story_signals import STORIES


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_band_keys_are_deterministic_and_shared_by_copies(lang):
    story = profile(None, STORIES[lang][0], None)
    again = profile(None, STORIES[lang][0], None)
    keys = band_keys(story)
    assert keys.dtype == np.uint64 and len(keys) == BANDS
    assert np.array_equal(keys, band_keys(again))
    assert len(key_terms(story)) > 0


@pytest.mark.parametrize("lang", sorted(STORIES))
def test_another_story_shares_fewer_buckets_than_a_rewrite(lang):
    story, rewrite, other = (profile(None, text, None) for text in STORIES[lang])
    near = len(np.intersect1d(band_keys(story), band_keys(rewrite)))
    far = len(np.intersect1d(band_keys(story), band_keys(other)))
    assert near > far


def test_an_article_without_words_has_no_band_keys():
    assert len(band_keys(profile(None, "12 34 56", None, "en"))) == 0
