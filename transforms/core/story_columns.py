"""Same-story profiles column-wise: how ``ArticleProfile``\\ s travel and are stored (Beam-free).

A profile (:func:`story_signals.profile`) is computed once per article at feature time
and kept in a :class:`StoryColumns` beside the article's other features: numpy columns
that cross Beam shuffles as a few arrays, and per-row fields (``Features.story_*``,
:data:`ROW_FIELDS`) that ``feature_codec`` stores in the index as raw arrays.

Layout per article: the six sparse vectors (:data:`VECTORS`, title empty when there is
none) as one run of uint64 keys and float32 weights with six lengths; the lemma masses
(float32, aligned with the lemma keys); the shingles (uint64); figures (the multiset,
sorted and joined by ``\\x1f``) and lead figures (the set, likewise); token count and
the templated flag; the int8 embedding (:mod:`story_embedding`, empty when not computed).
The language is a string.

Guarantee: :meth:`StoryColumns.profile` returns the same profile for the same stored
row on every worker and run. Weights are rounded to float32 once, at feature time
(:func:`row_fields`), so a profile computed in memory and one read back from the index
give identical signals.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from newsingest.transforms.core.ragged import offsets_of, take_ragged
from newsingest.transforms.core.story_signals import ArticleProfile, Comparable, SparseVector

__all__ = ["ROW_FIELDS", "VECTORS", "StoryColumns", "empty_row", "row_fields"]

VECTORS = ("title", "head", "text", "lemmas", "entities", "head_entities")
_LEMMAS = VECTORS.index("lemmas")
_SEP = "\x1f"
ROW_FIELDS = (
    "story_lang",
    "story_has_title",
    "story_vector_keys",
    "story_vector_weights",
    "story_vector_lengths",
    "story_mass",
    "story_shingles",
    "story_figures",
    "story_lead_figures",
    "story_token_count",
    "story_templated",
    "story_embedding",
)
_EMPTY_VECTOR = SparseVector(np.empty(0, np.uint64), np.empty(0, np.float64))


def _join(values) -> str:
    if any(_SEP in v for v in values):
        raise ValueError("a figure token contains the separator \\x1f")
    return _SEP.join(values)


def _split(joined: str) -> list[str]:
    return joined.split(_SEP) if joined else []


def row_fields(article: ArticleProfile) -> dict:
    """The ``Features.story_*`` fields of one profile (weights rounded to float32)."""
    vectors = [article.title or _EMPTY_VECTOR] + [getattr(article, v) for v in VECTORS[1:]]
    lemma_keys = article.lemmas.keys
    return {
        "story_lang": article.lang,
        "story_has_title": article.title is not None,
        "story_vector_keys": np.concatenate([v.keys for v in vectors]).astype(np.uint64),
        "story_vector_weights": np.concatenate([v.weights for v in vectors]).astype(np.float32),
        "story_vector_lengths": np.array([len(v) for v in vectors], dtype=np.int32),
        "story_mass": np.array([article.mass[int(k)] for k in lemma_keys], dtype=np.float32),
        "story_shingles": np.asarray(article.shingles, dtype=np.uint64),
        "story_figures": _join(sorted(article.figures.elements())),
        "story_lead_figures": _join(sorted(article.lead_figures)),
        "story_token_count": int(article.token_count),
        "story_templated": bool(article.templated),
        "story_embedding": np.asarray(article.embedding, dtype=np.int8),
    }


def empty_row() -> dict:
    """The fields of an article without a profile (the story tier is disabled)."""
    return {
        "story_lang": "",
        "story_has_title": False,
        "story_vector_keys": np.empty(0, np.uint64),
        "story_vector_weights": np.empty(0, np.float32),
        "story_vector_lengths": np.zeros(len(VECTORS), np.int32),
        "story_mass": np.empty(0, np.float32),
        "story_shingles": np.empty(0, np.uint64),
        "story_figures": "",
        "story_lead_figures": "",
        "story_token_count": 0,
        "story_templated": False,
        "story_embedding": np.empty(0, np.int8),
    }


def _profile_of(row: dict, day: int | None) -> ArticleProfile:
    bounds = offsets_of(row["story_vector_lengths"])
    keys, weights = row["story_vector_keys"], row["story_vector_weights"].astype(np.float64)
    vectors = [
        SparseVector(keys[bounds[i] : bounds[i + 1]].copy(), weights[bounds[i] : bounds[i + 1]])
        for i in range(len(VECTORS))
    ]
    masses = row["story_mass"].astype(np.float64).tolist()
    return ArticleProfile(
        lang=row["story_lang"],
        title=vectors[0] if row["story_has_title"] else None,
        head=vectors[1],
        text=vectors[2],
        lemmas=vectors[3],
        entities=vectors[4],
        head_entities=vectors[5],
        mass=dict(zip(vectors[_LEMMAS].keys.tolist(), masses, strict=True)),
        shingles=row["story_shingles"],
        figures=Counter(_split(row["story_figures"])),
        lead_figures=frozenset(_split(row["story_lead_figures"])),
        day=day,
        token_count=int(row["story_token_count"]),
        templated=bool(row["story_templated"]),
        embedding=row["story_embedding"],
    )


@dataclass
class StoryColumns:
    """The profiles of many articles, column-wise (see the module docstring).

    ``vector_offsets`` has ``len(VECTORS) * n + 1`` entries (six segments per article);
    the other offsets ``n + 1``.
    """

    langs: list[str]
    has_title: np.ndarray
    vector_keys: np.ndarray
    vector_weights: np.ndarray
    vector_offsets: np.ndarray
    mass: np.ndarray
    mass_offsets: np.ndarray
    shingles: np.ndarray
    shingle_offsets: np.ndarray
    figures: list[str]
    lead_figures: list[str]
    token_counts: np.ndarray
    templated: np.ndarray
    embeddings: np.ndarray
    embedding_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.langs)

    def row(self, i: int) -> dict:
        """The ``Features.story_*`` fields of row ``i``."""
        v = self.vector_offsets[len(VECTORS) * i : len(VECTORS) * (i + 1) + 1]
        m, s, e = self.mass_offsets, self.shingle_offsets, self.embedding_offsets
        return {
            "story_lang": self.langs[i],
            "story_has_title": bool(self.has_title[i]),
            "story_vector_keys": self.vector_keys[v[0] : v[-1]],
            "story_vector_weights": self.vector_weights[v[0] : v[-1]],
            "story_vector_lengths": np.diff(v).astype(np.int32),
            "story_mass": self.mass[m[i] : m[i + 1]],
            "story_shingles": self.shingles[s[i] : s[i + 1]],
            "story_figures": self.figures[i],
            "story_lead_figures": self.lead_figures[i],
            "story_token_count": int(self.token_counts[i]),
            "story_templated": bool(self.templated[i]),
            "story_embedding": self.embeddings[e[i] : e[i + 1]],
        }

    def profile(self, i: int, day: int | None) -> ArticleProfile:
        """The profile of row ``i``, published on ``day``."""
        return _profile_of(self.row(i), day)

    def vector(self, i: int, name: str) -> SparseVector:
        """Sub-vector ``name`` (one of :data:`VECTORS`) of row ``i``, weights as float64."""
        segment = len(VECTORS) * i + VECTORS.index(name)
        lo, hi = self.vector_offsets[segment], self.vector_offsets[segment + 1]
        return SparseVector(self.vector_keys[lo:hi], self.vector_weights[lo:hi].astype(np.float64))

    def comparable(self, i: int, day: int | None) -> Comparable:
        """``story_signals.comparable(self.profile(i, day))``, built straight from the
        columns (no intermediate profile): the same values, field for field."""
        width = len(VECTORS)
        bounds = self.vector_offsets[width * i : width * (i + 1) + 1].tolist()
        start, end = bounds[0], bounds[-1]
        keys = self.vector_keys[start:end].tolist()
        weights = self.vector_weights[start:end].tolist()
        vectors = [
            dict(zip(keys[lo - start : hi - start], weights[lo - start : hi - start], strict=True))
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        lemma_keys = keys[bounds[_LEMMAS] - start : bounds[_LEMMAS + 1] - start]
        m, s, e = self.mass_offsets, self.shingle_offsets, self.embedding_offsets
        mass = dict(zip(lemma_keys, self.mass[m[i] : m[i + 1]].tolist(), strict=True))
        figures = tuple(_split(self.figures[i]))
        return Comparable(
            has_title=bool(self.has_title[i]),
            title=vectors[0] if self.has_title[i] else {},
            head=vectors[1],
            text=vectors[2],
            lemmas=vectors[3],
            entities=vectors[4],
            head_entities=vectors[5],
            mass=mass,
            mass_total=math.fsum(mass.values()),
            shingles=frozenset(self.shingles[s[i] : s[i + 1]].tolist()),
            figures=figures,
            figure_set=frozenset(figures),
            lead_figures=frozenset(_split(self.lead_figures[i])),
            day=day,
            token_count=int(self.token_counts[i]),
            templated=bool(self.templated[i]),
            embedding=self.embeddings[e[i] : e[i + 1]].tobytes(),
        )

    def take(self, rows: np.ndarray) -> StoryColumns:
        """The given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        width = len(VECTORS)
        segments = (rows[:, None] * width + np.arange(width)[None, :]).ravel()
        keys, vector_offsets = take_ragged(self.vector_keys, self.vector_offsets, segments)
        weights, _ = take_ragged(self.vector_weights, self.vector_offsets, segments)
        mass, mass_offsets = take_ragged(self.mass, self.mass_offsets, rows)
        shingles, shingle_offsets = take_ragged(self.shingles, self.shingle_offsets, rows)
        embeddings, embedding_offsets = take_ragged(self.embeddings, self.embedding_offsets, rows)
        picked = rows.tolist()
        return StoryColumns(
            langs=[self.langs[i] for i in picked],
            has_title=self.has_title[rows],
            vector_keys=keys,
            vector_weights=weights,
            vector_offsets=vector_offsets,
            mass=mass,
            mass_offsets=mass_offsets,
            shingles=shingles,
            shingle_offsets=shingle_offsets,
            figures=[self.figures[i] for i in picked],
            lead_figures=[self.lead_figures[i] for i in picked],
            token_counts=self.token_counts[rows],
            templated=self.templated[rows],
            embeddings=embeddings,
            embedding_offsets=embedding_offsets,
        )

    @staticmethod
    def concat(parts: list[StoryColumns]) -> StoryColumns:
        """All rows of ``parts``, in order."""
        if len(parts) == 1:
            return parts[0]

        def offsets(name: str) -> np.ndarray:
            return offsets_of(np.concatenate([np.diff(getattr(p, name)) for p in parts]))

        def flat(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        return StoryColumns(
            langs=[x for p in parts for x in p.langs],
            has_title=flat("has_title"),
            vector_keys=flat("vector_keys"),
            vector_weights=flat("vector_weights"),
            vector_offsets=offsets("vector_offsets"),
            mass=flat("mass"),
            mass_offsets=offsets("mass_offsets"),
            shingles=flat("shingles"),
            shingle_offsets=offsets("shingle_offsets"),
            figures=[x for p in parts for x in p.figures],
            lead_figures=[x for p in parts for x in p.lead_figures],
            token_counts=flat("token_counts"),
            templated=flat("templated"),
            embeddings=flat("embeddings"),
            embedding_offsets=offsets("embedding_offsets"),
        )

    @staticmethod
    def from_rows(rows: list[dict]) -> StoryColumns:
        """Columns of per-row ``story_*`` field dicts (:func:`row_fields`)."""

        def flat(name: str, dtype) -> np.ndarray:
            parts = [r[name] for r in rows]
            return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

        lengths = [r["story_vector_lengths"] for r in rows]
        return StoryColumns(
            langs=[r["story_lang"] for r in rows],
            has_title=np.array([r["story_has_title"] for r in rows], dtype=bool),
            vector_keys=flat("story_vector_keys", np.uint64),
            vector_weights=flat("story_vector_weights", np.float32),
            vector_offsets=offsets_of(
                np.concatenate(lengths).astype(np.int64) if lengths else np.empty(0, np.int64)
            ),
            mass=flat("story_mass", np.float32),
            mass_offsets=offsets_of(np.array([len(r["story_mass"]) for r in rows], np.int64)),
            shingles=flat("story_shingles", np.uint64),
            shingle_offsets=offsets_of(
                np.array([len(r["story_shingles"]) for r in rows], np.int64)
            ),
            figures=[r["story_figures"] for r in rows],
            lead_figures=[r["story_lead_figures"] for r in rows],
            token_counts=np.array([r["story_token_count"] for r in rows], dtype=np.int64),
            templated=np.array([r["story_templated"] for r in rows], dtype=bool),
            embeddings=flat("story_embedding", np.int8),
            embedding_offsets=offsets_of(
                np.array([len(r["story_embedding"]) for r in rows], np.int64)
            ),
        )
