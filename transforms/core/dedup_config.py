"""Dedup settings: what shapes the index (features, keys) and what only decides (Beam-free)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from newsingest.transforms.core import story_candidates
from newsingest.transforms.core.minhash import LshParams, lsh_params
from newsingest.transforms.core.story_model import StoryModel, load_model
from newsingest.transforms.core.tokens import MAX_NGRAM

__all__ = ["DedupConfig", "SHAPES_INDEX"]

SHAPES_INDEX = "shapes_index"


def _shapes(default):
    """A field the stored features or bucket keys depend on (part of the feature version)."""
    return field(default=default, metadata={SHAPES_INDEX: True})


def _decides(default):
    """A threshold applied when comparing stored features (free to change between runs)."""
    return field(default=default, metadata={SHAPES_INDEX: False})


@dataclass(frozen=True)
class DedupConfig:
    """Dedup knobs; defaults from ``bench/quality_core.py``; story thresholds from the model.

    Each field either *shapes the index* (tokenisation, shingles, permutations, bands,
    seeds, sample sizes, what counts as templated or story-eligible: the stored
    features and bucket keys depend on it; see :meth:`index_settings`) or only
    *decides* (thresholds applied when two stored feature rows are compared; see
    :meth:`decision_settings`), which can change from one run to the next.

    Near tier:
        num_perm: MinHash permutations of the near-tier signature (128).
        ngram: word n-gram size of near-tier shingles (5).
        seed: MinHash permutation seed (1); the story tier uses ``seed + 1`` (entity
            bands) and ``seed + 2`` (lead bands).
        near_threshold: minimum estimated shingle Jaccard for ``near`` (0.7).
        lsh_threshold: the design threshold of the near-tier LSH bands (0.7): it shapes
            the index's bucket keys; a ``near_threshold`` well below it loses recall.
        near_min_figure_jaccard: non-templated near pairs need at least this Jaccard
            of their figure sets (0.5); templated pairs need equal figure sets.

    Story tier (the learned same-story model, ``transforms/core/story_model.json``):
        story_enabled: whether the ``story`` tier runs at all (True): profiles are
            computed and story band keys added (shapes the index).
        story_window_days: dated articles more than this many days apart are never one
            story, and the story band keys are mixed with date tiles this wide (3).
        story_requires_dates: an undated article gets no story band keys and never
            joins a story (True). With False undated articles band on one date tile.
        story_threshold: merge probability at or above which a pair is one story and
            the later article is removed, method "story" (None: the model's
            ``threshold``).
        story_group_threshold: grouping probability (the model's same-event decision)
            at or above which a pair that is not a duplicate is a *story link*: both
            kept, one story id (None: the model's ``group_threshold``).

    Features and keys:
        story_max_terms: story terms kept per document, a bottom-k sample (120).
        min_term_len: minimum length of a word story term (4).
        max_figures: figure hashes kept per document, and lead figures, a bottom-k
            sample (16).
        story_max_entities: entity terms kept per document, a bottom-k sample (64).
        story_lead_words: words of the lead that lead entities come from (60).
        story_max_lead_entities: lead entities kept, a bottom-k sample (16).
        story_lead_figure_tokens: tokens at the start of the text whose figures are the
            lead figures (40).
        story_key_entities: most-mentioned entity terms (>= 2 mentions) kept as key
            entities (8) ...
        story_subject_entities: ... plus the first entity words of the text (3).
        story_embedding_bands: cross-polytope bands over the sentence embedding
            (``story_candidates.embedding_band_keys``) added to the lexical story bands,
            so rewrites in other words and other languages become candidates (16; 0
            turns them off).
        template_number_fraction: a document whose number tokens are at least this
            fraction of its tokens is templated (0.12) ...
        template_short_fraction: ... when numbers plus tokens of at most 3 letters
            are at least this fraction (0.5).
    """

    num_perm: int = _shapes(128)
    ngram: int = _shapes(5)
    seed: int = _shapes(1)
    near_threshold: float = _decides(0.7)
    lsh_threshold: float = _shapes(0.7)
    near_min_figure_jaccard: float = _decides(0.5)
    story_enabled: bool = _shapes(True)
    story_window_days: int = _shapes(3)
    story_requires_dates: bool = _shapes(True)
    story_threshold: float | None = _decides(None)
    story_group_threshold: float | None = _decides(None)
    story_max_terms: int = _shapes(120)
    min_term_len: int = _shapes(4)
    max_figures: int = _shapes(16)
    template_number_fraction: float = _shapes(0.12)
    template_short_fraction: float = _shapes(0.5)
    story_lead_figure_tokens: int = _shapes(40)
    story_max_entities: int = _shapes(64)
    story_lead_words: int = _shapes(60)
    story_max_lead_entities: int = _shapes(16)
    story_key_entities: int = _shapes(8)
    story_subject_entities: int = _shapes(3)
    story_embedding_bands: int = _shapes(16)

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
            "lsh_threshold",
            "near_min_figure_jaccard",
            "story_threshold",
            "story_group_threshold",
            "template_number_fraction",
            "template_short_fraction",
        ):
            value = getattr(self, name)
            if value is None and name.startswith("story_"):
                continue
            if not 0.0 <= value <= 1.0 or math.isnan(value):
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.near_threshold == 0.0 or self.lsh_threshold == 0.0:
            raise ValueError("near_threshold and lsh_threshold must be > 0")
        for name in ("story_window_days", "story_subject_entities", "story_embedding_bands"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in (
            "story_max_terms",
            "min_term_len",
            "max_figures",
            "story_max_entities",
            "story_lead_words",
            "story_max_lead_entities",
            "story_key_entities",
            "story_lead_figure_tokens",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("story_threshold", "story_group_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")

    def story_thresholds(self, model: StoryModel | None = None) -> tuple[float, float]:
        """``(threshold, group_threshold)`` of the story tier: this run's overrides, else
        those of ``model`` (the shipped model when None)."""
        model = model or load_model()
        threshold = model.threshold if self.story_threshold is None else self.story_threshold
        group = (
            model.group_threshold
            if self.story_group_threshold is None
            else self.story_group_threshold
        )
        return threshold, group

    @property
    def near_params(self) -> LshParams:
        return lsh_params(self.lsh_threshold, self.num_perm)

    @property
    def num_keys(self) -> int:
        """Columns of :func:`candidate_keys`: near bands, story bands (lexical, then
        embedding), one content key."""
        story = story_candidates.BANDS + self.story_embedding_bands if self.story_enabled else 0
        return self.near_params.bands + story + 1

    def index_settings(self) -> dict:
        """The settings that shape stored features and keys, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata[SHAPES_INDEX]}

    def decision_settings(self) -> dict:
        """The thresholds that only decide (recorded per run; free to change), by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata[SHAPES_INDEX]}

    def with_decisions(self, **changes) -> DedupConfig:
        """A copy with other deciding settings; raises ValueError for a shaping one."""
        shaping = sorted(set(changes) & set(self.index_settings()))
        if shaping:
            raise ValueError(f"{', '.join(shaping)} shape the index: reindex to change them")
        return replace(self, **changes)
