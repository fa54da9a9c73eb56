"""Story ids: the story every kept and removed article belongs to (Beam-free).

A story is named by a *story key*, the ``doc_key`` of the kept article that started it;
outputs carry its text form, the story's ``story_id`` (16 lower-case hex digits, the
``article_id`` of that first article: :func:`story_id`).

Rule (:func:`assign_stories`), append-only and deterministic for any input order or
worker count: kept articles are visited in canonical order ``(rank, doc_key)``. A kept
article takes the story key of its best *linked* earlier kept article - an edge of the
story tier (a story link, or a story match whose later side stayed kept), highest
model probability first, then the earlier article's ``(rank, doc_key)`` - where earlier
includes the articles kept by earlier runs, whose story key is read from the index and
never changes. Otherwise it starts its own story. A removed article carries its
canonical's story key (an identical copy that follows a removed twin carries the
twin's). Stories are never merged retroactively: an article linking two stories joins
the better one, and the other keeps its id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from newsingest.transforms.core.resolution import Decision, Edge, index_edges, resolve
from newsingest.transforms.core.verification import STORY_LINK

__all__ = ["Resolution", "assign_stories", "resolve_stories", "story_id"]

_LINKS = frozenset({"story", STORY_LINK})


def story_id(story_key: int) -> str:
    """The ``story_id`` text of a story key (the ``article_id`` form)."""
    return f"{story_key:016x}"


@dataclass(frozen=True)
class Resolution:
    """What a run decided: removed articles, and story keys that are not the article's own.

    ``decisions`` maps every removed new article's ``doc_key`` to its decision; absent
    articles are kept. ``stories`` maps new articles to their story key when it is not
    their own ``doc_key`` (:meth:`story_key` fills in the rest).
    """

    decisions: dict[int, Decision]
    stories: dict[int, int]

    def story_key(self, doc_key: int) -> int:
        return self.stories.get(doc_key, doc_key)


def assign_stories(
    edges: list[Edge],
    decisions: Mapping[int, Decision],
    fixed_stories: Mapping[int, int],
    fixed_removed: Collection[int] = (),
) -> dict[int, int]:
    """Story keys of the new articles that ``edges`` name, where not their own.

    Args:
        edges: this run's verified edges (twins and story links included).
        decisions: this run's removed articles (:func:`resolution.resolve`).
        fixed_stories: story keys of the earlier runs' articles the edges name (kept
            and removed); they are never reassigned.
        fixed_removed: ``doc_key`` of articles removed by earlier runs.

    Raises:
        KeyError: a removed article's canonical has no known story key.
    """
    incoming, rank_of = index_edges(edges)
    story = dict(fixed_stories)
    removed = set(decisions) | set(fixed_removed)
    new = sorted((d for d in rank_of if d not in fixed_stories), key=lambda d: (rank_of[d], d))
    for doc in new:
        if doc in decisions:
            story[doc] = _removed_story(doc, decisions[doc], incoming.get(doc, []), story)
            continue
        links = [
            e for e in incoming.get(doc, []) if e.method in _LINKS and e.earlier not in removed
        ]
        if links:
            best = min(links, key=lambda e: (-e.similarity, e.earlier_rank, e.earlier))
            story[doc] = story.get(best.earlier, best.earlier)
        else:
            story[doc] = doc
    return {doc: story[doc] for doc in new if story[doc] != doc}


def _removed_story(doc: int, decision: Decision, incoming: list[Edge], story: dict) -> int:
    canonical = decision.duplicate_of
    if canonical in story:
        return story[canonical]
    twins = [e for e in incoming if e.method == "exact" and e.earlier in story]
    if twins:
        return story[min(twins, key=lambda e: (e.earlier_rank, e.earlier)).earlier]
    raise KeyError(f"no story key for canonical {canonical:016x} of {doc:016x}")


def resolve_stories(
    edges: list[Edge],
    fixed: Mapping[int, Decision] | None = None,
    fixed_stories: Mapping[int, int] | None = None,
) -> Resolution:
    """:func:`resolution.resolve` and :func:`assign_stories` of one run's edges."""
    fixed = fixed or {}
    decisions = {d.doc_key: d for d in resolve(edges, fixed)}
    return Resolution(decisions, assign_stories(edges, decisions, fixed_stories or {}, fixed))
