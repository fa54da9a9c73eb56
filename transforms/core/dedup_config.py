"""Dedup settings: what shapes the index (features, keys) and what only decides (Beam-free)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from newsingest.transforms.core.minhash import LshParams, lsh_params
from newsingest.transforms.core.tokens import MAX_NGRAM

__all__ = ["DedupConfig", "SHAPES_INDEX"]

SHAPES_INDEX = "shapes_index"


def _shapes(default):
    """A field the stored features or bucket keys depend on (part of the feature version)."""
    return field(default=default, metadata={SHAPES_INDEX: True})


def _decides(default):
    """A threshold applied when comparing stored features (free to change between runs)."""
    return field(default=default, metadata={SHAPES_INDEX: False})


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

    num_perm: int = _shapes(128)
    ngram: int = _shapes(5)
    seed: int = _shapes(1)
    near_threshold: float = _decides(0.7)
    lsh_threshold: float = _shapes(0.7)
    near_min_figure_jaccard: float = _decides(0.5)
    story_enabled: bool = _shapes(True)
    story_window_days: int = _shapes(3)
    story_requires_dates: bool = _shapes(True)
    story_threshold: float = _decides(0.10)
    story_threshold_per_day: float = _decides(0.07)
    story_figure_veto: int = _decides(3)
    story_min_terms: int = _shapes(40)
    story_min_length_ratio: float = _decides(0.2)
    story_max_terms: int = _shapes(120)
    story_bands: int = _shapes(16)
    story_rows: int = _shapes(2)
    min_term_len: int = _shapes(4)
    max_figures: int = _shapes(16)
    template_number_fraction: float = _shapes(0.12)
    template_short_fraction: float = _shapes(0.5)
    story_figure_veto_jaccard: float = _decides(0.25)
    story_lead_figure_veto: int = _decides(2)
    story_lead_figure_tokens: int = _shapes(40)
    story_min_entities: int = _shapes(6)
    story_term_threshold: float = _decides(0.20)
    story_term_threshold_per_day: float = _decides(0.03)
    story_min_shared_entities: int = _decides(3)
    story_min_shared_lead: int = _decides(1)
    story_key_containment: float = _decides(0.5)
    story_entity_threshold: float = _decides(0.15)
    story_entity_threshold_per_day: float = _decides(0.05)
    story_loose: bool = _decides(False)
    story_max_entities: int = _shapes(64)
    story_lead_words: int = _shapes(60)
    story_max_lead_entities: int = _shapes(16)
    story_key_entities: int = _shapes(8)
    story_subject_entities: int = _shapes(3)
    story_lead_bands: int = _shapes(8)
    story_caseless_rows: int = _shapes(1)

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
        if self.near_threshold == 0.0 or self.lsh_threshold == 0.0:
            raise ValueError("near_threshold and lsh_threshold must be > 0")
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
        return lsh_params(self.lsh_threshold, self.num_perm)

    @property
    def num_keys(self) -> int:
        """Columns of :func:`candidate_keys`: near bands, story bands, one content key."""
        story = self.story_bands + self.story_lead_bands if self.story_enabled else 0
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

    def story_rule(self, name: str) -> float:
        """The threshold ``name`` of the cased story rules, ``story_loose`` applied."""
        if self.story_loose and name in _LOOSE_RULES:
            return _LOOSE_RULES[name]
        return getattr(self, name)
