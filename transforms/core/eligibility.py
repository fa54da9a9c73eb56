"""Which documents the story tier applies to (Beam-free): shared by keys and verification.

A document is story eligible when the tier is enabled, it is not a templated item
(earnings or dividend table: by the near tier's rule on its features, or by its story
profile's) and, when ``story_requires_dates``, it is dated. Templated items all share
their rare table words, so they are kept out of the story bands; the model's own veto
still applies to a templated pair that meets through the near bands.
"""

from __future__ import annotations

import numpy as np

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable

__all__ = ["story_eligible", "story_eligible_rows"]


def story_eligible(features: Features, config: DedupConfig) -> bool:
    return (
        config.story_enabled
        and not features.template
        and not features.story_templated
        and (features.published_days is not None or not config.story_requires_dates)
    )


def story_eligible_rows(table: FeatureTable, config: DedupConfig) -> np.ndarray:
    """Vectorised :func:`story_eligible` over every row of ``table``."""
    eligible = ~table.template & ~table.story.templated
    if config.story_requires_dates:
        eligible &= table.published_days != NO_DAY
    return eligible & config.story_enabled
