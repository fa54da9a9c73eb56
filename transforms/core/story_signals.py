"""Per-article profiles and per-pair signals of the same-story tier (Beam-free).

After Miranda et al., "Multilingual Clustering of Streaming News" (EMNLP 2018): an
article is a set of rarity-weighted (TF-IDF-like) sparse sub-vectors - title, head
(title plus lead), whole text, lemmas and named entities - plus its figures, word
shingles, day and a multilingual sentence embedding of its opening
(:mod:`story_embedding`); a pair is described by the cosines of matching sub-vectors and
of the embeddings, a containment of one in the other (shorter and longer cuts), figure
agreement and a length ratio (:data:`SIGNAL_NAMES`). :mod:`story_model` turns the signals
into a merge decision with learned weights, gated by :func:`days_apart`.

Guarantees:
  * A profile is a pure function of (title, body, day): weights come from
    ``wordfreq`` (see :mod:`story_text`), never from the batch; keys are seeded
    xxhash values, so profiles can be stored and compared across runs and workers
    (the embedding's guarantee is :mod:`story_embedding`'s).
  * :func:`pair_signals` is symmetric: ``pair_signals(a, b) == pair_signals(b, a)``,
    and a pure function of the two articles: every sum is exactly rounded
    (:func:`math.fsum`), so no batch, worker, summation order or Python version
    changes a signal's last bit.
  * Numbers are never erased: they are the figures compared by the figure signals.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import xxhash

from newsingest.transforms.core import story_embedding, story_text
from newsingest.transforms.core.story_embedding import Prepared, prepare, prepared_cosine
from newsingest.transforms.core.story_text import Token

__all__ = [
    "HEAD_TOKENS",
    "SIGNAL_NAMES",
    "ArticleProfile",
    "Comparable",
    "SparseVector",
    "comparable",
    "compare",
    "cosine",
    "days_apart",
    "is_templated",
    "pair_signals",
    "profile",
    "too_little_evidence",
]

HEAD_TOKENS = 60
SHINGLE_SIZE = 3
LEAD_FIGURES = 8
# Capitalised words of languages that capitalise every noun count as names only when rarer.
NOUN_CAPITALISING = frozenset({"de", "lb"})
NOUN_ENTITY_MAX_ZIPF = 4.5
# In scripts without case, rare words stand in for names, and so do runs of single Han
# characters (the segmenter's unknown words: transliterated names such as 纳雷什金).
CASELESS_ENTITY_MAX_ZIPF = 4.0
# Same rule as the near tier's templated-item test (similarity.DedupConfig defaults).
TEMPLATE_NUMBER_FRACTION = 0.12
TEMPLATE_SHORT_FRACTION = 0.5
_SHORT_LETTERS = 3
_CAPS_LINE_LETTERS = 8
_CAPS_LINE_SHARE = 0.8
_SIGN_OFF_CHARS = 12
_KEY_SEED = 0x57
_NO_EMBEDDING = np.empty(0, np.int8)
# An article's key terms: its heaviest lemmas and entity terms by rarity weight, the
# terms the lexical story bands hash (story_candidates); entity keys are salted.
KEY_LEMMAS = 16
KEY_ENTITIES = 8
KEY_ENTITY_SALT = 0x9E3779B97F4A7C15
# Two articles sharing no key term are one story only with at least this embedding
# cosine (:func:`too_little_evidence`).
EVIDENCE_FLOOR = 0.5


SIGNAL_NAMES = (
    "cos_title",
    "cos_head",
    "cos_head_cross",
    "cos_text",
    "cos_lemma",
    "cos_entity",
    "cos_head_entity",
    "cos_embedding",
    "head_entity_novelty",
    "lemma_containment",
    "shingle_containment",
    "shingle_jaccard",
    "figure_jaccard",
    "shared_figures",
    "shared_entities",
    "figures_missing",
    "lead_figure_jaccard",
    "no_figures",
    "length_ratio",
    "no_entities",
    "templated",
)


@dataclass(frozen=True)
class SparseVector:
    """L2-normalised sparse vector: sorted ``uint64`` keys and ``float64`` weights."""

    keys: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_counts(cls, weighted: dict[int, float]) -> SparseVector:
        if not weighted:
            return cls(np.empty(0, np.uint64), np.empty(0, np.float64))
        keys = np.array(sorted(weighted), dtype=np.uint64)
        weights = np.array([weighted[int(k)] for k in keys], dtype=np.float64)
        norm = float(np.sqrt(weights @ weights))
        return cls(keys, weights / norm if norm > 0 else weights)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class ArticleProfile:
    """Everything the same-story tier compares, for one article.

    Attributes:
        lang: ISO 639-1 code detected by :func:`story_text.detect_language`.
        title, head, text, lemmas, entities: rarity-weighted sub-vectors.
        head_entities: the entity terms of the title and the first ``HEAD_TOKENS`` tokens.
        mass: un-normalised rarity mass of each lemma key (for containment).
        shingles: sorted distinct hashes of word 3-grams (all tokens, numbers kept).
        figures: multiset of number tokens; lead_figures: the first ones of the head.
        day: days since 1970-01-01, or None when unknown.
        token_count: tokens of title plus body.
        templated: mostly numbers and short words (earnings / dividend tables).
        embedding: int8 multilingual sentence embedding of the opening
            (:func:`story_embedding.embed`); empty for a templated item and when not
            computed (its cosine with anything is then 0.0).
    """

    lang: str
    title: SparseVector | None
    head: SparseVector
    text: SparseVector
    lemmas: SparseVector
    entities: SparseVector
    head_entities: SparseVector
    mass: dict[int, float]
    shingles: np.ndarray
    figures: Counter
    lead_figures: frozenset[str]
    day: int | None
    token_count: int
    templated: bool
    embedding: np.ndarray


@functools.lru_cache(maxsize=1 << 18)
def _key(norm: str) -> int:
    return xxhash.xxh3_64_intdigest(norm.encode("utf-8"), seed=_KEY_SEED)


def _strip_sign_off(body: str) -> str:
    """Drops a last line of one short word (a wire sign-off such as ``Reuter``)."""
    head, sep, last = body.rstrip().rpartition("\n")
    word = last.strip()
    if sep and word.isalpha() and len(word) <= _SIGN_OFF_CHARS:
        return head
    return body


def _caps_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of lines written mostly in capitals (their case says nothing):
    at least ``_CAPS_LINE_LETTERS`` letters, more than ``_CAPS_LINE_SHARE`` of them
    upper case."""
    spans, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        if len(line) >= _CAPS_LINE_LETTERS:
            letters = sum(map(str.isalpha, line))
            # Upper-case characters bound the upper-case letters from above (a few
            # symbols such as roman numerals are upper case too): count those exactly
            # only when the bound passes.
            if (
                letters >= _CAPS_LINE_LETTERS
                and sum(map(str.isupper, line)) > _CAPS_LINE_SHARE * letters
                and sum(c.isupper() for c in line if c.isalpha()) > _CAPS_LINE_SHARE * letters
            ):
                spans.append((start, end))
        start = end + 1
    return spans


def _on_caps_lines(tokens: list[Token], caps: list[tuple[int, int]]) -> list[bool]:
    """Whether each token starts inside one of the sorted, disjoint ``caps`` spans."""
    if not caps:
        return [False] * len(tokens)
    lows = [low for low, _high in caps]
    inside = []
    for token in tokens:
        index = bisect.bisect_right(lows, token.start) - 1
        inside.append(index >= 0 and token.start < caps[index][1])
    return inside


def _is_cased(word: str) -> bool:
    return word.lower() != word.upper()


def _entity_terms(tokens: list[Token], text: str, lang: str, stops: frozenset) -> list[str]:
    """Named-entity terms: capitalised non-initial words (and their 2-word runs), acronyms.

    Rules: a word on a caps line carries no case information; a sentence-initial
    capital counts only when the same word is also capitalised mid-sentence; in
    noun-capitalising languages a capitalised word must also be rare
    (``zipf < NOUN_ENTITY_MAX_ZIPF``); in caseless scripts rare words and runs of
    single Han characters stand in.
    """
    in_caps = _on_caps_lines(tokens, _caps_spans(text))
    mid_capital = {
        t.norm
        for t, c in zip(tokens, in_caps, strict=True)
        if not c and not t.initial and t.kind == "word" and t.text[0].isupper()
    }
    terms: list[str] = []
    previous: str | None = None
    run: list[str] = []
    for token, on_caps in zip(tokens, in_caps, strict=True):
        if token.kind == "cjk" and len(token.text) == 1 and token.norm not in stops:
            run.append(token.text)
            continue
        if len(run) >= 2:
            terms.append("".join(run))
        run = []
        name = None
        if token.kind != "num" and len(token.text) >= 2 and token.norm not in stops:
            if not _is_cased(token.text):
                if story_text.zipf(token.norm, lang) < CASELESS_ENTITY_MAX_ZIPF:
                    name = token.norm
            elif (
                not on_caps
                and token.text[0].isupper()
                and (not token.initial or token.norm in mid_capital)
            ):
                noun_case = lang in NOUN_CAPITALISING and not token.text.isupper()
                if not noun_case or story_text.zipf(token.norm, lang) < NOUN_ENTITY_MAX_ZIPF:
                    name = token.norm
        if name is not None:
            terms.append(name)
            if previous is not None:
                terms.append(f"{previous} {name}")
        previous = name
    if len(run) >= 2:
        terms.append("".join(run))
    return terms


def _weighted(terms: list[str], lang: str, rarity: dict[str, float]) -> dict[int, float]:
    """Sublinear tf (1 + ln tf) times rarity, keyed by seeded hash."""
    out: dict[int, float] = {}
    for term, count in Counter(terms).items():
        weight = rarity.get(term)
        if weight is None:
            parts = term.split(" ")
            weight = sum(story_text.rarity(p, lang) for p in parts) / len(parts) + 1.0
        if weight > 0:
            out[_key(term)] = (1.0 + math.log(count)) * weight
    return out


def is_templated(tokens: list[Token]) -> bool:
    """Mostly numbers and short words: the near tier's templated-item rule."""
    if not tokens:
        return False
    numbers = sum(t.kind == "num" for t in tokens)
    short = sum(t.kind != "num" and len(t.text) <= _SHORT_LETTERS for t in tokens)
    return numbers >= TEMPLATE_NUMBER_FRACTION * len(
        tokens
    ) and numbers + short >= TEMPLATE_SHORT_FRACTION * len(tokens)


def _shingles(norms: list[str]) -> np.ndarray:
    if not norms:
        return np.empty(0, np.uint64)
    width = min(SHINGLE_SIZE, len(norms))
    grams = {
        xxhash.xxh3_64_intdigest("\x1f".join(norms[i : i + width]).encode("utf-8"))
        for i in range(len(norms) - width + 1)
    }
    return np.array(sorted(grams), dtype=np.uint64)


def profile(
    title: str | None, body: str, day: int | None, lang: str | None = None
) -> ArticleProfile:
    """The :class:`ArticleProfile` of one article.

    Args:
        title: the detected headline, or None.
        body: the cleaned body (date header and title removed).
        day: publication day (days since 1970-01-01), or None when unknown.
        lang: ISO 639-1 code; detected from title and body when None.
    """
    body = _strip_sign_off(body)
    title = title.strip() if title and title.strip() else None
    full = f"{title}\n\n{body}" if title else body
    lang = lang or story_text.detect_language(full)
    stops = story_text.stop_words(lang)
    title_tokens = story_text.tokenize(title, lang) if title else []
    body_tokens = story_text.tokenize(body, lang)
    tokens = title_tokens + body_tokens

    def content(toks: list[Token]) -> list[str]:
        return [t.norm for t in toks if t.kind != "num" and t.norm not in stops]

    words = content(tokens)
    rarity = {w: story_text.rarity(w, lang) for w in set(words)}
    lemmas = [story_text.lemma(w, lang) for w in words]
    lemma_rarity = {m: story_text.rarity(m, lang) for m in set(lemmas)}
    head_words = content(title_tokens) + content(body_tokens)[:HEAD_TOKENS]
    body_entities = _entity_terms(body_tokens, body, lang, stops)
    lead_end = body_tokens[HEAD_TOKENS].start if len(body_tokens) > HEAD_TOKENS else len(body)
    head_entities = _entity_terms(body_tokens[:HEAD_TOKENS], body[:lead_end], lang, stops)
    if title:
        title_entities = _entity_terms(title_tokens, title, lang, stops)
        body_entities += title_entities
        head_entities += title_entities
    numbers = [t.norm for t in tokens if t.kind == "num"]
    head_numbers = [t.norm for t in title_tokens + body_tokens[:HEAD_TOKENS] if t.kind == "num"]
    mass = _weighted(lemmas, lang, lemma_rarity)
    # A templated item never enters the story bands (eligibility), so it is not embedded.
    templated = is_templated(body_tokens)
    return ArticleProfile(
        lang=lang,
        title=SparseVector.from_counts(_weighted(content(title_tokens), lang, rarity))
        if title
        else None,
        head=SparseVector.from_counts(_weighted(head_words, lang, rarity)),
        text=SparseVector.from_counts(_weighted(words, lang, rarity)),
        lemmas=SparseVector.from_counts(mass),
        entities=SparseVector.from_counts(_weighted(body_entities, lang, rarity)),
        head_entities=SparseVector.from_counts(_weighted(head_entities, lang, rarity)),
        mass=mass,
        shingles=_shingles([t.norm for t in tokens]),
        figures=Counter(numbers),
        lead_figures=frozenset(head_numbers[:LEAD_FIGURES]),
        day=day,
        token_count=len(tokens),
        templated=templated,
        embedding=_NO_EMBEDDING if templated else story_embedding.embed(full),
    )


@dataclass(frozen=True)
class Comparable:
    """One article's profile in the form :func:`compare` reads: plain dicts and sets.

    Built once per article (:func:`comparable`, or straight from stored columns by
    ``StoryColumns.comparable``) so that scoring many pairs of one article never
    rebuilds it. Vectors map key -> normalised weight; ``mass`` maps lemma key -> rarity
    mass; ``figures`` is the sorted multiset of number tokens; ``embedding`` is the int8
    embedding's bytes (equality compares those), ``embedding_form`` its prepared int64
    form, derived once here for the many cosines of one article.
    """

    has_title: bool
    title: dict[int, float]
    head: dict[int, float]
    text: dict[int, float]
    lemmas: dict[int, float]
    entities: dict[int, float]
    head_entities: dict[int, float]
    mass: dict[int, float]
    mass_total: float
    shingles: frozenset[int]
    figures: tuple[str, ...]
    figure_set: frozenset[str]
    lead_figures: frozenset[str]
    day: int | None
    token_count: int
    templated: bool
    embedding: bytes
    embedding_form: Prepared = field(init=False, compare=False, repr=False)
    key_terms: frozenset[int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        form = prepare(np.frombuffer(self.embedding, np.int8))
        object.__setattr__(self, "embedding_form", form)
        object.__setattr__(self, "key_terms", _key_terms_of(self.lemmas, self.entities))


def _heaviest(vector: dict[int, float], count: int) -> list[int]:
    """Keys of the ``count`` heaviest entries, ties by key (as ``np.lexsort``)."""
    ranked = sorted(vector.items(), key=lambda item: (-item[1], item[0]))
    return [key for key, _weight in ranked[:count]]


def _key_terms_of(lemmas: dict[int, float], entities: dict[int, float]) -> frozenset[int]:
    salted = (key ^ KEY_ENTITY_SALT for key in _heaviest(entities, KEY_ENTITIES))
    return frozenset(_heaviest(lemmas, KEY_LEMMAS)).union(salted)


def too_little_evidence(a: Comparable, b: Comparable) -> bool:
    """True when two articles share no key term and their embedding cosine is below
    :data:`EVIDENCE_FLOOR`: too little in common to be one story, whatever the score.

    Two articles in one lexical story band always share a key term (equal MinHash
    minima of a bijective mix are equal terms), so the rule never touches those pairs;
    it applies to every candidate pair, so also to near-band pairs without a common key
    term (none on a Reuters sample) and with the embedding bands off. Its purpose is
    the embedding bands' chance collisions of unrelated articles, dropped before the
    full comparison.
    """
    if not a.key_terms.isdisjoint(b.key_terms):
        return False
    return prepared_cosine(a.embedding_form, b.embedding_form) < EVIDENCE_FLOOR


def _as_dict(vector: SparseVector | None) -> dict[int, float]:
    if vector is None:
        return {}
    return dict(zip(vector.keys.tolist(), vector.weights.tolist(), strict=True))


def comparable(article: ArticleProfile | Comparable) -> Comparable:
    """The :class:`Comparable` form of a profile (a ``Comparable`` is returned as is)."""
    if isinstance(article, Comparable):
        return article
    figures = tuple(sorted(article.figures.elements()))
    mass = {int(k): float(w) for k, w in article.mass.items()}
    return Comparable(
        has_title=article.title is not None,
        title=_as_dict(article.title),
        head=_as_dict(article.head),
        text=_as_dict(article.text),
        lemmas=_as_dict(article.lemmas),
        entities=_as_dict(article.entities),
        head_entities=_as_dict(article.head_entities),
        mass=mass,
        mass_total=math.fsum(mass.values()),
        shingles=frozenset(np.asarray(article.shingles).tolist()),
        figures=figures,
        figure_set=frozenset(figures),
        lead_figures=article.lead_figures,
        day=article.day,
        token_count=article.token_count,
        templated=article.templated,
        embedding=np.asarray(article.embedding, dtype=np.int8).tobytes(),
    )


def _dot(a: dict[int, float], b: dict[int, float]) -> float:
    """Cosine of two normalised vectors given as dicts (0.0 when either is empty)."""
    return min(1.0, math.fsum([a[k] * b[k] for k in a.keys() & b.keys()]))


def cosine(a: SparseVector | None, b: SparseVector | None) -> float:
    """Cosine of two normalised sparse vectors; 0.0 when either is missing or empty."""
    return _dot(_as_dict(a), _as_dict(b))


def _jaccard(a: frozenset | set, b: frozenset | set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _containment(a: Comparable, b: Comparable) -> float:
    """Rarity mass of the shared lemmas over the smaller article's mass."""
    small, large = (a, b) if a.mass_total <= b.mass_total else (b, a)
    if small.mass_total <= 0:
        return 0.0
    few, many = small.mass, large.mass
    return math.fsum([min(few[k], many[k]) for k in few.keys() & many.keys()]) / small.mass_total


def _novelty(head: dict[int, float], other: dict[int, float]) -> float:
    """Share of ``head``'s weight on entity terms that ``other`` never mentions."""
    total = math.fsum(head.values())
    if total <= 0:
        return 0.0
    return math.fsum([head[k] for k in head.keys() - other.keys()]) / total


def days_apart(a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> int | None:
    """Days between the two publication days; None when either is unknown."""
    if a.day is None or b.day is None:
        return None
    return abs(a.day - b.day)


def compare(a: Comparable, b: Comparable) -> list[float]:
    """The :data:`SIGNAL_NAMES` of a pair, in that order (symmetric in a, b).

    Every sum is :func:`math.fsum` (exactly rounded), so a signal depends only on the
    two articles: not on argument order, summation order, batch or Python version.
    """
    shared_shingles = len(a.shingles & b.shingles)
    smaller = min(len(a.shingles), len(b.shingles))
    union = len(a.shingles) + len(b.shingles) - shared_shingles
    figs_a, figs_b = a.figure_set, b.figure_set
    few, many = (figs_a, figs_b) if len(figs_a) <= len(figs_b) else (figs_b, figs_a)
    cos_head = _dot(a.head, b.head)
    shared_entities = len(a.entities.keys() & b.entities.keys())
    return [
        cos_head if not (a.has_title and b.has_title) else _dot(a.title, b.title),
        cos_head,
        max(_dot(a.head, b.text), _dot(b.head, a.text)),
        _dot(a.text, b.text),
        _dot(a.lemmas, b.lemmas),
        _dot(a.entities, b.entities),
        _dot(a.head_entities, b.head_entities),
        prepared_cosine(a.embedding_form, b.embedding_form),
        max(_novelty(a.head_entities, b.entities), _novelty(b.head_entities, a.entities)),
        _containment(a, b),
        shared_shingles / smaller if smaller else 0.0,
        shared_shingles / union if union else 0.0,
        _jaccard(figs_a, figs_b),
        math.log1p(len(figs_a & figs_b)),
        math.log1p(shared_entities),
        len(few - many) / len(few) if few else 0.0,
        _jaccard(a.lead_figures, b.lead_figures),
        float(not figs_a and not figs_b),
        math.log(max(a.token_count, b.token_count, 1) / max(min(a.token_count, b.token_count), 1)),
        float(not a.entities or not b.entities),
        float(a.templated or b.templated),
    ]


def pair_signals(a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> np.ndarray:
    """The :data:`SIGNAL_NAMES` of a pair, as a ``float64`` array (symmetric in a, b).

    Missing evidence is neutral rather than a flag, so no signal tells one corpus or
    source from another: without both titles ``cos_title`` is ``cos_head``. Time is
    not a signal (labelled pairs are dated in one corpus only, so a learned time weight
    would learn the corpus): :func:`days_apart` gates the decision instead.
    """
    return np.array(compare(comparable(a), comparable(b)), dtype=np.float64)
