"""Per-document dedup features, LSH candidate keys and pair verification (Beam-free).

Three tiers, decided pair by pair by :func:`verify`:

* ``exact``: equal normalised content hash.
* ``near``: MinHash-estimated Jaccard of word ``ngram``-shingles at least
  ``near_threshold`` *and* compatible figures (number tokens). Templated items
  (earnings, dividends: mostly numbers and short words) need identical figure
  sets, so "Shr 46 cts vs 31 cts" never merges with "Shr 47 cts vs 31 cts".
* ``story``: same-story rewrites with low lexical overlap, precision first. Both
  documents must be dated, published within ``story_window_days`` of each other,
  not templated, of comparable length, pass two figure vetoes, share enough
  weighted *story terms*, and, for scripts with letter case, share enough *named
  entities*: entity terms, lead entities and each other's key entities (see
  :func:`verify` for the eight steps and :mod:`transforms.core.entities` for the
  extraction). Caseless scripts (Arabic, Thai, Kana, Han) have no entity evidence
  and fall back to the story-term rule. ``story_loose`` swaps in recall-oriented
  thresholds.

Story terms are the distinct word tokens of at least ``min_term_len``
characters that are not in a small fixed multilingual stop list, plus bigrams
of consecutive characters in scripts written without spaces (Han, Kana, Thai).
Their weight is fixed by token length (longer tokens are rarer: names, places),
never by corpus statistics, so features are incremental and the same on every
worker. The weight class lives in the low 4 bits of each term's 32-bit hash;
entity terms use the same layout (word, long word, multi-word name or acronym).

Features are computed for a whole batch at once: one regex pass over the batch's
original-case texts yields the product's tokens and the sentence/line structure,
each distinct token is classified once (process-wide vocabulary), and everything
else is array operations; ``tests/transforms/core/reference_features.py`` computes
the same rows one document at a time.

Every hash is seeded xxhash (through :mod:`transforms.core.tokens`) or MinHash
(:mod:`transforms.core.minhash`); nothing depends on Python's ``hash()``, the
batch composition or iteration order.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, fields
from itertools import chain, repeat

import numpy as np
import xxhash

from newsingest.transforms.core import entities
from newsingest.transforms.core.minhash import (
    EMPTY_VALUE,
    LshParams,
    band_keys,
    lsh_params,
    signatures_flat,
)
from newsingest.transforms.core.tokens import MAX_NGRAM, TOKEN_SEED, shingle_hashes, tokenize

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
LEAD_NAMESPACE = 3


_LOOSE_RULES = {
    "story_entity_threshold": 0.08,
    "story_term_threshold": 0.05,
    "story_term_threshold_per_day": 0.0,
    "story_figure_veto_jaccard": 0.0,
    "story_key_containment": 0.0,
}


@dataclass(frozen=True)
class DedupConfig:
    """Dedup knobs; defaults from ``bench/quality_core.py`` and ``bench/quality_lab.py``.

    Near tier:
        num_perm: MinHash permutations of the near-tier signature (128).
        ngram: word n-gram size of near-tier shingles (5).
        seed: MinHash permutation seed (1); the story tier uses ``seed + 1`` (entity
            bands) and ``seed + 2`` (lead bands).
        near_threshold: minimum estimated shingle Jaccard for ``near`` (0.7); also
            the LSH design threshold of the near bands.
        near_min_figure_jaccard: non-templated near pairs need at least this Jaccard
            of their figure sets (0.5); templated pairs need equal figure sets.

    Story tier, common rules (see :func:`verify` for their order):
        story_enabled: whether the ``story`` tier runs at all (True).
        story_window_days: maximum publication-date distance for ``story`` (3).
        story_requires_dates: a document without a date never story-merges (True).
            With False a missing date passes the window test.
        story_min_length_ratio: shorter/longer token count at least this (0.2).
        story_figure_veto: documents that both quote at least this many distinct
            figures ... (3; 0 disables)
        story_figure_veto_jaccard: ... are not the same story when their figure
            Jaccard is at most this (0.25; 0 vetoes only when they share none).
        story_lead_figure_veto: documents that both quote at least this many distinct
            figures among their first ``story_lead_figure_tokens`` tokens must quote the
            same ones there (2; 0 disables): templated notices with a prose tail.
        story_lead_figure_tokens: tokens of the lead that figures are read from (40).

    Story tier, cased scripts (entity evidence, ``bench/quality_lab.py`` "ent_strict"):
        story_min_entities: both documents need this many distinct entity terms (6).
        story_term_threshold: minimum weighted story-term Jaccard of documents published
            the same day (0.20; 0 disables the term rule) ...
        story_term_threshold_per_day: ... plus this per day between them (0.03).
        story_min_shared_entities: entity terms both documents mention (3).
        story_min_shared_lead: lead entities both documents mention (1).
        story_key_containment: at least this fraction of each document's key entities
            must be among the other's entities (0.5; 0 disables).
        story_entity_threshold: minimum weighted entity Jaccard on the same day (0.15) ...
        story_entity_threshold_per_day: ... plus this per day between them (0.05).
        story_loose: use the recall-oriented "ent_loose" thresholds instead of the
            precision-first ones (False): entity threshold 0.08, term threshold 0.05
            (flat), no figure-Jaccard veto beyond "share none", no key containment.
            Lab figures (Reuters-21578 / SemEval-2022 en-en): strict 308 story merges,
            0 templated false merges, recall 0.083; loose 1,521 merges, 3 templated
            false merges, recall 0.444. It replaces those five thresholds, so setting
            any of them to a non-default value together with it is rejected.

    Story tier, caseless scripts (Arabic, Thai, Kana, Han: no entity evidence):
        story_threshold: minimum weighted story-term Jaccard on the same day (0.10) ...
        story_threshold_per_day: ... plus this per day between them (0.07).
        story_min_terms: both documents need this many distinct story terms (40).

    Features and keys:
        story_max_terms: story terms kept per document, a bottom-k sample (120).
        min_term_len: minimum length of a word story term (4).
        max_figures: figure hashes kept per document, and lead figures, a bottom-k
            sample (16).
        story_max_entities: entity terms kept per document, a bottom-k sample (64).
        story_lead_words: words of the lead that lead entities come from (60).
        story_max_lead_entities: lead entities kept, a bottom-k sample (16).
        story_key_entities: most-mentioned entity terms (>= 2 mentions) kept as key
            entities (8) ...
        story_subject_entities: ... plus the first entity words of the text (3).
        story_bands, story_rows: LSH banding of the entity-term MinHash (16, 2).
        story_lead_bands: bands (of ``story_rows`` rows) of the lead-entity MinHash (8).
        story_caseless_rows: rows per band when a caseless document bands its story terms
            in both families instead (1): same-story term Jaccard there is 0.1-0.3, and
            2-row bands found only 0.44 of SemEval zh-zh same-story pairs.
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
    story_figure_veto: int = 3
    story_min_terms: int = 40
    story_min_length_ratio: float = 0.2
    story_max_terms: int = 120
    story_bands: int = 16
    story_rows: int = 2
    min_term_len: int = 4
    max_figures: int = 16
    template_number_fraction: float = 0.12
    template_short_fraction: float = 0.5
    story_figure_veto_jaccard: float = 0.25
    story_lead_figure_veto: int = 2
    story_lead_figure_tokens: int = 40
    story_min_entities: int = 6
    story_term_threshold: float = 0.20
    story_term_threshold_per_day: float = 0.03
    story_min_shared_entities: int = 3
    story_min_shared_lead: int = 1
    story_key_containment: float = 0.5
    story_entity_threshold: float = 0.15
    story_entity_threshold_per_day: float = 0.05
    story_loose: bool = False
    story_max_entities: int = 64
    story_lead_words: int = 60
    story_max_lead_entities: int = 16
    story_key_entities: int = 8
    story_subject_entities: int = 3
    story_lead_bands: int = 8
    story_caseless_rows: int = 1

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
            "story_figure_veto_jaccard",
            "story_term_threshold",
            "story_term_threshold_per_day",
            "story_key_containment",
            "story_entity_threshold",
            "story_entity_threshold_per_day",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or math.isnan(value):
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.near_threshold == 0.0:
            raise ValueError("near_threshold must be > 0")
        for name in (
            "story_window_days",
            "story_figure_veto",
            "story_lead_figure_veto",
            "story_min_shared_entities",
            "story_min_shared_lead",
            "story_lead_bands",
            "story_subject_entities",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in (
            "story_min_terms",
            "story_max_terms",
            "story_bands",
            "story_rows",
            "min_term_len",
            "max_figures",
            "story_min_entities",
            "story_max_entities",
            "story_lead_words",
            "story_max_lead_entities",
            "story_key_entities",
            "story_lead_figure_tokens",
            "story_caseless_rows",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.story_enabled and self.story_min_terms > self.story_max_terms:
            raise ValueError("story_min_terms must not exceed story_max_terms")
        if self.story_enabled and self.story_min_entities > self.story_max_entities:
            raise ValueError("story_min_entities must not exceed story_max_entities")
        if self.story_loose:
            defaults = DedupConfig()
            changed = [n for n in _LOOSE_RULES if getattr(self, n) != getattr(defaults, n)]
            if changed:
                raise ValueError(f"story_loose replaces {', '.join(changed)}: leave them unset")

    @property
    def near_params(self) -> LshParams:
        return lsh_params(self.near_threshold, self.num_perm)

    @property
    def num_keys(self) -> int:
        """Columns of :func:`candidate_keys`."""
        story = self.story_bands + self.story_lead_bands if self.story_enabled else 0
        return self.near_params.bands + story

    def story_rule(self, name: str) -> float:
        """The threshold ``name`` of the cased story rules, ``story_loose`` applied."""
        if self.story_loose and name in _LOOSE_RULES:
            return _LOOSE_RULES[name]
        return getattr(self, name)


@dataclass(frozen=True)
class Features:
    """What verification and banding need of one document (picklable, at most ~2.1 KB).

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
        entities: sorted uint32 hashes of distinct entity terms from the original-case
            text (bottom-``story_max_entities``); low 4 bits: weight class (2 word,
            3 word of >= 8 letters, 4 multi-word name or acronym). See
            :mod:`transforms.core.entities`.
        entity_count: distinct entity terms before sampling.
        lead_entities: sorted hashes (as in ``entities``) of the entity words among the
            first ``story_lead_words`` words (bottom-``story_max_lead_entities``).
        key_entities: sorted hashes (as in ``entities``) of the key entities: at most
            ``story_key_entities`` most-mentioned plus ``story_subject_entities`` first.
        lead_figures: sorted hashes (as in ``figures``) of the distinct number tokens
            among the first ``story_lead_figure_tokens`` tokens (bottom-``max_figures``).
        caseless: mostly written in a script without letter case (no entity evidence).
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
    entities: np.ndarray
    entity_count: int
    lead_entities: np.ndarray
    key_entities: np.ndarray
    lead_figures: np.ndarray
    caseless: bool

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


# Ragged columns of FeatureTable: (Features field, values column, offsets column).
_RAGGED = (
    ("terms", "terms", "term_offsets"),
    ("figures", "figures", "figure_offsets"),
    ("entities", "entities", "entity_offsets"),
    ("lead_entities", "lead_entities", "lead_entity_offsets"),
    ("key_entities", "key_entities", "key_entity_offsets"),
    ("lead_figures", "lead_figures", "lead_figure_offsets"),
)
# Scalar columns: (Features field, column, dtype).
_SCALARS = (
    ("term_count", "term_counts", np.int64),
    ("figure_count", "figure_counts", np.int64),
    ("token_count", "token_counts", np.int64),
    ("template", "template", bool),
    ("entity_count", "entity_counts", np.int64),
    ("caseless", "caseless", bool),
)


@dataclass
class FeatureTable:
    """Features of many documents, column-wise: what crosses Beam shuffles.

    Ragged columns (``terms``, ``figures``, ``entities``, ``lead_entities``,
    ``key_entities``, ``lead_figures``) are flat uint32 arrays, each with offsets of
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
    entities: np.ndarray
    entity_offsets: np.ndarray
    entity_counts: np.ndarray
    lead_entities: np.ndarray
    lead_entity_offsets: np.ndarray
    key_entities: np.ndarray
    key_entity_offsets: np.ndarray
    lead_figures: np.ndarray
    lead_figure_offsets: np.ndarray
    caseless: np.ndarray

    def __len__(self) -> int:
        return len(self.content_hashes)

    def __getitem__(self, i: int) -> Features:
        days = int(self.published_days[i])
        values = {}
        for field, column, offsets in _RAGGED:
            bounds = getattr(self, offsets)
            values[field] = getattr(self, column)[bounds[i] : bounds[i + 1]]
        for field, column, dtype in _SCALARS:
            values[field] = (
                bool(getattr(self, column)[i]) if dtype is bool else int(getattr(self, column)[i])
            )
        return Features(
            content_hash=self.content_hashes[i],
            published_days=None if days == NO_DAY else days,
            signature=self.signatures[i],
            **values,
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def ragged(self, field: str, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(values, offsets) of a ragged column, of ``rows`` if given."""
        _, column, offsets = next(r for r in _RAGGED if r[0] == field)
        values, bounds = getattr(self, column), getattr(self, offsets)
        if rows is None:
            return values, bounds
        return _take_ragged(values, bounds, rows)

    def take(self, rows: np.ndarray) -> FeatureTable:
        """The given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = {}
        for field, column, offsets in _RAGGED:
            columns[column], columns[offsets] = self.ragged(field, rows)
        for _, column, _ in _SCALARS:
            columns[column] = getattr(self, column)[rows]
        return FeatureTable(
            content_hashes=[self.content_hashes[i] for i in rows.tolist()],
            published_days=self.published_days[rows],
            signatures=self.signatures[rows],
            **columns,
        )

    @staticmethod
    def concat(tables: list[FeatureTable]) -> FeatureTable:
        """All rows of ``tables``, in order."""
        if len(tables) == 1:
            return tables[0]
        columns = {}
        for _, column, offsets in _RAGGED:
            lengths = np.concatenate([np.diff(getattr(t, offsets)) for t in tables])
            columns[column] = np.concatenate([getattr(t, column) for t in tables])
            columns[offsets] = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        for _, column, _ in _SCALARS:
            columns[column] = np.concatenate([getattr(t, column) for t in tables])
        return FeatureTable(
            content_hashes=[h for t in tables for h in t.content_hashes],
            published_days=np.concatenate([t.published_days for t in tables]),
            signatures=np.vstack([t.signatures for t in tables]),
            **columns,
        )

    @staticmethod
    def from_rows(rows: list[Features], num_perm: int | None = None) -> FeatureTable:
        """A table of ``Features`` rows (e.g. decoded from the index).

        ``num_perm`` only shapes the signature column of an empty table.
        """
        columns = {}
        for field, column, offsets in _RAGGED:
            parts = [getattr(r, field) for r in rows]
            lengths = [len(p) for p in parts]
            values = np.concatenate(parts) if parts else np.empty(0, np.uint32)
            columns[column] = values.astype(np.uint32)
            columns[offsets] = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        for field, column, dtype in _SCALARS:
            columns[column] = np.array([getattr(r, field) for r in rows], dtype=dtype)
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
            **columns,
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


_COLUMNS = (
    ("hash", np.uint64),
    ("kind", np.int8),
    ("extra", np.uint32),
    ("type", np.int8),
    ("flags", np.int16),
    ("letters", np.int32),
    ("capitals", np.int32),
    ("entity", np.uint32),
    ("part", np.uint64),
    ("acronym", np.uint32),
)


class _Vocabulary:
    """Process-wide token -> id, with per-id columns; bounded, values pure functions.

    ``casefold=True`` takes stream tokens (:data:`entities.STREAM_RE`, original case):
    the product columns (hash, kind, extra) are :func:`_token_entry` of the casefolded
    token (``'s`` -> ``s``; none for marks), the others :func:`entities.scan_entry`.
    ``casefold=False`` takes tokens of :func:`tokenize` as they are (product columns
    only). Per token, a lookup is C-level (``map`` of ``dict.get`` into
    ``np.fromiter``); Python code runs once per new distinct token.
    """

    _LIMIT = 400_000

    def __init__(self, min_term_len: int, casefold: bool) -> None:
        self._min_term_len = min_term_len
        self._casefold = casefold
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._ids: dict[str, int] = {}
        self.columns = {name: np.empty(1024, dtype) for name, dtype in _COLUMNS}

    def _entry(self, token: str) -> tuple[int, ...]:
        if not self._casefold:
            return (*_token_entry(token, self._min_term_len), *_NO_SCAN)
        scan = entities.scan_entry(token, STOP_WORDS)
        if scan[0] in (entities.MARK, entities.NEWLINE):
            return (0, _KIND_OTHER, 0, *scan)
        product = "s" if scan[0] == entities.POSSESSIVE else token.casefold()
        return (*_token_entry(product, self._min_term_len), *scan)

    def lookup(self, tokens: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Ids of ``tokens``, in order, and the columns they index.

        Thread-safe: the columns returned stay valid for these ids whatever other
        threads add later (growth copies, a reset starts new arrays).
        """
        with self._lock:
            return self._lookup(tokens)

    def _lookup(self, tokens: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if len(self._ids) > self._LIMIT:
            self._reset()
        ids_of = self._ids
        ids = np.fromiter(map(ids_of.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        missing = np.flatnonzero(ids < 0)
        if not len(missing):
            return ids, dict(self.columns)
        new = list(dict.fromkeys(tokens[i] for i in missing.tolist()))
        base = len(ids_of)
        rows = np.array([self._entry(token) for token in new], dtype=np.uint64)
        size = base + len(new)
        if size > len(self.columns["hash"]):
            capacity = max(size, 2 * len(self.columns["hash"]))
            for name, dtype in _COLUMNS:
                grown = np.empty(capacity, dtype)
                grown[:base] = self.columns[name][:base]
                self.columns[name] = grown
        for k, (name, dtype) in enumerate(_COLUMNS):
            self.columns[name][base:size] = rows[:, k].astype(dtype)
        ids_of.update(zip(new, range(base, size), strict=True))
        ids[missing] = np.fromiter(
            map(ids_of.__getitem__, (tokens[i] for i in missing.tolist())),
            dtype=np.int64,
            count=len(missing),
        )
        return ids, dict(self.columns)


_NO_SCAN = (entities.WORD, 0, 0, 0, 0, 0, 0)
_VOCABULARIES: dict[tuple[int, bool], _Vocabulary] = {}


def _vocabulary(min_term_len: int, casefold: bool) -> _Vocabulary:
    key = (min_term_len, casefold)
    vocabulary = _VOCABULARIES.get(key)
    if vocabulary is None:
        vocabulary = _VOCABULARIES.setdefault(key, _Vocabulary(min_term_len, casefold))
    return vocabulary


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
    vocabulary = _vocabulary(config.min_term_len, casefold=True)
    ids, stream_owner, columns = _stream(texts, vocabulary)
    types = columns["type"][ids]
    hashes, kinds, extra, lengths = _product_tokens(
        texts, ids, types, stream_owner, columns, config.min_term_len
    )
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
    local = np.arange(len(owner)) - np.concatenate(([0], np.cumsum(lengths)))[owner]
    in_lead = is_number & (local < config.story_lead_figure_tokens)
    lead_figures, lead_figure_offsets, _ = _bottom_k_per_doc(
        owner[in_lead], extra[in_lead], docs, config.max_figures
    )
    numbers = np.bincount(owner[is_number], minlength=docs)
    short = np.bincount(owner[kinds == _KIND_OTHER], minlength=docs)
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
    texts: list[str], vocabulary: _Vocabulary
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
    fallback = _vocabulary(min_term_len, casefold=False)
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


def _story_eligible(features: Features, config: DedupConfig) -> bool:
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


def _story_eligible_rows(table: FeatureTable, config: DedupConfig) -> np.ndarray:
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


def _story_family(
    table: FeatureTable,
    eligible: np.ndarray,
    field: str,
    bands: int,
    config: DedupConfig,
    seed: int,
    namespace: int,
) -> np.ndarray:
    """Band keys of one story MinHash family: ``field`` of cased rows, terms of caseless ones.

    Caseless rows band ``story_caseless_rows`` values per band (their same-story term
    Jaccard is low); their keys only meet other caseless rows' keys by chance.

    Eligible rows whose set is empty get filler keys (no giant bucket of empty sets).
    """
    params = LshParams(bands=bands, rows=config.story_rows)
    values, offsets = table.ragged(field)
    lengths = np.where(eligible & ~table.caseless, np.diff(offsets), 0)
    sigs = signatures_flat(
        values[np.repeat(lengths > 0, np.diff(offsets))], lengths, bands * config.story_rows, seed
    )
    caseless = eligible & table.caseless
    if caseless.any():
        terms, term_offsets = table.ragged("terms")
        term_lengths = np.where(caseless, np.diff(term_offsets), 0)
        term_sigs = signatures_flat(
            terms[np.repeat(term_lengths > 0, np.diff(term_offsets))],
            term_lengths,
            bands * config.story_caseless_rows,
            seed,
        )
        lengths = np.where(caseless, term_lengths, lengths)
    keys = band_keys(sigs, params, namespace)
    if caseless.any():
        term_params = LshParams(bands=bands, rows=config.story_caseless_rows)
        keys[caseless] = band_keys(term_sigs[caseless], term_params, namespace)
    empty = np.flatnonzero(eligible & (lengths == 0))
    if len(empty):
        keys[empty] = _filler_keys(
            [table.content_hashes[i] for i in empty.tolist()], bands, namespace
        )
    return keys


def candidate_keys(features: FeatureTable | list[Features], config: DedupConfig) -> np.ndarray:
    """uint64 LSH bucket keys, shape ``(len(features), config.num_keys)``.

    Columns: the near-tier bands of ``signature`` (namespace 0); then, if the story
    tier is enabled, ``story_bands`` bands of ``story_rows`` MinHash values of the
    entity terms (namespace 1, seed ``seed + 1``) and ``story_lead_bands`` bands of
    the lead entities (namespace 3, seed ``seed + 2``); caseless documents band their
    story terms in both families. Story keys are mixed with a publication-date tile
    when dates are required (see :func:`_with_date_tiles`). Two documents are a
    candidate pair iff they share any key. A document a tier cannot apply to (no
    tokens; templated, undated or without enough evidence for ``story``) gets keys
    derived from its content hash in that tier's columns, which only its exact
    duplicates share.
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
        eligible = _story_eligible_rows(table, config)
        story_keys = np.hstack(
            (
                _story_family(
                    table,
                    eligible,
                    "entities",
                    config.story_bands,
                    config,
                    config.seed + 1,
                    STORY_NAMESPACE,
                ),
                _story_family(
                    table,
                    eligible,
                    "lead_entities",
                    config.story_lead_bands,
                    config,
                    config.seed + 2,
                    LEAD_NAMESPACE,
                ),
            )
        )
        if config.story_requires_dates:
            story_keys = _with_date_tiles(
                story_keys, table.published_days, config.story_window_days
            )
        out[:, near.bands :] = story_keys
        ineligible = np.flatnonzero(~eligible)
        if len(ineligible):
            hashes = [table.content_hashes[i] for i in ineligible.tolist()]
            out[ineligible, near.bands :] = _filler_keys(
                hashes, config.num_keys - near.bands, STORY_NAMESPACE
            )
    return out


def _sample_ceiling(values: np.ndarray, total: int) -> float:
    """Largest hash a bottom-k sample covers completely (inf when not truncated)."""
    return float(values[-1]) if len(values) < total else math.inf


def _sampled(
    a: np.ndarray, a_count: int, b: np.ndarray, b_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two bottom-k samples cut to the hash range both cover completely."""
    ceiling = min(_sample_ceiling(a, a_count), _sample_ceiling(b, b_count))
    if ceiling == math.inf:
        return a, b
    return a[a <= ceiling], b[b <= ceiling]


def _weighted(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """(weighted Jaccard, shared count) of two sets of weight-class hashes."""
    shared = np.intersect1d(a, b, assume_unique=True)
    weight_shared = int((shared & _WEIGHT_BITS).sum())
    union = int((a & _WEIGHT_BITS).sum()) + int((b & _WEIGHT_BITS).sum()) - weight_shared
    return (weight_shared / union if union else 0.0), len(shared)


def _weighted_jaccard(a: Features, b: Features) -> float:
    return _weighted(*_sampled(a.terms, a.term_count, b.terms, b.term_count))[0]


def _key_containment(key: np.ndarray, other: np.ndarray, other_count: int) -> float:
    """Fraction of ``key`` among ``other``'s entities, over the hashes its sample covers."""
    known = key[key <= _sample_ceiling(other, other_count)]
    if not len(known):
        return 0.0
    return len(np.intersect1d(known, other, assume_unique=True)) / len(known)


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
    every match needs (equal hash, near-tier Jaccard; for ``story``: eligibility,
    date window, length ratio, same case class, minimum shared-entity and lead counts)
    are checked for all pairs at once, so only plausible pairs reach the per-pair rules.
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
        cased = ~canonical.caseless & ~candidate.caseless
        fewest = np.minimum(canonical.entity_counts, candidate.entity_counts)
        fewest_lead = np.minimum(
            np.diff(canonical.lead_entity_offsets), np.diff(candidate.lead_entity_offsets)
        )
        evidence = (canonical.caseless & candidate.caseless) | cased & (
            fewest >= config.story_min_shared_entities
        ) & (fewest_lead >= config.story_min_shared_lead)
        plausible |= (
            both
            & (distance <= config.story_window_days)
            & (shorter >= config.story_min_length_ratio * longer)
            & evidence
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
    ``near_min_figure_jaccard``). Otherwise ``story`` when, in this order:

    1. both documents are story eligible (not templated, dated unless dates are
       optional, ``story_min_entities`` entity terms, or ``story_min_terms`` story
       terms if caseless);
    2. they were published within ``story_window_days``;
    3. their token counts are comparable (``story_min_length_ratio``);
    4. the figure veto does not apply (both quote >= ``story_figure_veto`` figures and
       their figure Jaccard is <= ``story_figure_veto_jaccard``);
    5. the lead figure veto does not apply (both lead with >= ``story_lead_figure_veto``
       figures, and not the same ones);
    6. caseless documents (both must be) need weighted story-term Jaccard >=
       ``story_threshold`` + ``story_threshold_per_day`` per day, and stop here;
    7. cased documents need weighted story-term Jaccard >= ``story_term_threshold`` +
       ``story_term_threshold_per_day`` per day (if the threshold is not 0);
    8. and entity evidence: >= ``story_min_shared_entities`` shared entity terms,
       >= ``story_min_shared_lead`` shared lead entities, each document's key entities
       >= ``story_key_containment`` contained in the other's entities, and weighted
       entity Jaccard >= ``story_entity_threshold`` + ``story_entity_threshold_per_day``
       per day; the similarity reported is that entity Jaccard.

    Samples (bottom-k) are compared over the hash range both cover. ``story_loose``
    swaps in the loose thresholds (:meth:`DedupConfig.story_rule`). ``None`` when
    nothing holds.
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
    return _verify_story(a, b, config)


def _verify_story(a: Features, b: Features, config: DedupConfig) -> Match | None:
    if not (_story_eligible(a, config) and _story_eligible(b, config)):
        return None
    distance = _day_distance(a, b, config)
    if distance is None:
        return None
    shorter, longer = sorted((a.token_count, b.token_count))
    if shorter < config.story_min_length_ratio * longer:
        return None
    rule = config.story_rule
    if (
        config.story_figure_veto
        and min(a.figure_count, b.figure_count) >= config.story_figure_veto
        and _figure_jaccard(a, b) <= rule("story_figure_veto_jaccard")
    ):
        return None
    if (
        config.story_lead_figure_veto
        and min(len(a.lead_figures), len(b.lead_figures)) >= config.story_lead_figure_veto
        and not np.array_equal(a.lead_figures, b.lead_figures)
    ):
        return None
    if a.caseless or b.caseless:
        if not (a.caseless and b.caseless):
            return None
        story = _weighted_jaccard(a, b)
        if story >= config.story_threshold + config.story_threshold_per_day * distance:
            return Match("story", story)
        return None
    term_threshold = rule("story_term_threshold")
    if term_threshold and _weighted_jaccard(a, b) < (
        term_threshold + rule("story_term_threshold_per_day") * distance
    ):
        return None
    ents_a, ents_b = _sampled(a.entities, a.entity_count, b.entities, b.entity_count)
    score, shared = _weighted(ents_a, ents_b)
    if shared < config.story_min_shared_entities:
        return None
    if config.story_min_shared_lead and (
        len(np.intersect1d(a.lead_entities, b.lead_entities, assume_unique=True))
        < config.story_min_shared_lead
    ):
        return None
    containment = rule("story_key_containment")
    if containment and (
        min(
            _key_containment(a.key_entities, b.entities, b.entity_count),
            _key_containment(b.key_entities, a.entities, a.entity_count),
        )
        < containment
    ):
        return None
    need = rule("story_entity_threshold") + rule("story_entity_threshold_per_day") * distance
    if score >= need:
        return Match("story", score)
    return None
