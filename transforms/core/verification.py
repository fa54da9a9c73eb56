"""Pair verification: is a candidate a duplicate of its canonical, and by which tier.

Three tiers, decided pair by pair by :func:`verify`:

* ``exact``: equal normalised content hash.
* ``near``: MinHash-estimated Jaccard of word ``ngram``-shingles at least
  ``near_threshold`` *and* compatible figures (number tokens). Templated items
  (earnings, dividends: mostly numbers and short words) need identical figure
  sets, so "Shr 46 cts vs 31 cts" never merges with "Shr 47 cts vs 31 cts".
* ``story``: the learned same-story model (:mod:`transforms.core.story_model`) over
  the two articles' stored profiles (:func:`story_signals.compare`). Both must be
  story eligible (:mod:`transforms.core.eligibility`); the model's vetoes apply (a
  templated item with other figures; dated more than ``story_window_days`` apart). A
  merge probability at or above the story threshold is a duplicate (``story``);
  otherwise a grouping probability (the model's second, same-event decision) at or
  above the group threshold is a *story link* (:data:`STORY_LINK`): both articles are
  kept and share a story id (:mod:`transforms.core.stories`).

The thresholds are deciding settings (:meth:`DedupConfig.story_thresholds`: this
run's overrides, else the model's), read beside the stored features, so they can
change between runs on one index.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.eligibility import story_eligible_rows
from newsingest.transforms.core.feature_table import NO_DAY, Features, FeatureTable
from newsingest.transforms.core.minhash import EMPTY_VALUE
from newsingest.transforms.core.story_model import load_model
from newsingest.transforms.core.story_signals import Comparable

__all__ = ["STORY_LINK", "ComparableCache", "Match", "verify", "verify_pairs"]

STORY_LINK = "story_link"


class ComparableCache:
    """The story tier's per-article form (:class:`Comparable`), kept for the most
    recently used ``limit`` articles, keyed by (content hash, day).

    A comparable is a pure function of its stored row, so a cache shared between
    calls (one per worker) changes no result, only how often an article is rebuilt:
    a canonical article meets candidates of many shards. ~35 KiB per Reuters-length
    article, so the default bounds it near 150 MiB.
    """

    def __init__(self, limit: int = 4096):
        self._limit = limit
        self._items: OrderedDict[tuple, Comparable] = OrderedDict()

    def get(self, table: FeatureTable, i: int) -> Comparable:
        """The comparable of row ``i`` of ``table``."""
        key = (table.content_hashes[i], int(table.published_days[i]))
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        found = self._items[key] = table.comparable(i)
        if len(self._items) > self._limit:
            self._items.popitem(last=False)
        return found

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Match:
    """A verified pair: ``method`` is "exact", "near", "story" (duplicates) or
    :data:`STORY_LINK` (same story, both kept); ``similarity`` is the tier's score
    (the model's merge probability for ``story``, its grouping probability for a link)."""

    method: str
    similarity: float


def _sample_ceiling(values: np.ndarray, total: int) -> float:
    """Largest hash a bottom-k sample covers completely (inf when not truncated)."""
    return float(values[-1]) if len(values) < total else math.inf


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


def _story_pairs(
    canonical: FeatureTable,
    candidate: FeatureTable,
    rows: np.ndarray,
    config: DedupConfig,
    prepared: ComparableCache,
) -> list[Match | None]:
    """The model's verdict on the given aligned rows (articles prepared through
    ``prepared``).

    Each pair is scored on its own (:meth:`StoryModel.decide`, exactly rounded sums),
    never in a matrix with the others: a probability must not depend, even in its last
    bit, on which pairs a worker happened to verify together.
    """
    model = load_model()
    thresholds = config.story_thresholds(model)

    results: list[Match | None] = []
    for i in rows.tolist():
        verdict = model.decide(
            prepared.get(canonical, i),
            prepared.get(candidate, i),
            config.story_window_days,
            thresholds,
        )
        if verdict is None:
            results.append(None)
        else:
            method, probability = verdict
            results.append(Match("story" if method == "story" else STORY_LINK, probability))
    return results


def verify_pairs(
    canonical: FeatureTable,
    candidate: FeatureTable,
    config: DedupConfig,
    prepared: ComparableCache | None = None,
) -> list[Match | None]:
    """:func:`verify` of row ``i`` of ``canonical`` against row ``i`` of ``candidate``.

    Same results as calling :func:`verify` pair by pair; the exact and near tiers are
    checked for all pairs at once; the story model scores the remaining pairs of
    story-eligible articles within the date window. ``prepared``: a
    :class:`ComparableCache` a caller may share between calls (it changes no result).
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
    near = nonempty & (estimate >= config.near_threshold) & ~exact
    for i in np.flatnonzero(exact).tolist():
        results[i] = Match("exact", 1.0)
    for i in np.flatnonzero(near).tolist():
        results[i] = _verify_near(canonical[i], candidate[i], config)
    if config.story_enabled:
        days_a, days_b = canonical.published_days, candidate.published_days
        dated = (days_a != NO_DAY) & (days_b != NO_DAY)
        distance = np.where(dated, np.abs(np.where(dated, days_a - days_b, 0)), 0)
        story = (
            story_eligible_rows(canonical, config)
            & story_eligible_rows(candidate, config)
            & (distance <= config.story_window_days)
            & ~exact
            & np.array([r is None for r in results], dtype=bool)
        )
        rows = np.flatnonzero(story)
        for i, match in zip(
            rows.tolist(),
            _story_pairs(
                canonical,
                candidate,
                rows,
                config,
                ComparableCache() if prepared is None else prepared,
            ),
            strict=True,
        ):
            results[i] = match
    return results


def verify(canonical: Features, candidate: Features, config: DedupConfig) -> Match | None:
    """Decide whether ``candidate`` duplicates ``canonical``; pure and symmetric.

    ``exact`` iff the content hashes are equal. Otherwise ``near`` when the
    estimated shingle Jaccard reaches ``near_threshold`` and the figures agree
    (identical sets if either document is templated, else figure Jaccard at least
    ``near_min_figure_jaccard``). Otherwise, when both are story eligible and no
    model veto applies, ``story`` or :data:`STORY_LINK` by the model's probability
    (see the module docstring). ``None`` when nothing holds.
    """
    table = FeatureTable.from_rows([canonical, candidate])
    return verify_pairs(table.take(np.array([0])), table.take(np.array([1])), config)[0]


def _verify_near(a: Features, b: Features, config: DedupConfig) -> Match | None:
    """The near tier of one pair whose signature estimate reaches ``near_threshold``."""
    near = float(np.count_nonzero(a.signature == b.signature)) / len(a.signature)
    if a.template or b.template:
        figures_ok = _same_figures(a, b)
    else:
        figures_ok = _figure_jaccard(a, b) >= config.near_min_figure_jaccard
    return Match("near", near) if figures_ok else None
