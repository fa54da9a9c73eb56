"""A straightforward one-document-at-a-time reference for ``compute_features``.

The product computes features column-wise over a batch; tests check it gives
exactly these rows.
"""

from __future__ import annotations

import numpy as np

from transforms.core.minhash import signatures
from transforms.core.similarity import (
    _BIGRAM_MIX,
    _CHAR_WEIGHT_CLASS,
    _KIND_CHAR,
    _KIND_NUMBER,
    _KIND_OTHER,
    _KIND_TERM,
    DedupConfig,
    Features,
    _token_entry,
)
from transforms.core.tokens import shingle_hashes, tokenize


def reference_features(
    texts: list[str], content_hashes: list[str], days: list[int | None], config: DedupConfig
) -> list[Features]:
    rows = []
    for text, content_hash, day in zip(texts, content_hashes, days, strict=True):
        entries = [_token_entry(token, config.min_term_len) for token in tokenize(text)]
        count = len(entries)
        hashes = np.array([e[0] for e in entries], dtype=np.uint64)
        kinds = np.array([e[1] for e in entries], dtype=np.int8)
        extra = np.array([e[2] for e in entries], dtype=np.uint32)
        [signature] = signatures(
            [shingle_hashes(hashes, config.ngram)], config.num_perm, config.seed
        )
        chars = [
            i for i in range(count - 1) if kinds[i] == _KIND_CHAR and kinds[i + 1] == _KIND_CHAR
        ]
        bigrams = []
        for i in chars:
            mixed = hashes[i : i + 1] * _BIGRAM_MIX[0] + hashes[i + 1 : i + 2] * _BIGRAM_MIX[1]
            mixed ^= mixed >> np.uint64(32)
            bigrams.append(int(mixed[0] & np.uint64(0xFFFFFFF0)) | _CHAR_WEIGHT_CLASS)
        terms = np.unique(np.array(list(extra[kinds == _KIND_TERM]) + bigrams, dtype=np.uint32))
        figures = np.unique(extra[kinds == _KIND_NUMBER])
        numbers = int((kinds == _KIND_NUMBER).sum())
        short = int((kinds == _KIND_OTHER).sum())
        template = bool(
            count
            and numbers >= config.template_number_fraction * count
            and numbers + short >= config.template_short_fraction * count
        )
        rows.append(
            Features(
                content_hash=content_hash,
                published_days=day,
                signature=signature,
                terms=terms[: config.story_max_terms],
                term_count=len(terms),
                figures=figures[: config.max_figures],
                figure_count=len(figures),
                token_count=count,
                template=template,
            )
        )
    return rows
