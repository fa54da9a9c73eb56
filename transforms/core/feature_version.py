"""The feature version of an index: what its stored features and bucket keys depend on.

An index (``DIR/_index``) is only comparable with new articles whose features were
computed the same way. :func:`feature_version` hashes everything that shapes them:

* ``FEATURE_VERSION``, a code-level constant: bump it with any change to code that
  produces features or keys (tokenisation, text normalisation, entity extraction,
  hashing, banding, the feature layout);
* the shaping settings of :class:`DedupConfig` (``DedupConfig.index_settings``);
* the word lists (stop words, entity stop words) and the token regex of the entity scan;
* the encoded feature fields (:func:`feature_codec.fields_fingerprint`);
* the versions of what features are computed with: the Unicode database (casefolding,
  NFKC, character classes) and the major versions of numpy (permutation draws) and
  xxhash;
* what the text libraries do (:func:`resource_fingerprint.resource_fingerprint`: the
  content of wordfreq, jieba, simplemma, py3langid and the encoder, and the behaviour of
  ``regex`` on multilingual probes), not their release numbers;
* the seeded random draws of the story bands (:func:`story_candidates.draws_digest`:
  numpy promises no generator stream across releases);
* the same-story model's ``version`` (:mod:`story_model`: its weights and analysis
  constants): a model change means new stored profiles and story band keys, so
  ``newsingest reindex``.

Thresholds that only decide are not part of it: they can change between runs.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import orjson
import xxhash

from newsingest.transforms.core import entities, feature_codec, story_candidates, tokens
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.resource_fingerprint import resource_fingerprint
from newsingest.transforms.core.stop_words import STOP_WORDS
from newsingest.transforms.core.story_model import load_model

__all__ = ["FEATURE_VERSION", "feature_identity", "feature_version"]

FEATURE_VERSION = 5


def _major(version: str) -> str:
    return version.split(".")[0]


def feature_identity(config: DedupConfig) -> dict:
    """Everything the feature version hashes, as JSON-ready values."""
    return {
        "code": FEATURE_VERSION,
        "settings": config.index_settings(),
        "fields": feature_codec.fields_fingerprint(),
        "story_model": load_model().version,
        "word_lists": xxhash.xxh3_64_hexdigest(
            orjson.dumps(
                [
                    sorted(STOP_WORDS),
                    sorted(entities.ENTITY_STOP),
                    entities.STREAM_RE.pattern,
                    tokens.TOKEN_PATTERN.pattern,
                ]
            )
        ),
        "libraries": {
            "unicode": unicodedata.unidata_version,
            "numpy": _major(np.__version__),
            "xxhash": _major(xxhash.VERSION),
        },
        "resources": resource_fingerprint(),
        "story_draws": story_candidates.draws_digest(
            config.story_embedding_bands if config.story_enabled else 0
        ),
    }


def feature_version(config: DedupConfig) -> str:
    """A short stable hex digest of :func:`feature_identity`."""
    return xxhash.xxh3_64_hexdigest(
        orjson.dumps(feature_identity(config), option=orjson.OPT_SORT_KEYS)
    )
