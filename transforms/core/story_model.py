"""The learned decisions of the same-story tier: merge and group (numpy only, Beam-free).

Two logistic regressions (:class:`StoryModel`: *merge* removes a duplicate, *group*
gives two kept articles one ``story_id``), each over a fixed basis of
:data:`story_signals.SIGNAL_NAMES` (each signal, and hinges ``max(0, x - knot)`` of the
similarity signals at :data:`HINGE_KNOTS`: a piecewise-linear additive model,
:func:`design_matrix`, monotone in every signal by sign constraints,
:func:`weight_signs`), fitted by ``bench/story_train.py`` on labelled pairs and shipped
as ``story_model.json`` in this
package. The file carries the signal names it was trained on, the standardisation,
the weights and threshold of both decisions and a ``version``: the sha256 of its own
content plus the analysis constants it was trained with
(:data:`story_text.ANALYSIS_SETTINGS`, :data:`story_embedding.ANALYSIS_SETTINGS`), part
of the index's feature version (new weights mean new features). Library releases are
not in it: what the libraries do enters the feature version through
:mod:`resource_fingerprint`, so a library upgrade never stops the model loading.

Hard rules on top of the score: a templated item (earnings or dividend table) never
merges with an article whose figures differ, and two dated articles more than
``window_days`` apart (a field of the model file) never merge: the time decay is a
step, because the labelled pairs are at most 3 days apart and only one corpus is dated,
so a learned time weight would learn the corpus, not time. Unknown dates do not block.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from newsingest.transforms.core import story_embedding, story_text
from newsingest.transforms.core.story_signals import (
    SIGNAL_NAMES,
    ArticleProfile,
    Comparable,
    comparable,
    compare,
    days_apart,
    too_little_evidence,
)

__all__ = [
    "FEATURE_COUNT",
    "HINGE_KNOTS",
    "Scorer",
    "StoryModel",
    "basis",
    "design_matrix",
    "load_model",
    "model_version",
    "weight_signs",
]

MODEL_FILE = "story_model.json"
HINGE_KNOTS = (0.15, 0.3, 0.5, 0.7)
HINGED = (
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
    "figures_missing",
    "lead_figure_jaccard",
)
# Evidence against one story: the score may only fall as these rise (and rise with the
# other similarity signals); the remaining signals are free. Enforced by the training.
AGAINST = frozenset({"head_entity_novelty", "figures_missing", "length_ratio", "templated"})
FREE = frozenset({"no_figures", "no_entities"})
_INDEX = {name: i for i, name in enumerate(SIGNAL_NAMES)}


def weight_signs() -> np.ndarray:
    """Allowed sign of each basis weight: +1, -1, or 0 (free), in :func:`design_matrix` order."""

    def sign(name: str) -> int:
        return 0 if name in FREE else (-1 if name in AGAINST else 1)

    signs = [sign(name) for name in SIGNAL_NAMES]
    for _knot in HINGE_KNOTS:
        signs += [sign(name) for name in HINGED]
    return np.array(signs, dtype=np.int64)


def design_matrix(signals: np.ndarray) -> np.ndarray:
    """The model's basis of an (n, len(SIGNAL_NAMES)) signal matrix: (n, features)."""
    signals = np.atleast_2d(np.asarray(signals, dtype=np.float64))
    hinged = signals[:, [_INDEX[name] for name in HINGED]]
    parts = [signals]
    parts += [np.maximum(0.0, hinged - knot) for knot in HINGE_KNOTS]
    return np.hstack(parts)


FEATURE_COUNT = design_matrix(np.zeros(len(SIGNAL_NAMES))).shape[1]
_HINGED_AT = tuple(_INDEX[name] for name in HINGED)
# exp(-z) overflows a float beyond this; the probability is 0.0 there.
_MAX_EXPONENT = 700.0


def basis(signals: Sequence[float]) -> list[float]:
    """One row of :func:`design_matrix`, in plain floats (same values, same order)."""
    row = [float(x) for x in signals]
    hinged = [row[i] for i in _HINGED_AT]
    for knot in HINGE_KNOTS:
        row.extend(max(0.0, x - knot) for x in hinged)
    return row


def model_version(payload: dict) -> str:
    """sha256 (hex, 16 chars) of the model content without its ``version`` field, and of
    the analysis constants it was trained with."""
    body = {key: value for key, value in payload.items() if key != "version"}
    blob = json.dumps(
        {
            "model": body,
            "analysis": {**story_text.ANALYSIS_SETTINGS, **story_embedding.ANALYSIS_SETTINGS},
        },
        sort_keys=True,
    ).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class Scorer:
    """One logistic regression over the standardised basis, with its decision threshold."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float

    @classmethod
    def from_payload(cls, payload: dict) -> Scorer:
        """Builds a scorer from its JSON fields; raises ``ValueError`` when they do not fit."""
        arrays = [np.asarray(payload[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (FEATURE_COUNT,) for a in arrays):
            raise ValueError("story model arrays do not match the feature count")
        return cls(*arrays, float(payload["intercept"]), float(payload["threshold"]))

    @functools.cached_property
    def _terms(self) -> tuple[tuple[float, float, float], ...]:
        return tuple(
            zip(self.mean.tolist(), self.scale.tolist(), self.weights.tolist(), strict=True)
        )

    def probability(self, signals: Sequence[float]) -> float:
        """Probability of one pair's signals (:data:`SIGNAL_NAMES` order).

        A pure function of the signals: the linear term is an exactly rounded sum
        (:func:`math.fsum`), never a BLAS product whose rounding can depend on how many
        rows were scored together.
        """
        return self.probability_of_basis(basis(signals))

    def probability_of_basis(self, row: Sequence[float]) -> float:
        """:meth:`probability` of one row already expanded by :func:`basis`."""
        z = self.intercept + math.fsum(
            (x - m) / s * w for x, (m, s, w) in zip(row, self._terms, strict=True)
        )
        return 0.0 if -z > _MAX_EXPONENT else 1.0 / (1.0 + math.exp(-z))

    def probabilities(self, signals: np.ndarray) -> np.ndarray:
        """:meth:`probability` of each row of an (n, len(SIGNAL_NAMES)) signal matrix."""
        rows = np.atleast_2d(np.asarray(signals, dtype=np.float64)).tolist()
        return np.array([self.probability(row) for row in rows], dtype=np.float64)


@dataclass(frozen=True)
class StoryModel:
    """The two learned decisions of the tier, sharing one signal basis and the vetoes.

    * **merge** (the top-level fields): the later article is removed as a duplicate of
      the earlier one ("keeping one loses nothing"): trained on the Reuters labels and
      the SemEval pairs, threshold precision first (Reuters DIFFERENT, SemEval unrelated
      and dissimilar within their false-merge budgets).
    * **group** (:attr:`group`): both are kept and share one ``story_id`` (the same event:
      another outlet's report, a rewrite): trained on the monolingual SemEval pairs only,
      threshold within the SemEval budgets (unrelated 3 %, dissimilar 10 %).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float
    window_days: int
    version: str
    group: Scorer

    @classmethod
    def from_payload(cls, payload: dict) -> StoryModel:
        """Builds a model from its JSON payload; raises ``ValueError`` when it does not fit."""
        if tuple(payload.get("signals", ())) != SIGNAL_NAMES or payload.get("basis") != {
            "hinged": list(HINGED),
            "knots": list(HINGE_KNOTS),
        }:
            raise ValueError("story model was trained on another signal basis")
        version = model_version(payload)
        if payload.get("version") != version:
            raise ValueError(
                f"story model version {payload.get('version')!r} != content hash {version!r}"
            )
        if "group" not in payload:
            raise ValueError("story model has no grouping decision (retrain it)")
        merge = Scorer.from_payload(payload)
        return cls(
            merge.mean,
            merge.scale,
            merge.weights,
            merge.intercept,
            merge.threshold,
            int(payload["window_days"]),
            version,
            Scorer.from_payload(payload["group"]),
        )

    @property
    def group_threshold(self) -> float:
        """Grouping probability at or above which two kept articles share a story."""
        return self.group.threshold

    @functools.cached_property
    def merge(self) -> Scorer:
        """The merge decision as a :class:`Scorer`."""
        return Scorer(self.mean, self.scale, self.weights, self.intercept, self.threshold)

    def probabilities(self, signals: np.ndarray) -> np.ndarray:
        """Merge probability of each row of an (n, len(SIGNAL_NAMES)) signal matrix."""
        return self.merge.probabilities(signals)

    def group_probabilities(self, signals: np.ndarray) -> np.ndarray:
        """Same-event (grouping) probability of each row of a signal matrix."""
        return self.group.probabilities(signals)

    def score(self, a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> float:
        """Merge probability of one pair."""
        return self.merge.probability(compare(comparable(a), comparable(b)))

    def group_score(self, a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> float:
        """Grouping probability of one pair."""
        return self.group.probability(compare(comparable(a), comparable(b)))

    def vetoed(
        self,
        a: ArticleProfile | Comparable,
        b: ArticleProfile | Comparable,
        window_days: int | None = None,
    ) -> bool:
        """The hard rules: a templated item with other figures, too little in common
        (:func:`story_signals.too_little_evidence`), or dated too far apart (more than
        ``window_days``, the model's own window when None)."""
        a, b = comparable(a), comparable(b)
        if (a.templated or b.templated) and a.figures != b.figures:
            return True
        if too_little_evidence(a, b):
            return True
        days = days_apart(a, b)
        window = self.window_days if window_days is None else window_days
        return days is not None and days > window

    def decide(
        self,
        a: Comparable,
        b: Comparable,
        window_days: int | None = None,
        thresholds: tuple[float, float] | None = None,
    ) -> tuple[str, float] | None:
        """The tier's verdict on one pair: ``("story", merge probability)`` when the
        later may be removed, ``("group", grouping probability)`` when both stay in one
        story, None otherwise (also when a veto applies; ``window_days`` as in
        :meth:`vetoed`). ``thresholds`` = (merge, group) overrides the model's. The
        grouping score is computed only below the merge threshold."""
        merge_at, group_at = thresholds or (self.threshold, self.group_threshold)
        if self.vetoed(a, b, window_days):
            return None
        row = basis(compare(a, b))
        merge = self.merge.probability_of_basis(row)
        if merge >= merge_at:
            return "story", merge
        same_event = self.group.probability_of_basis(row)
        return ("group", same_event) if same_event >= group_at else None

    def same_story(self, a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> bool:
        """True when ``b`` may be removed as a duplicate of ``a``: merge score, no veto."""
        verdict = self.decide(comparable(a), comparable(b))
        return verdict is not None and verdict[0] == "story"

    def same_event(self, a: ArticleProfile | Comparable, b: ArticleProfile | Comparable) -> bool:
        """True when the pair shares a story (merge or grouping score), and no veto."""
        return self.decide(comparable(a), comparable(b)) is not None


@functools.cache
def _shipped() -> StoryModel:
    text = resources.files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return StoryModel.from_payload(json.loads(text))


def load_model(payload: dict | None = None) -> StoryModel:
    """The shipped model (package data ``story_model.json``, read once per process), or
    one from ``payload``."""
    if payload is None:
        return _shipped()
    return StoryModel.from_payload(payload)
