"""Per-document dedup features, LSH candidate keys and pair verification (Beam-free).

Three tiers, decided pair by pair by :func:`verify`:

* ``exact``: equal normalised content hash.
* ``near``: MinHash-estimated Jaccard of word ``ngram``-shingles at least
  ``near_threshold`` *and* compatible figures (number tokens). Templated items
  (earnings, dividends: mostly numbers and short words) need identical figure
  sets, so "Shr 46 cts vs 31 cts" never merges with "Shr 47 cts vs 31 cts".
* ``story``: same-story rewrites with low lexical overlap. Both documents must
  be dated, published within ``story_window_days`` of each other, not templated,
  long enough, of comparable length, and share enough weighted *story terms*.

Story terms are the distinct word tokens of at least ``min_term_len``
characters that are not in a small fixed multilingual stop list, plus bigrams
of consecutive characters in scripts written without spaces (Han, Kana, Thai).
Their weight is fixed by token length (longer tokens are rarer: names, places),
never by corpus statistics, so features are incremental and the same on every
worker. The weight class lives in the low 4 bits of each term's 32-bit hash.

Every hash is seeded xxhash (through :mod:`transforms.core.tokens`) or MinHash
(:mod:`transforms.core.minhash`); nothing depends on Python's ``hash()``, the
batch composition or iteration order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import xxhash

from transforms.core.minhash import (
    EMPTY_VALUE,
    LshParams,
    band_keys,
    lsh_params,
    signatures_flat,
)
from transforms.core.tokens import MAX_NGRAM, TOKEN_SEED, shingle_hashes, tokenize

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

# Function words (and web boilerplate) of the pipeline's main languages that
# survive the ``min_term_len`` cut. Fixed in code: changing it changes features.
STOP_WORDS = frozenset(
    """
    about above after again against also although among another around because been before
    being below between both came come could does doing down during each either even every
    from further have having here hers herself himself into itself just last less like made
    make many more most much must myself never only other ours over same says said should
    since some still such than that their theirs them themselves then there these they this
    those though through under until very well were what when where whether which while whom
    whose will with within without would year years your yours yourself told including
    however click share email facebook twitter instagram whatsapp linkedin newsletter
    subscribe photo photos image images caption gallery video copyright reserved rights
    advertisement read news reuter reuters afp aber alle allem allen aller alles andere
    anderen auch dass denn derem deren dessen diese diesem diesen dieser dieses doch durch
    eine einem einen einer eines etwa haben hatte hatten hier immer jetzt kann keine können
    mehr muss nach nicht noch nur oder schon sein seine seinem seinen seiner sich sind soll
    sollen sowie über unter viel vom von vor wird werden wurde wurden zwischen sagte heute
    jahr jahre jahren como con cuando desde donde durante entre esta este esto estos está
    hace hasta más mismo muy otra otras otro otros para pero porque puede según sido sobre
    también tiene todo todos tras fueron había han ser son sus una unos unas años dijo aussi
    autre avant avec cette ces comme dans depuis deux dont elle elles être leur leurs mais
    même moins notre nous pendant peut plus pour quand que qui sans selon sont sous très
    tout tous toute toutes vous été était avait fait ans année alla allo anche ancora cosa
    dalla dalle degli della delle dello dopo essere fatto fra gli hanno loro molto nella
    nelle nello negli non oggi ogni però più poi prima quando quello questa questo quella
    sono stata stato suoi sulla tra tutti tutto uno anni anno było być dla jak jednak jego
    jest jej już lub może nad nie oraz przez przy roku się tak także tego tej też tylko
    które który która więc wszystko zostać został została żeby jako kiedy было быть года
    году для его если есть или как когда который которые которых также только уже что чтобы
    это этого этом при после более будет были была они она ancak bile bir biri bu çok daha
    değil diye gibi göre için ile ise kadar olan olarak olduğu sonra şey şu tarafından yıl
    yılında ayrıca
    """.split()  # noqa: SIM905
)

_NO_SPACE = (
    ("\u0e00", "\u0eff"),
    ("\u1000", "\u109f"),
    ("\u1780", "\u17ff"),
    ("\u3040", "\u30ff"),
    ("\u3400", "\u4dbf"),
    ("\u4e00", "\u9fff"),
    ("\uf900", "\ufaff"),
)
_KIND_OTHER, _KIND_NUMBER, _KIND_TERM, _KIND_CHAR = 0, 1, 2, 3
_TERM_SEED = 0x7E57
_FIGURE_SEED = 0xF16
_FILLER_SEED = 0xF1
_CHAR_WEIGHT_CLASS = 3
_WEIGHT_BITS = np.uint32(0xF)
_BIGRAM_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
STORY_NAMESPACE = 1
NEAR_NAMESPACE = 0
FILLER_NAMESPACE = 2


@dataclass(frozen=True)
class DedupConfig:
    """Dedup knobs; the defaults are chosen from ``bench/quality_core.py`` figures.

    Attributes:
        num_perm: MinHash permutations of the near-tier signature (128).
        ngram: word n-gram size of near-tier shingles (5).
        seed: MinHash permutation seed (1); the story tier uses ``seed + 1``.
        near_threshold: minimum estimated shingle Jaccard for ``near`` (0.7); also
            the LSH design threshold of the near bands.
        near_min_figure_jaccard: non-templated near pairs need at least this Jaccard
            of their figure sets (0.5); templated pairs need equal figure sets.
        story_enabled: whether the ``story`` tier runs at all (True).
        story_window_days: maximum publication-date distance for ``story`` (3).
        story_requires_dates: a document without a date never story-merges (True).
            With False a missing date passes the window test.
        story_threshold: minimum length-weighted Jaccard of story terms for documents
            published the same day (0.10) ...
        story_threshold_per_day: ... plus this per day between them (0.07): same-day
            coverage needs less evidence than a rewrite days later.
        story_figure_veto: documents that both quote at least this many distinct
            figures but share none are not the same story (2; 0 disables).
        story_min_terms: both documents need this many distinct story terms (40).
        story_min_length_ratio: shorter/longer token count at least this (0.2).
        story_max_terms: story terms kept per document, a bottom-k sample (120).
        story_bands, story_rows: LSH banding of the story-term MinHash (32, 1).
        min_term_len: minimum length of a word story term (4).
        max_figures: figure hashes kept per document, a bottom-k sample (16).
        template_number_fraction: a document whose number tokens are at least this
            fraction of its tokens is templated (0.12) ...
        template_short_fraction: ... when numbers plus tokens of at most 3 letters
            are at least this fraction (0.5).
    """

    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    near_threshold: float = 0.7
    near_min_figure_jaccard: float = 0.5
    story_enabled: bool = True
    story_window_days: int = 3
    story_requires_dates: bool = True
    story_threshold: float = 0.10
    story_threshold_per_day: float = 0.07
    story_figure_veto: int = 2
    story_min_terms: int = 40
    story_min_length_ratio: float = 0.2
    story_max_terms: int = 120
    story_bands: int = 32
    story_rows: int = 1
    min_term_len: int = 4
    max_figures: int = 16
    template_number_fraction: float = 0.12
    template_short_fraction: float = 0.5

    def validate(self) -> None:
        """Raise ``ValueError`` on an inconsistent or out-of-range setting."""
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be >= 1, got {self.num_perm}")
        if not 1 <= self.ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be in 1..{MAX_NGRAM}, got {self.ngram}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        for name in (
            "near_threshold",
            "near_min_figure_jaccard",
            "story_threshold",
            "story_threshold_per_day",
            "story_min_length_ratio",
            "template_number_fraction",
            "template_short_fraction",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or math.isnan(value):
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.near_threshold == 0.0:
            raise ValueError("near_threshold must be > 0")
        if self.story_window_days < 0:
            raise ValueError(f"story_window_days must be >= 0, got {self.story_window_days}")
        for name in ("story_min_terms", "story_max_terms", "story_bands", "story_rows"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.story_figure_veto < 0:
            raise ValueError(f"story_figure_veto must be >= 0, got {self.story_figure_veto}")
        if self.min_term_len < 1:
            raise ValueError(f"min_term_len must be >= 1, got {self.min_term_len}")
        if self.max_figures < 1:
            raise ValueError(f"max_figures must be >= 1, got {self.max_figures}")
        if self.story_enabled and self.story_min_terms > self.story_max_terms:
            raise ValueError("story_min_terms must not exceed story_max_terms")

    @property
    def near_params(self) -> LshParams:
        return lsh_params(self.near_threshold, self.num_perm)

    @property
    def num_keys(self) -> int:
        """Columns of :func:`candidate_keys`."""
        return self.near_params.bands + (self.story_bands if self.story_enabled else 0)


@dataclass(frozen=True)
class Features:
    """What verification and banding need of one document (picklable, ~1.3 KB).

    Attributes:
        content_hash: normalised content hash (exact tier).
        published_days: days since 1970-01-01 of the published date, None if missing.
        signature: uint32 ``(num_perm,)`` MinHash of word ``ngram``-shingles.
        terms: sorted uint32 hashes of distinct story terms (bottom-``story_max_terms``
            sample); the low 4 bits are the term's weight class.
        term_count: distinct story terms before sampling.
        figures: sorted uint32 hashes of distinct number tokens (bottom-``max_figures``).
        figure_count: distinct number tokens before sampling.
        token_count: tokens of the document.
        template: mostly numbers and short words (earnings/dividend tables).
    """

    content_hash: str
    published_days: int | None
    signature: np.ndarray
    terms: np.ndarray
    term_count: int
    figures: np.ndarray
    figure_count: int
    token_count: int
    template: bool

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Features):
            return NotImplemented
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if isinstance(mine, np.ndarray):
                if not np.array_equal(mine, theirs):
                    return False
            elif mine != theirs:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


NO_DAY = np.iinfo(np.int64).min


@dataclass
class FeatureTable:
    """Features of many documents, column-wise: what crosses Beam shuffles.

    Ragged columns (``terms``, ``figures``) are flat arrays with ``offsets`` of
    shape ``(n + 1,)``; a missing date is ``NO_DAY``. ``table[i]`` is the
    :class:`Features` row ``i``; iteration yields rows.
    """

    content_hashes: list[str]
    published_days: np.ndarray
    signatures: np.ndarray
    terms: np.ndarray
    term_offsets: np.ndarray
    term_counts: np.ndarray
    figures: np.ndarray
    figure_offsets: np.ndarray
    figure_counts: np.ndarray
    token_counts: np.ndarray
    template: np.ndarray

    def __len__(self) -> int:
        return len(self.content_hashes)

    def __getitem__(self, i: int) -> Features:
        days = int(self.published_days[i])
        t0, t1 = self.term_offsets[i], self.term_offsets[i + 1]
        f0, f1 = self.figure_offsets[i], self.figure_offsets[i + 1]
        return Features(
            content_hash=self.content_hashes[i],
            published_days=None if days == NO_DAY else days,
            signature=self.signatures[i],
            terms=self.terms[t0:t1],
            term_count=int(self.term_counts[i]),
            figures=self.figures[f0:f1],
            figure_count=int(self.figure_counts[i]),
            token_count=int(self.token_counts[i]),
            template=bool(self.template[i]),
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def take(self, rows: np.ndarray) -> FeatureTable:
        """The given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        terms, term_offsets = _take_ragged(self.terms, self.term_offsets, rows)
        figures, figure_offsets = _take_ragged(self.figures, self.figure_offsets, rows)
        return FeatureTable(
            content_hashes=[self.content_hashes[i] for i in rows.tolist()],
            published_days=self.published_days[rows],
            signatures=self.signatures[rows],
            terms=terms,
            term_offsets=term_offsets,
            term_counts=self.term_counts[rows],
            figures=figures,
            figure_offsets=figure_offsets,
            figure_counts=self.figure_counts[rows],
            token_counts=self.token_counts[rows],
            template=self.template[rows],
        )

    @staticmethod
    def concat(tables: list[FeatureTable]) -> FeatureTable:
        """All rows of ``tables``, in order."""
        if len(tables) == 1:
            return tables[0]

        def ragged(values: str, offsets: str) -> tuple[np.ndarray, np.ndarray]:
            lengths = np.concatenate([np.diff(getattr(t, offsets)) for t in tables])
            merged = np.concatenate([getattr(t, values) for t in tables])
            return merged, np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)

        terms, term_offsets = ragged("terms", "term_offsets")
        figures, figure_offsets = ragged("figures", "figure_offsets")
        return FeatureTable(
            content_hashes=[h for t in tables for h in t.content_hashes],
            published_days=np.concatenate([t.published_days for t in tables]),
            signatures=np.vstack([t.signatures for t in tables]),
            terms=terms,
            term_offsets=term_offsets,
            term_counts=np.concatenate([t.term_counts for t in tables]),
            figures=figures,
            figure_offsets=figure_offsets,
            figure_counts=np.concatenate([t.figure_counts for t in tables]),
            token_counts=np.concatenate([t.token_counts for t in tables]),
            template=np.concatenate([t.template for t in tables]),
        )

    @staticmethod
    def from_rows(rows: list[Features], num_perm: int | None = None) -> FeatureTable:
        """A table of ``Features`` rows (e.g. decoded from the index).

        ``num_perm`` only shapes the signature column of an empty table.
        """

        def ragged(name: str) -> tuple[np.ndarray, np.ndarray]:
            parts = [getattr(r, name) for r in rows]
            lengths = [len(p) for p in parts]
            values = np.concatenate(parts) if parts else np.empty(0, np.uint32)
            return values.astype(np.uint32), np.concatenate(([0], np.cumsum(lengths))).astype(
                np.int64
            )

        terms, term_offsets = ragged("terms")
        figures, figure_offsets = ragged("figures")
        return FeatureTable(
            content_hashes=[r.content_hash for r in rows],
            published_days=np.array(
                [NO_DAY if r.published_days is None else r.published_days for r in rows],
                dtype=np.int64,
            ),
            signatures=(
                np.vstack([r.signature for r in rows])
                if rows
                else np.empty((0, num_perm or 0), np.uint32)
            ),
            terms=terms,
            term_offsets=term_offsets,
            term_counts=np.array([r.term_count for r in rows], dtype=np.int64),
            figures=figures,
            figure_offsets=figure_offsets,
            figure_counts=np.array([r.figure_count for r in rows], dtype=np.int64),
            token_counts=np.array([r.token_count for r in rows], dtype=np.int64),
            template=np.array([r.template for r in rows], dtype=bool),
        )


def _take_ragged(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    starts, ends = offsets[rows], offsets[rows + 1]
    lengths = ends - starts
    new_offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    index = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(int(new_offsets[-1]))
    return values[index], new_offsets


@dataclass(frozen=True)
class Match:
    """A verified duplicate: ``method`` is "exact", "near" or "story"."""

    method: str
    similarity: float


def _is_no_space(char: str) -> bool:
    return any(low <= char <= high for low, high in _NO_SPACE)


def _token_entry(token: str, min_term_len: int) -> tuple[int, int, int]:
    """(64-bit token hash, kind, 32-bit term or figure hash) of one token."""
    data = token.encode("utf-8")
    value = xxhash.xxh3_64_intdigest(data, seed=TOKEN_SEED)
    if token[0].isdigit():
        return value, _KIND_NUMBER, xxhash.xxh32_intdigest(data, seed=_FIGURE_SEED)
    if len(token) == 1 and _is_no_space(token):
        return value, _KIND_CHAR, 0
    if len(token) >= min_term_len and token not in STOP_WORDS:
        weight = min(len(token), 12) - 3
        term = (xxhash.xxh32_intdigest(data, seed=_TERM_SEED) & ~0xF) | weight
        return value, _KIND_TERM, term
    return value, _KIND_OTHER, 0


class _TokenCache:
    """Process-wide token -> entry cache, bounded; values are pure functions of the token."""

    _LIMIT = 400_000

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], tuple[int, int, int]] = {}

    def entries(self, tokens: list[str], min_term_len: int) -> tuple[np.ndarray, ...]:
        """(hashes, kinds, extra) arrays of ``tokens``, in order.

        Per-token work is three C-level passes (``dict.fromkeys``, ``map``,
        ``np.fromiter``); Python code runs once per distinct token.
        """
        if len(self._entries) > self._LIMIT:
            self._entries.clear()
        cache = self._entries
        vocabulary = list(dict.fromkeys(tokens))
        position = {token: i for i, token in enumerate(vocabulary)}
        ids = np.fromiter(map(position.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        rows = []
        for token in vocabulary:
            key = (token, min_term_len)
            entry = cache.get(key)
            if entry is None:
                entry = cache[key] = _token_entry(token, min_term_len)
            rows.append(entry)
        table = np.array(rows, dtype=np.uint64).reshape(len(rows), 3)
        return table[ids, 0], table[ids, 1].astype(np.int8), table[ids, 2].astype(np.uint32)


_TOKEN_CACHE = _TokenCache()


def _segment_ids(lengths: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)


def _bottom_k_per_doc(
    doc_ids: np.ndarray, values: np.ndarray, docs: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per document: sorted distinct ``values``, the first ``k`` kept.

    Returns (kept values, offsets of shape (docs + 1,), distinct counts).
    """
    combined = np.unique((doc_ids.astype(np.uint64) << np.uint64(32)) | values.astype(np.uint64))
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


def compute_features(
    texts: list[str],
    content_hashes: list[str],
    published_days: list[int | None],
    config: DedupConfig,
) -> FeatureTable:
    """Features of a batch of cleaned texts, computed column-wise for the whole batch.

    Args:
        texts: cleaned bodies (NFKC, header removed).
        content_hashes: their normalised content hashes, same order.
        published_days: days since 1970-01-01, or None when the date is missing.
        config: a validated :class:`DedupConfig`.

    Returns:
        A :class:`FeatureTable` with one row per text, same order. Every row is
        identical to what the one-document-at-a-time reference computes, and does
        not depend on the other texts of the batch.
    """
    if not len(texts) == len(content_hashes) == len(published_days):
        raise ValueError("texts, content_hashes and published_days differ in length")
    docs = len(texts)
    token_lists = [tokenize(text) for text in texts]
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=docs)
    all_tokens = [token for tokens in token_lists for token in tokens]
    hashes, kinds, extra = _TOKEN_CACHE.entries(all_tokens, config.min_term_len)
    owner = _segment_ids(lengths)
    shingles, shingle_counts = _flat_shingles(hashes, lengths, config.ngram)
    sigs = signatures_flat(shingles, shingle_counts, config.num_perm, config.seed)

    is_term = kinds == _KIND_TERM
    is_char = kinds == _KIND_CHAR
    bigram_at = np.flatnonzero(is_char[:-1] & is_char[1:] & (owner[:-1] == owner[1:]))
    mixed = hashes[bigram_at] * _BIGRAM_MIX[0] + hashes[bigram_at + 1] * _BIGRAM_MIX[1]
    mixed ^= mixed >> np.uint64(32)
    bigrams = (mixed & np.uint64(0xFFFFFFF0)).astype(np.uint32) | np.uint32(_CHAR_WEIGHT_CLASS)
    terms, term_offsets, term_counts = _bottom_k_per_doc(
        np.concatenate((owner[is_term], owner[bigram_at])),
        np.concatenate((extra[is_term], bigrams)),
        docs,
        config.story_max_terms,
    )
    is_number = kinds == _KIND_NUMBER
    figures, figure_offsets, figure_counts = _bottom_k_per_doc(
        owner[is_number], extra[is_number], docs, config.max_figures
    )
    numbers = np.bincount(owner[is_number], minlength=docs)
    short = np.bincount(owner[kinds == _KIND_OTHER], minlength=docs)
    template = (
        (lengths > 0)
        & (numbers >= config.template_number_fraction * lengths)
        & (numbers + short >= config.template_short_fraction * lengths)
    )
    return FeatureTable(
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
    )


def _story_eligible(features: Features, config: DedupConfig) -> bool:
    return (
        config.story_enabled
        and not features.template
        and features.term_count >= config.story_min_terms
        and (features.published_days is not None or not config.story_requires_dates)
    )


def _story_eligible_rows(table: FeatureTable, config: DedupConfig) -> np.ndarray:
    """Vectorised :func:`_story_eligible` over every row of ``table``."""
    eligible = ~table.template & (table.term_counts >= config.story_min_terms)
    if config.story_requires_dates:
        eligible &= table.published_days != NO_DAY
    return eligible & config.story_enabled


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
    columns = (np.arange(count, dtype=np.uint64) + np.uint64(1)) * _BIGRAM_MIX[1]
    keys = (bases[:, None] ^ columns[None, :]) * _BIGRAM_MIX[0]
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
    mixed = keys ^ (tiles * _BIGRAM_MIX[1])
    mixed *= _BIGRAM_MIX[0]
    mixed ^= mixed >> np.uint64(29)
    return mixed


def _as_table(features, config: DedupConfig) -> FeatureTable:
    if isinstance(features, FeatureTable):
        return features
    return FeatureTable.from_rows(list(features), config.num_perm)


def candidate_keys(features: FeatureTable | list[Features], config: DedupConfig) -> np.ndarray:
    """uint64 LSH bucket keys, shape ``(len(features), config.num_keys)``.

    Columns: the near-tier bands of ``signature`` (namespace 0), then, if the story
    tier is enabled, ``story_bands`` bands of ``story_rows`` MinHash values of the
    story terms (namespace 1, seed ``seed + 1``), each mixed with a publication-date
    tile when dates are required (see :func:`_with_date_tiles`). Two documents are a
    candidate pair iff they share any key. A document a tier cannot apply to (no
    tokens; templated, undated or too short for ``story``) gets keys derived from its
    content hash in that tier's columns, which only its exact duplicates share.
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
    if config.story_enabled:
        story = LshParams(bands=config.story_bands, rows=config.story_rows)
        eligible = _story_eligible_rows(table, config)
        lengths = np.diff(table.term_offsets)
        values = table.terms[np.repeat(eligible, lengths)]
        story_sigs = signatures_flat(
            values, np.where(eligible, lengths, 0), story.bands * story.rows, config.seed + 1
        )
        story_keys = band_keys(story_sigs, story, STORY_NAMESPACE)
        if config.story_requires_dates:
            story_keys = _with_date_tiles(
                story_keys, table.published_days, config.story_window_days
            )
        out[:, near.bands :] = story_keys
        ineligible = np.flatnonzero(~eligible)
        if len(ineligible):
            hashes = [table.content_hashes[i] for i in ineligible.tolist()]
            out[ineligible, near.bands :] = _filler_keys(hashes, story.bands, STORY_NAMESPACE)
    return out


def _sample_ceiling(values: np.ndarray, total: int) -> float:
    """Largest hash a bottom-k sample covers completely (inf when not truncated)."""
    return float(values[-1]) if len(values) < total else math.inf


def _weighted_jaccard(a: Features, b: Features) -> float:
    ceiling = min(_sample_ceiling(a.terms, a.term_count), _sample_ceiling(b.terms, b.term_count))
    terms_a, terms_b = a.terms, b.terms
    if ceiling != math.inf:
        terms_a = terms_a[terms_a <= ceiling]
        terms_b = terms_b[terms_b <= ceiling]
    shared = np.intersect1d(terms_a, terms_b, assume_unique=True)
    weight_shared = int((shared & _WEIGHT_BITS).sum())
    weight_all = int((terms_a & _WEIGHT_BITS).sum()) + int((terms_b & _WEIGHT_BITS).sum())
    union = weight_all - weight_shared
    return weight_shared / union if union else 0.0


def _figure_jaccard(a: Features, b: Features) -> float:
    if a.figure_count == 0 and b.figure_count == 0:
        return 1.0
    ceiling = min(
        _sample_ceiling(a.figures, a.figure_count), _sample_ceiling(b.figures, b.figure_count)
    )
    figs_a = a.figures[a.figures <= ceiling] if ceiling != math.inf else a.figures
    figs_b = b.figures[b.figures <= ceiling] if ceiling != math.inf else b.figures
    shared = len(np.intersect1d(figs_a, figs_b, assume_unique=True))
    union = len(figs_a) + len(figs_b) - shared
    return shared / union if union else 1.0


def _same_figures(a: Features, b: Features) -> bool:
    return a.figure_count == b.figure_count and np.array_equal(a.figures, b.figures)


def _day_distance(a: Features, b: Features, config: DedupConfig) -> int | None:
    """Days between the documents; 0 if one is undated and dates are optional."""
    if a.published_days is None or b.published_days is None:
        return None if config.story_requires_dates else 0
    distance = abs(a.published_days - b.published_days)
    return distance if distance <= config.story_window_days else None


def verify_pairs(
    canonical: FeatureTable, candidate: FeatureTable, config: DedupConfig
) -> list[Match | None]:
    """:func:`verify` of row ``i`` of ``canonical`` against row ``i`` of ``candidate``.

    Same results as calling :func:`verify` pair by pair; the cheap conditions
    every match needs (equal hash, near-tier Jaccard, story eligibility, date
    window, length ratio) are checked for all pairs at once, so only plausible
    pairs reach the per-pair rules.
    """
    n = len(canonical)
    results: list[Match | None] = [None] * n
    if n == 0:
        return results
    exact = np.fromiter(
        (x == y for x, y in zip(canonical.content_hashes, candidate.content_hashes, strict=True)),
        dtype=bool,
        count=n,
    )
    nonempty = ~(canonical.signatures == EMPTY_VALUE).all(axis=1)
    estimate = (canonical.signatures == candidate.signatures).mean(axis=1)
    plausible = nonempty & (estimate >= config.near_threshold)
    if config.story_enabled:
        both = _story_eligible_rows(canonical, config) & _story_eligible_rows(candidate, config)
        days_a, days_b = canonical.published_days, candidate.published_days
        dated = (days_a != NO_DAY) & (days_b != NO_DAY)
        distance = np.where(dated, np.abs(np.where(dated, days_a - days_b, 0)), 0)
        shorter = np.minimum(canonical.token_counts, candidate.token_counts)
        longer = np.maximum(canonical.token_counts, candidate.token_counts)
        plausible |= (
            both
            & (distance <= config.story_window_days)
            & (shorter >= config.story_min_length_ratio * longer)
        )
    for i in np.flatnonzero(exact).tolist():
        results[i] = Match("exact", 1.0)
    for i in np.flatnonzero(plausible & ~exact).tolist():
        results[i] = verify(canonical[i], candidate[i], config)
    return results


def verify(canonical: Features, candidate: Features, config: DedupConfig) -> Match | None:
    """Decide whether ``candidate`` duplicates ``canonical``; pure and symmetric.

    ``exact`` iff the content hashes are equal. Otherwise ``near`` when the
    estimated shingle Jaccard reaches ``near_threshold`` and the figures agree
    (identical sets if either document is templated, else figure Jaccard at least
    ``near_min_figure_jaccard``); otherwise ``story`` when both documents are story
    eligible, within the date window, of comparable length, and their weighted
    story-term Jaccard reaches ``story_threshold``. ``None`` when nothing holds.
    """
    if canonical.content_hash == candidate.content_hash:
        return Match("exact", 1.0)
    a, b = canonical, candidate
    if len(a.signature) == len(b.signature) and not (a.signature == EMPTY_VALUE).all():
        near = float(np.count_nonzero(a.signature == b.signature)) / len(a.signature)
        if near >= config.near_threshold:
            if a.template or b.template:
                figures_ok = _same_figures(a, b)
            else:
                figures_ok = _figure_jaccard(a, b) >= config.near_min_figure_jaccard
            if figures_ok:
                return Match("near", near)
    if not (_story_eligible(a, config) and _story_eligible(b, config)):
        return None
    distance = _day_distance(a, b, config)
    if distance is None:
        return None
    if (
        config.story_figure_veto
        and min(a.figure_count, b.figure_count) >= config.story_figure_veto
        and _figure_jaccard(a, b) == 0.0
    ):
        return None
    shorter, longer = sorted((a.token_count, b.token_count))
    if shorter < config.story_min_length_ratio * longer:
        return None
    story = _weighted_jaccard(a, b)
    if story >= config.story_threshold + config.story_threshold_per_day * distance:
        return Match("story", story)
    return None
