"""LSH bucket keys of documents: two documents are a candidate pair iff they share one."""

from __future__ import annotations

import numpy as np
import xxhash

from newsingest.transforms.core import story_candidates
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.eligibility import story_eligible_rows
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable
from newsingest.transforms.core.minhash import EMPTY_VALUE, band_keys
from newsingest.transforms.core.story_embedding import DIMENSIONS
from newsingest.transforms.core.vocabulary import BIGRAM_MIX

__all__ = ["candidate_keys", "content_only_keys"]

_FILLER_SEED = 0xF1
STORY_NAMESPACE = 1
NEAR_NAMESPACE = 0
FILLER_NAMESPACE = 2
CONTENT_NAMESPACE = 4


def _filler_keys(content_hashes: list[str], count: int, namespace: int) -> np.ndarray:
    """``(len(content_hashes), count)`` keys only exact duplicates share.

    Used where a tier does not apply, so such documents never fill one giant bucket.
    """
    bases = np.fromiter(
        (
            xxhash.xxh3_64_intdigest(f"{namespace}:{h}".encode(), seed=_FILLER_SEED)
            for h in content_hashes
        ),
        dtype=np.uint64,
        count=len(content_hashes),
    )
    columns = (np.arange(count, dtype=np.uint64) + np.uint64(1)) * BIGRAM_MIX[1]
    keys = (bases[:, None] ^ columns[None, :]) * BIGRAM_MIX[0]
    keys ^= keys >> np.uint64(31)
    return keys


def _with_date_tiles(keys: np.ndarray, days: np.ndarray, window: int) -> np.ndarray:
    """Mix a publication-date tile into each story key.

    Tiles are ``2 * window`` days wide; even bands use tiles starting at day 0, odd
    bands tiles shifted by ``window``, so two documents at most ``window`` days apart
    share the tile of every band of at least one parity. Undated documents (only
    story-eligible when dates are optional) use day 0.
    """
    width = max(window, 1)
    days = np.where(days == NO_DAY, 0, days)[:, None]
    shift = (np.arange(keys.shape[1], dtype=np.int64) % 2) * width
    tiles = ((days + shift[None, :]) // (2 * width)).astype(np.uint64)
    mixed = keys ^ (tiles * BIGRAM_MIX[1])
    mixed *= BIGRAM_MIX[0]
    mixed ^= mixed >> np.uint64(29)
    return mixed


def _as_table(features, config: DedupConfig) -> FeatureTable:
    if isinstance(features, FeatureTable):
        return features
    return FeatureTable.from_rows(list(features), config.num_perm)


def _embedded_rows(table: FeatureTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The given rows that carry a non-zero embedding, and those embeddings (n, 512)."""
    offsets = table.story.embedding_offsets
    rows = rows[(offsets[rows + 1] - offsets[rows]) == DIMENSIONS]
    matrix = table.story.embeddings[offsets[rows][:, None] + np.arange(DIMENSIONS)[None, :]]
    nonzero = matrix.any(axis=1)
    return rows[nonzero], matrix[nonzero]


def _story_keys(table: FeatureTable, config: DedupConfig) -> np.ndarray:
    """``story_candidates.BANDS + config.story_embedding_bands`` keys per row: the lexical
    bands of eligible rows with key terms, then the embedding bands of eligible rows
    with an embedding (all mixed with date tiles), filler keys elsewhere."""
    lexical = story_candidates.BANDS
    out = _filler_keys(
        table.content_hashes, lexical + config.story_embedding_bands, STORY_NAMESPACE
    )
    eligible = np.flatnonzero(story_eligible_rows(table, config))
    rows = []
    for i in eligible.tolist():
        keys = story_candidates.band_keys_of(
            table.story.vector(i, "lemmas"), table.story.vector(i, "entities")
        )
        if len(keys):
            out[i, :lexical] = keys
            rows.append(i)
    if config.story_embedding_bands and len(eligible):
        embedded, matrix = _embedded_rows(table, eligible)
        out[embedded, lexical:] = story_candidates.embedding_band_keys(
            matrix, config.story_embedding_bands
        )
        rows = sorted(set(rows).union(embedded.tolist()))
    if rows:
        rows = np.array(rows, dtype=np.int64)
        days = table.published_days[rows]
        out[rows] = _with_date_tiles(out[rows], days, config.story_window_days)
    return out


def candidate_keys(features: FeatureTable | list[Features], config: DedupConfig) -> np.ndarray:
    """uint64 LSH bucket keys, shape ``(len(features), config.num_keys)``.

    Columns: the near-tier bands of ``signature`` (namespace 0); then, if the story
    tier is enabled, the same-story model's ``story_candidates.BANDS`` bands over each
    story-eligible article's rarest key terms (:func:`story_candidates.band_keys`) and
    ``config.story_embedding_bands`` bands over its sentence embedding
    (:func:`story_candidates.embedding_band_keys`), all mixed with a publication-date
    tile (see :func:`_with_date_tiles`; undated articles,
    eligible only when dates are optional, share one tile). Two documents are a
    candidate pair iff they share any key. A document a tier cannot apply to (no
    tokens; templated, undated or without key terms for ``story``) gets keys derived
    from its content hash in that tier's columns, which only its exact duplicates
    share (for the embedding bands: templated items and rows without an embedding). The
    last column is a key of the content hash itself (namespace 4):
    identical copies always share a bucket, whatever the other tiers.
    """
    table = _as_table(features, config)
    n = len(table)
    near = config.near_params
    out = np.empty((n, config.num_keys), dtype=np.uint64)
    if n == 0:
        return out
    out[:, : near.bands] = band_keys(table.signatures, near, NEAR_NAMESPACE)
    empty = np.flatnonzero((table.signatures == EMPTY_VALUE).all(axis=1))
    if len(empty):
        hashes = [table.content_hashes[i] for i in empty.tolist()]
        out[empty, : near.bands] = _filler_keys(hashes, near.bands, NEAR_NAMESPACE)
    story_end = config.num_keys - 1
    out[:, story_end] = _filler_keys(table.content_hashes, 1, CONTENT_NAMESPACE)[:, 0]
    if config.story_enabled:
        out[:, near.bands : story_end] = _story_keys(table, config)
    return out


def content_only_keys(content_hashes: list[str], config: DedupConfig) -> np.ndarray:
    """Keys of documents known only by their content hash (removed articles after a
    reindex): every column holds keys only exact copies share."""
    n, story_end = len(content_hashes), config.num_keys - 1
    out = np.empty((n, config.num_keys), dtype=np.uint64)
    if n == 0:
        return out
    bands = config.near_params.bands
    out[:, :bands] = _filler_keys(content_hashes, bands, NEAR_NAMESPACE)
    if story_end > bands:
        out[:, bands:story_end] = _filler_keys(content_hashes, story_end - bands, STORY_NAMESPACE)
    out[:, story_end] = _filler_keys(content_hashes, 1, CONTENT_NAMESPACE)[:, 0]
    return out
