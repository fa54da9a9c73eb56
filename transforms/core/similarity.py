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

from transforms.core.minhash import EMPTY_VALUE, LshParams, band_keys, lsh_params, signatures
from transforms.core.tokens import MAX_NGRAM, shingle_hashes, token_hashes, tokenize

__all__ = [
    "DedupConfig",
    "Features",
    "Match",
    "compute_features",
    "candidate_keys",
    "verify",
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


@dataclass(frozen=True)
class Match:
    """A verified duplicate: ``method`` is "exact", "near" or "story"."""

    method: str
    similarity: float


def _is_no_space(char: str) -> bool:
    return any(low <= char <= high for low, high in _NO_SPACE)


class _Vocabulary:
    """Per-batch token cache: token -> (64-bit hash, kind, 32-bit term/figure hash)."""

    def __init__(self, config: DedupConfig) -> None:
        self._min_len = config.min_term_len
        self.entries: dict[str, tuple[int, int, int]] = {}

    def lookup(self, token: str) -> tuple[int, int, int]:
        entry = self.entries.get(token)
        if entry is None:
            entry = self._entry(token)
            self.entries[token] = entry
        return entry

    def _entry(self, token: str) -> tuple[int, int, int]:
        data = token.encode("utf-8")
        value = int(token_hashes((token,))[0])
        if token[0].isdigit():
            return value, _KIND_NUMBER, xxhash.xxh32_intdigest(data, seed=_FIGURE_SEED)
        if len(token) == 1 and _is_no_space(token):
            return value, _KIND_CHAR, 0
        if len(token) >= self._min_len and token not in STOP_WORDS:
            weight = min(len(token), 12) - 3
            term = (xxhash.xxh32_intdigest(data, seed=_TERM_SEED) & ~0xF) | weight
            return value, _KIND_TERM, term
        return value, _KIND_OTHER, 0


def _char_bigrams(hashes: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    is_char = kinds == _KIND_CHAR
    pairs = np.flatnonzero(is_char[:-1] & is_char[1:])
    if not len(pairs):
        return np.empty(0, dtype=np.uint32)
    mixed = hashes[pairs] * _BIGRAM_MIX[0] + hashes[pairs + 1] * _BIGRAM_MIX[1]
    mixed ^= mixed >> np.uint64(32)
    folded = (mixed & np.uint64(0xFFFFFFF0)).astype(np.uint32)
    return folded | np.uint32(_CHAR_WEIGHT_CLASS)


def compute_features(
    texts: list[str],
    content_hashes: list[str],
    published_days: list[int | None],
    config: DedupConfig,
) -> list[Features]:
    """Features of a batch of cleaned texts (signatures computed for all at once).

    Args:
        texts: cleaned bodies (NFKC, header removed).
        content_hashes: their normalised content hashes, same order.
        published_days: days since 1970-01-01, or None when the date is missing.
        config: a validated :class:`DedupConfig`.

    Returns:
        One :class:`Features` per text, same order; independent of the batch.
    """
    if not len(texts) == len(content_hashes) == len(published_days):
        raise ValueError("texts, content_hashes and published_days differ in length")
    vocabulary = _Vocabulary(config)
    lookup = vocabulary.lookup
    shingles, partial = [], []
    for text in texts:
        entries = [lookup(token) for token in tokenize(text)]
        count = len(entries)
        hashes = np.fromiter((e[0] for e in entries), dtype=np.uint64, count=count)
        kinds = np.fromiter((e[1] for e in entries), dtype=np.int8, count=count)
        extra = np.fromiter((e[2] for e in entries), dtype=np.uint32, count=count)
        shingles.append(shingle_hashes(hashes, config.ngram))
        terms = np.concatenate((extra[kinds == _KIND_TERM], _char_bigrams(hashes, kinds)))
        figures = extra[kinds == _KIND_NUMBER]
        numbers = len(figures)
        short = int(np.count_nonzero(kinds == _KIND_OTHER)) if count else 0
        template = bool(
            count
            and numbers >= config.template_number_fraction * count
            and numbers + short >= config.template_short_fraction * count
        )
        unique_terms = np.unique(terms)
        unique_figures = np.unique(figures)
        partial.append(
            (
                unique_terms[: config.story_max_terms],
                len(unique_terms),
                unique_figures[: config.max_figures],
                len(unique_figures),
                count,
                template,
            )
        )
    sigs = signatures(shingles, config.num_perm, config.seed)
    return [
        Features(
            content_hash=content_hash,
            published_days=None if days is None else int(days),
            signature=sig,
            terms=terms,
            term_count=term_count,
            figures=figures,
            figure_count=figure_count,
            token_count=token_count,
            template=template,
        )
        for content_hash, days, sig, (
            terms,
            term_count,
            figures,
            figure_count,
            token_count,
            template,
        ) in zip(content_hashes, published_days, sigs, partial, strict=False)
    ]


def _story_eligible(features: Features, config: DedupConfig) -> bool:
    return (
        config.story_enabled
        and not features.template
        and features.term_count >= config.story_min_terms
        and (features.published_days is not None or not config.story_requires_dates)
    )


def _filler_keys(content_hash: str, count: int, namespace: int) -> np.ndarray:
    """Keys only exact duplicates share: used where a tier does not apply."""
    base = f"{namespace}:{content_hash}".encode()
    return np.array(
        [xxhash.xxh3_64_intdigest(base, seed=_FILLER_SEED + i) for i in range(count)],
        dtype=np.uint64,
    )


def _with_date_tiles(keys: np.ndarray, features: list[Features], window: int) -> np.ndarray:
    """Mix a publication-date tile into each story key.

    Tiles are ``2 * window`` days wide; even bands use tiles starting at day 0, odd
    bands tiles shifted by ``window``, so two documents at most ``window`` days apart
    share the tile of every band of at least one parity. Undated documents (only
    story-eligible when dates are optional: then no tiling is applied) never get here.
    """
    width = max(window, 1)
    days = np.array([f.published_days or 0 for f in features], dtype=np.int64)[:, None]
    shift = (np.arange(keys.shape[1], dtype=np.int64) % 2) * width
    tiles = ((days + shift[None, :]) // (2 * width)).astype(np.uint64)
    mixed = keys ^ (tiles * _BIGRAM_MIX[1])
    mixed *= _BIGRAM_MIX[0]
    mixed ^= mixed >> np.uint64(29)
    return mixed


def candidate_keys(features: list[Features], config: DedupConfig) -> np.ndarray:
    """uint64 LSH bucket keys, shape ``(len(features), config.num_keys)``.

    Columns: the near-tier bands of ``signature`` (namespace 0), then, if the story
    tier is enabled, ``story_bands`` bands of ``story_rows`` MinHash values of the
    story terms (namespace 1, seed ``seed + 1``), each mixed with a publication-date
    tile when dates are required (see :func:`_with_date_tiles`). Two documents are a candidate pair
    iff they share any key. A document a tier cannot apply to (no tokens; templated,
    undated or too short for ``story``) gets keys derived from its content hash in
    that tier's columns, which only its exact duplicates share.
    """
    n = len(features)
    near = config.near_params
    out = np.empty((n, config.num_keys), dtype=np.uint64)
    if n == 0:
        return out
    sigs = np.vstack([f.signature for f in features])
    out[:, : near.bands] = band_keys(sigs, near, NEAR_NAMESPACE)
    for i in np.flatnonzero((sigs == EMPTY_VALUE).all(axis=1)):
        out[i, : near.bands] = _filler_keys(features[i].content_hash, near.bands, NEAR_NAMESPACE)
    if config.story_enabled:
        story = LshParams(bands=config.story_bands, rows=config.story_rows)
        eligible = [_story_eligible(f, config) for f in features]
        terms = [f.terms if ok else f.terms[:0] for f, ok in zip(features, eligible, strict=False)]
        story_sigs = signatures(terms, story.bands * story.rows, config.seed + 1)
        story_keys = band_keys(story_sigs, story, STORY_NAMESPACE)
        if config.story_requires_dates:
            story_keys = _with_date_tiles(story_keys, features, config.story_window_days)
        out[:, near.bands :] = story_keys
        for i, ok in enumerate(eligible):
            if not ok:
                out[i, near.bands :] = _filler_keys(
                    features[i].content_hash, story.bands, STORY_NAMESPACE
                )
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
