"""ComputeSignatures: the dedup features of every article (MinHash and friends)."""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.canonical import epoch_days, rank
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.progress import ProgressSettings, report
from newsingest.transforms.records import ArticleBatch, FeatureBatch
from newsingest.transforms.timing import stage_timer

__all__ = ["ComputeSignatures", "feature_batch"]


def _timed_feature_batch(
    articles: ArticleBatch, config: DedupConfig, progress: ProgressSettings | None
) -> FeatureBatch:
    with stage_timer("features"):
        batch = feature_batch(articles, config)
    report(progress, "signed", len(articles))
    return batch


def feature_batch(articles: ArticleBatch, config: DedupConfig) -> FeatureBatch:
    """Features of one batch; identical whatever other articles share the batch."""
    features = compute_features(
        articles.dedup_texts,
        articles.content_hashes,
        [epoch_days(d) for d in articles.published_dates],
        config,
        titles=articles.titles,
    )
    ranks = np.fromiter(
        (rank(d, t) for d, t in zip(articles.published_dates, articles.published_ats, strict=True)),
        dtype=np.int64,
        count=len(articles),
    )
    return FeatureBatch(
        doc_keys=articles.doc_keys,
        ranks=ranks,
        features=features,
        keys=candidate_keys(features, config),
    )


class ComputeSignatures(beam.PTransform):
    """``PCollection[ArticleBatch]`` -> ``PCollection[FeatureBatch]``, one per batch.

    Carries only ids, canonical ranks and compact features (no texts) into the
    dedup stages.
    """

    def __init__(self, config: DedupConfig, progress: ProgressSettings | None = None):
        super().__init__()
        config.validate()
        self._config = config
        self._progress = progress

    def expand(self, articles):
        return articles | "Features" >> beam.Map(_timed_feature_batch, self._config, self._progress)
