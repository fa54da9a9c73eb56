"""Which documents the story tier applies to (Beam-free): shared by keys and verification."""

from __future__ import annotations

import numpy as np

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable

__all__ = ["story_eligible", "story_eligible_rows"]


def story_eligible(features: Features, config: DedupConfig) -> bool:
    if features.caseless:
        evidence = features.term_count >= config.story_min_terms
    else:
        evidence = features.entity_count >= config.story_min_entities
    return (
        config.story_enabled
        and not features.template
        and evidence
        and (features.published_days is not None or not config.story_requires_dates)
    )


def story_eligible_rows(table: FeatureTable, config: DedupConfig) -> np.ndarray:
    """Vectorised :func:`_story_eligible` over every row of ``table``."""
    evidence = np.where(
        table.caseless,
        table.term_counts >= config.story_min_terms,
        table.entity_counts >= config.story_min_entities,
    )
    eligible = ~table.template & evidence
    if config.story_requires_dates:
        eligible &= table.published_days != NO_DAY
    return eligible & config.story_enabled
