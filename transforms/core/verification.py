"""Pair verification: is a candidate a duplicate of its canonical, and by which tier.

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
characters that are not in the fixed multilingual stop list, plus bigrams
of consecutive characters in scripts written without spaces (Han, Kana, Thai).
Their weight is fixed by token length (longer tokens are rarer: names, places),
never by corpus statistics, so features are incremental and the same on every
worker. The weight class lives in the low 4 bits of each term's 32-bit hash;
entity terms use the same layout (word, long word, multi-word name or acronym).
Verification reads only the deciding thresholds of :class:`DedupConfig` beside the
stored features, so thresholds can change between runs on one index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.eligibility import story_eligible, story_eligible_rows
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable
from newsingest.transforms.core.minhash import EMPTY_VALUE

__all__ = ["Match", "verify", "verify_pairs"]

_WEIGHT_BITS = np.uint32(0xF)


@dataclass(frozen=True)
class Match:
    """A verified duplicate: ``method`` is "exact", "near" or "story"."""

    method: str
    similarity: float


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
        both = story_eligible_rows(canonical, config) & story_eligible_rows(candidate, config)
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
    if not (story_eligible(a, config) and story_eligible(b, config)):
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
