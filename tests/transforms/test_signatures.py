"""ComputeSignatures on a real Beam runner: features as the core computes them, and a
worker whose text libraries differ from the launcher's fails with a clear error."""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.resource_fingerprint import resource_fingerprint
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.records import RawArticle, RawBatch
from newsingest.transforms.signatures import ComputeSignatures, feature_batch

from .test_dedup import BASE, OTHER


def _articles():
    raws = [
        RawArticle(uri=f"{i}.txt", text=f"2024-03-0{i}\n\n{text}", encoding="utf-8")
        for i, text in enumerate((BASE, OTHER), start=1)
    ]
    articles, rejected = normalize_batch(RawBatch(articles=raws))
    assert not rejected
    return articles


def test_features_on_the_runner_equal_the_core_computation(local_runner):
    articles = _articles()
    expected = feature_batch(articles, DedupConfig())

    def check(batches):
        [batch] = batches
        assert np.array_equal(batch.doc_keys, expected.doc_keys)
        assert np.array_equal(batch.keys, expected.keys)

    with TestPipeline(runner=local_runner) as p:
        out = p | beam.Create([articles]) | ComputeSignatures(DedupConfig())
        assert_that(out, check)


def test_a_worker_with_other_library_behaviour_fails_clearly(local_runner):
    launcher = "0" * 16
    assert resource_fingerprint() != launcher
    articles = _articles()
    with (
        pytest.raises(Exception, match="text libraries behave differently") as raised,
        TestPipeline(runner=local_runner) as p,
    ):
        _ = p | beam.Create([articles]) | ComputeSignatures(DedupConfig(), fingerprint=launcher)
    assert resource_fingerprint() in str(raised.value)
