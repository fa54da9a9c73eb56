"""The dedup feature and verification API in one import (Beam-free).

The implementation is split by job: settings (:mod:`.dedup_config`), the stop list
(:mod:`.stop_words`), feature rows and tables (:mod:`.feature_table`), token
classification (:mod:`.vocabulary`), feature computation (:mod:`.features`), story
eligibility (:mod:`.eligibility`), LSH candidate keys (:mod:`.candidate_keys`) and
pair verification (:mod:`.verification`). This module only re-exports their public
names for callers that want all of them (bench harnesses, notebooks).
"""

from __future__ import annotations

from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.stop_words import STOP_WORDS
from newsingest.transforms.core.verification import Match, verify, verify_pairs

__all__ = [
    "DedupConfig",
    "Features",
    "Match",
    "compute_features",
    "FeatureTable",
    "NO_DAY",
    "candidate_keys",
    "verify",
    "verify_pairs",
    "STOP_WORDS",
]
