"""Per-document dedup features, one row (``Features``) or column-wise (``FeatureTable``)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from newsingest.transforms.core.ragged import offsets_of, take_ragged
from newsingest.transforms.core.story_columns import ROW_FIELDS, StoryColumns
from newsingest.transforms.core.story_signals import ArticleProfile, Comparable

__all__ = ["NO_DAY", "Features", "FeatureTable"]

NO_DAY = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Features:
    """What verification and banding need of one document (picklable; ~2.1 KB plus the
    story profile, which grows with the text: about 8 bytes per token for its shingles).

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
        story_*: the same-story profile (:func:`story_signals.profile`), as stored by
            :mod:`transforms.core.story_columns` (:func:`story_columns.row_fields`).
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
    story_lang: str
    story_has_title: bool
    story_vector_keys: np.ndarray
    story_vector_weights: np.ndarray
    story_vector_lengths: np.ndarray
    story_mass: np.ndarray
    story_shingles: np.ndarray
    story_figures: str
    story_lead_figures: str
    story_token_count: int
    story_templated: bool
    story_embedding: np.ndarray

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
    shape ``(n + 1,)``; a missing date is ``NO_DAY``. ``story`` holds the same-story
    profiles (:class:`StoryColumns`). ``table[i]`` is the :class:`Features` row ``i``;
    iteration yields rows.
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
    story: StoryColumns

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
            **self.story.row(i),
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def profile(self, i: int) -> ArticleProfile:
        """The same-story profile of row ``i`` (as stored)."""
        days = int(self.published_days[i])
        return self.story.profile(i, None if days == NO_DAY else days)

    def comparable(self, i: int) -> Comparable:
        """The same-story profile of row ``i`` in the form pair scoring reads."""
        days = int(self.published_days[i])
        return self.story.comparable(i, None if days == NO_DAY else days)

    def ragged(self, field: str, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(values, offsets) of a ragged column, of ``rows`` if given."""
        _, column, offsets = next(r for r in _RAGGED if r[0] == field)
        values, bounds = getattr(self, column), getattr(self, offsets)
        if rows is None:
            return values, bounds
        return take_ragged(values, bounds, rows)

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
            story=self.story.take(rows),
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
            columns[offsets] = offsets_of(lengths)
        for _, column, _ in _SCALARS:
            columns[column] = np.concatenate([getattr(t, column) for t in tables])
        return FeatureTable(
            content_hashes=[h for t in tables for h in t.content_hashes],
            published_days=np.concatenate([t.published_days for t in tables]),
            signatures=np.vstack([t.signatures for t in tables]),
            story=StoryColumns.concat([t.story for t in tables]),
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
            columns[offsets] = offsets_of(lengths)
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
            story=StoryColumns.from_rows(
                [{name: getattr(r, name) for name in ROW_FIELDS} for r in rows]
            ),
            **columns,
        )
