"""Features of a batch of texts, computed column-wise (Beam-free).

One regex pass over the batch's original-case texts yields the product's tokens and
the sentence/line structure, each distinct token is classified once
(:mod:`transforms.core.vocabulary`), and everything else is array operations;
``tests/transforms/core/reference_features.py`` computes the same rows one
document at a time. Nothing depends on Python's ``hash()``, the batch composition
or iteration order.
"""

from __future__ import annotations

from itertools import chain, repeat

import numpy as np

from newsingest.transforms.core import entities
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import NO_DAY, FeatureTable
from newsingest.transforms.core.minhash import signatures_flat
from newsingest.transforms.core.profile_pool import ProfileRows
from newsingest.transforms.core.story_columns import StoryColumns, empty_row
from newsingest.transforms.core.tokens import shingle_hashes, tokenize
from newsingest.transforms.core.vocabulary import (
    BIGRAM_MIX,
    CHAR_WEIGHT_CLASS,
    KIND_CHAR,
    KIND_NUMBER,
    KIND_OTHER,
    KIND_TERM,
    Vocabulary,
    vocabulary_for,
)

__all__ = ["compute_features"]


def _segment_ids(lengths: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def _bottom_k_per_doc(
    doc_ids: np.ndarray, values: np.ndarray, docs: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per document: sorted distinct ``values``, the first ``k`` kept.

    Returns (kept values, offsets of shape (docs + 1,), distinct counts).
    """
    combined = np.sort((doc_ids.astype(np.uint64) << np.uint64(32)) | values.astype(np.uint64))
    if len(combined) > 1:
        combined = combined[np.concatenate(([True], combined[1:] != combined[:-1]))]
    owner = (combined >> np.uint64(32)).astype(np.int64)
    distinct = np.bincount(owner, minlength=docs)
    starts = np.concatenate(([0], np.cumsum(distinct)[:-1]))
    rank = np.arange(len(combined)) - starts[owner]
    keep = rank < k
    kept = (combined[keep] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    kept_counts = np.minimum(distinct, k)
    offsets = np.concatenate(([0], np.cumsum(kept_counts))).astype(np.int64)
    return kept, offsets, distinct


def _flat_shingles(
    hashes: np.ndarray, lengths: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of every document of a concatenated token stream, and their counts."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    windows = shingle_hashes(hashes, n) if len(hashes) >= n else np.empty(0, np.uint32)
    owner = _segment_ids(counts)
    local = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.concatenate(([0], np.cumsum(counts)[:-1])), counts
    )
    out = np.empty(len(owner), dtype=np.uint32)
    long_docs = lengths[owner] >= n
    out[long_docs] = windows[starts[owner[long_docs]] + local[long_docs]]
    for doc in np.flatnonzero((lengths > 0) & (lengths < n)):
        position = int(np.searchsorted(owner, doc))
        out[position] = shingle_hashes(hashes[starts[doc] : starts[doc] + lengths[doc]], n)[0]
    return out, counts


def _story_profiles(
    texts: list[str],
    titles: list[str | None] | None,
    published_days: list[int | None],
    config: DedupConfig,
    processes: int,
) -> ProfileRows | None:
    """The batch's same-story profiles, started (None when the story tier is disabled)."""
    if not config.story_enabled:
        return None
    titles = titles if titles is not None else [None] * len(texts)
    return ProfileRows(titles, texts, published_days, processes)


def compute_features(
    texts: list[str],
    content_hashes: list[str],
    published_days: list[int | None],
    config: DedupConfig,
    titles: list[str | None] | None = None,
    processes: int = 1,
) -> FeatureTable:
    """Features of a batch of cleaned texts, computed column-wise for the whole batch.

    Args:
        texts: cleaned bodies (NFKC, header removed).
        content_hashes: their normalised content hashes, same order.
        published_days: days since 1970-01-01, or None when the date is missing.
        config: a validated :class:`DedupConfig`.
        titles: the detected headlines (None each when absent or not given): with the
            texts and days, the input of each article's same-story profile
            (:func:`story_signals.profile`), computed when the story tier is enabled.
        processes: compute the profiles in this many pool processes while this one
            computes the rest (:class:`profile_pool.ProfileRows`); 1 computes them here.

    Returns:
        A :class:`FeatureTable` with one row per text, same order. Every row is
        identical to what the one-document-at-a-time reference computes, and does
        not depend on the other texts of the batch.
    """
    if not len(texts) == len(content_hashes) == len(published_days):
        raise ValueError("texts, content_hashes and published_days differ in length")
    if titles is not None and len(titles) != len(texts):
        raise ValueError("titles and texts differ in length")
    docs = len(texts)
    profiles = _story_profiles(texts, titles, published_days, config, processes)
    vocabulary = vocabulary_for(config.min_term_len, casefold=True)
    ids, stream_owner, columns = _stream(texts, vocabulary)
    types = columns["type"][ids]
    hashes, kinds, extra, lengths = _product_tokens(
        texts, ids, types, stream_owner, columns, config.min_term_len
    )
    owner = _segment_ids(lengths)
    shingles, shingle_counts = _flat_shingles(hashes, lengths, config.ngram)
    sigs = signatures_flat(shingles, shingle_counts, config.num_perm, config.seed)

    is_term = kinds == KIND_TERM
    is_char = kinds == KIND_CHAR
    bigram_at = np.flatnonzero(is_char[:-1] & is_char[1:] & (owner[:-1] == owner[1:]))
    mixed = hashes[bigram_at] * BIGRAM_MIX[0] + hashes[bigram_at + 1] * BIGRAM_MIX[1]
    mixed ^= mixed >> np.uint64(32)
    bigrams = (mixed & np.uint64(0xFFFFFFF0)).astype(np.uint32) | np.uint32(CHAR_WEIGHT_CLASS)
    terms, term_offsets, term_counts = _bottom_k_per_doc(
        np.concatenate((owner[is_term], owner[bigram_at])),
        np.concatenate((extra[is_term], bigrams)),
        docs,
        config.story_max_terms,
    )
    is_number = kinds == KIND_NUMBER
    figures, figure_offsets, figure_counts = _bottom_k_per_doc(
        owner[is_number], extra[is_number], docs, config.max_figures
    )
    local = np.arange(len(owner)) - np.concatenate(([0], np.cumsum(lengths)))[owner]
    in_lead = is_number & (local < config.story_lead_figure_tokens)
    lead_figures, lead_figure_offsets, _ = _bottom_k_per_doc(
        owner[in_lead], extra[in_lead], docs, config.max_figures
    )
    numbers = np.bincount(owner[is_number], minlength=docs)
    short = np.bincount(owner[kinds == KIND_OTHER], minlength=docs)
    template = (
        (lengths > 0)
        & (numbers >= config.template_number_fraction * lengths)
        & (numbers + short >= config.template_short_fraction * lengths)
    )
    found = entities.extract(
        stream_owner,
        ids,
        columns,
        np.fromiter(map(len, "\n".join(texts).split("\n")), dtype=np.int64),
        np.fromiter(map(str.count, texts, repeat("\n")), dtype=np.int64, count=docs) + 1,
        docs,
        lead_words=config.story_lead_words,
        key_size=config.story_key_entities,
        subject_size=config.story_subject_entities,
        max_entities=config.story_max_entities,
        max_lead=config.story_max_lead_entities,
        bottom_k=_bottom_k_per_doc,
    )
    return FeatureTable(
        story=StoryColumns.from_rows(
            profiles.result() if profiles is not None else [empty_row() for _ in texts]
        ),
        content_hashes=list(content_hashes),
        published_days=np.array(
            [NO_DAY if d is None else int(d) for d in published_days], dtype=np.int64
        ),
        signatures=sigs,
        terms=terms,
        term_offsets=term_offsets,
        term_counts=term_counts.astype(np.int64),
        figures=figures,
        figure_offsets=figure_offsets,
        figure_counts=figure_counts.astype(np.int64),
        token_counts=lengths,
        template=template,
        entities=found.entities,
        entity_offsets=found.entity_offsets,
        entity_counts=found.entity_counts,
        lead_entities=found.lead,
        lead_entity_offsets=found.lead_offsets,
        key_entities=found.key,
        key_entity_offsets=found.key_offsets,
        lead_figures=lead_figures,
        lead_figure_offsets=lead_figure_offsets,
        caseless=np.fromiter(map(entities.is_caseless, texts), dtype=bool, count=docs),
    )


def _stream(
    texts: list[str], vocabulary: Vocabulary
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Vocabulary ids of the stream tokens of ``texts``, the text of each, their columns.

    One regex pass over the texts joined by :data:`entities.SEPARATOR` (per text if a
    text contains it); separator characters are no tokens, as for ``tokenize``.
    """
    joined = entities.SEPARATOR.join(texts)
    if joined.count(entities.SEPARATOR) == max(len(texts) - 1, 0):
        ids, columns = vocabulary.lookup(entities.STREAM_RE.findall(joined))
        separated = columns["type"][ids] == entities.SEPARATED
        owner = np.cumsum(separated)
    else:
        streams = [entities.STREAM_RE.findall(text) for text in texts]
        ids, columns = vocabulary.lookup(list(chain.from_iterable(streams)))
        owner = _segment_ids(np.fromiter(map(len, streams), dtype=np.int64, count=len(texts)))
        separated = columns["type"][ids] == entities.SEPARATED
    if separated.any():
        ids, owner = ids[~separated], owner[~separated]
    return ids, owner, columns


def _product_tokens(
    texts: list[str],
    ids: np.ndarray,
    types: np.ndarray,
    stream_owner: np.ndarray,
    columns: dict[str, np.ndarray],
    min_term_len: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hashes, kinds, extra, tokens per document) of the ``tokenize`` tokens of ``texts``.

    Taken from the stream tokens (all but marks and line breaks), except for the rare
    text containing a character whose casefold moves a token boundary (e.g. "İ"),
    which is tokenised again.
    """
    docs = len(texts)
    product = (types != entities.MARK) & (types != entities.NEWLINE)
    product_ids = ids[product]
    lengths = np.bincount(stream_owner[product], minlength=docs).astype(np.int64)
    unsafe = []
    if not entities.casefold_safe("".join(texts)):
        unsafe = [d for d, text in enumerate(texts) if not entities.casefold_safe(text)]
    if not unsafe:
        return (
            columns["hash"][product_ids],
            columns["kind"][product_ids],
            columns["extra"][product_ids],
            lengths,
        )
    fallback = vocabulary_for(min_term_len, casefold=False)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    redo = set(unsafe)
    for d in range(docs):
        if d in redo:
            parts.append(fallback.lookup(tokenize(texts[d])))
            lengths[d] = len(parts[-1][0])
        else:
            parts.append((product_ids[offsets[d] : offsets[d + 1]], columns))
    return tuple(
        np.concatenate([cols[name][rows] for rows, cols in parts]).astype(dtype)
        if parts
        else np.empty(0, dtype)
        for name, dtype in (("hash", np.uint64), ("kind", np.int8), ("extra", np.uint32))
    ) + (lengths,)
