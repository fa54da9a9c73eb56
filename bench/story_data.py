"""Labelled pairs for the same-story model: Reuters labels, SemEval-2022 Task 8, seeds.

Every article goes through the product's own normalisation (``clean_text``, date header,
``detect_title``, ``strip_boilerplate``) and then :func:`story_signals.profile`.

Labels (1 = one story, 0 = both must stay, None = not used for training):
* Reuters (``../shared/labels/reuters-pairs.jsonl``): ``SAME`` -> 1, ``DIFFERENT`` -> 0;
  family ``reuters_same`` / ``reuters_different``.
* SemEval training pairs: Overall <= 1.5 -> 1 (``same``), 2.5-3 -> 0 (``dissimilar``),
  >= 3.5 -> 0 (``unrelated``), 3-3.5 -> 0 (``far``), 1.5-2.5 -> None (``related``:
  same event, another
  angle; reported, not trained on). Cross-lingual pairs are reported, never trained on.

Groups: articles are nodes, pairs are edges; a group is a connected component, so
grouped folds never put one article in both a training and a test fold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from bench.corpora import load_reuters, load_semeval, reuters_file_text
from newsingest.transforms.core.dates import DATE_PARSED, split_date_header
from newsingest.transforms.core.story_signals import ArticleProfile, pair_signals, profile
from newsingest.transforms.core.text import clean_text, detect_title, strip_boilerplate

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
REUTERS_DIR = SHARED / "corpora" / "reuters21578"
SEMEVAL_CSV = SHARED / "corpora" / "semeval2022-task8" / "training_set.csv"
REUTERS_LABELS = SHARED / "labels" / "reuters-pairs.jsonl"
SEEDS_DIR = SHARED / "seeds"
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Pair:
    """One labelled pair with both profiles and its signal vector."""

    source: str
    family: str
    lang: str
    a_id: str
    b_id: str
    label: int | None
    overall: float
    signals: np.ndarray
    a: ArticleProfile
    b: ArticleProfile


def prepare(raw: str) -> tuple[str | None, str, int | None]:
    """(title, dedup body, day) of a raw article, as the product normalises it."""
    header = split_date_header(clean_text(raw))
    title, body = detect_title(header.body.strip())
    day = None
    if header.status == DATE_PARSED and header.published_date is not None:
        day = int((np.datetime64(header.published_date, "D") - _EPOCH).astype(int))
    return title, strip_boilerplate(body), day


def profile_raw(raw: str, lang: str | None = None) -> ArticleProfile:
    title, body, day = prepare(raw)
    return profile(title, body, day, lang)


def _pair(source, family, lang, a_id, b_id, label, overall, a, b) -> Pair:
    return Pair(source, family, lang, a_id, b_id, label, overall, pair_signals(a, b), a, b)


def reuters_pairs(
    labels: Path = REUTERS_LABELS, directory: Path = REUTERS_DIR, limit: int = 0
) -> list[Pair]:
    """The hand-judged Reuters pairs, in file order (the first ``limit`` when > 0)."""
    stories = {s.newid: s for s in load_reuters(directory)}
    cache: dict[str, ArticleProfile] = {}

    def get(newid: str) -> ArticleProfile:
        if newid not in cache:
            cache[newid] = profile_raw(reuters_file_text(stories[newid]))
        return cache[newid]

    pairs = []
    lines = labels.read_text(encoding="utf-8").splitlines()
    for line in lines[:limit] if limit else lines:
        row = json.loads(line)
        a, b = str(row["a"]), str(row["b"])
        same = row["verdict"] == "SAME"
        pairs.append(
            _pair("reuters", "reuters_same" if same else "reuters_different", "en-en",
                  f"r{a}", f"r{b}", int(same), float(row["overall"]), get(a), get(b))
        )
    return pairs


def semeval_family(overall: float) -> tuple[str, int | None]:
    if overall <= 1.5:
        return "same", 1
    if overall >= 3.5:
        return "unrelated", 0
    if 2.5 <= overall <= 3.0:
        return "dissimilar", 0
    if overall > 3.0:
        return "far", 0
    return "related", None


def semeval_pairs(path: Path = SEMEVAL_CSV, limit: int = 0) -> list[Pair]:
    """SemEval training rows (the first ``limit`` when > 0); cross-lingual: ``label`` None."""
    pairs = []
    rows = load_semeval(path)
    for row in rows[:limit] if limit else rows:
        family, label = semeval_family(row.overall)
        ids = row.pair_id.split("_")
        a_id, b_id = (f"s{ids[0]}", f"s{ids[-1]}")
        lang = f"{row.lang1}-{row.lang2}"
        a = profile_raw(row.text1, row.lang1)
        b = profile_raw(row.text2, row.lang2)
        if row.lang1 != row.lang2:
            label = None
        pairs.append(_pair("semeval", family, lang, a_id, b_id, label, row.overall, a, b))
    return pairs


def seed_profiles(directory: Path = SEEDS_DIR) -> dict[str, ArticleProfile]:
    """Profiles of the seed articles, keyed by their 3-digit prefix."""
    return {
        path.name[:3]: profile_raw(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    }


def groups(pairs: Sequence[Pair]) -> np.ndarray:
    """Connected-component id of each pair (articles are nodes, pairs edges)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        ra, rb = find(pair.a_id), find(pair.b_id)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = [find(pair.a_id) for pair in pairs]
    names = {root: i for i, root in enumerate(sorted(set(roots)))}
    return np.array([names[root] for root in roots], dtype=np.int64)


def grouped_folds(pairs: Sequence[Pair], k: int, seed: int) -> np.ndarray:
    """Fold (0..k-1) of each pair: whole groups, balanced greedily, order set by ``seed``."""
    group_ids = groups(pairs)
    sizes = np.bincount(group_ids)
    order = sorted(
        range(len(sizes)),
        key=lambda g: (-sizes[g], xxhash.xxh64_intdigest(str(g).encode(), seed=seed)),
    )
    load = np.zeros(k, dtype=np.int64)
    fold_of_group = np.zeros(len(sizes), dtype=np.int64)
    for g in order:
        fold = int(np.argmin(load))
        fold_of_group[g] = fold
        load[fold] += sizes[g]
    return fold_of_group[group_ids]
