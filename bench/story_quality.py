"""Quality harness of the same-story model: cross-validated, per corpus and language.

One command::

    python -m bench.story_quality [--out bench/results/story-quality.json] [--repeats 3]

Reports, as JSON and a printed table:

* **Held-out decisions** by grouped k-fold cross-validation (no article in both a
  training and a test fold), repeated with ``--repeats`` different fold assignments;
  each fold trains exactly as ``bench/story_train.py`` does (weights and the
  precision-first threshold from an inner CV of the training folds only). Reuters
  labels: ``SAME`` / ``DIFFERENT`` merged rates. SemEval, per language: recall at
  Overall <= 1.5, merged rates of dissimilar (2.5-3), unrelated (>= 3.5) and, for
  information, related (1.5-2.5) and cross-lingual pairs (never trained on).
* **Seeds** with the shipped model: every merged pair (must be exactly 000-001).
* **Templated Reuters items** (earnings / dividend tables) with different figures that
  share a candidate bucket (each member paired with its next 20 in the bucket): merged
  by the shipped model (must be 0), and how many the score alone, without the
  templated veto, would merge.
* **Candidate recall** of :mod:`story_candidates` bands (lexical and embedding bands,
  as the pipeline's default configuration; and lexical bands alone, for comparison):
  share of same-story pairs sharing a bucket, share of negative pairs doing so, and
  bucket load on the Reuters half (non-templated articles: sum over buckets of member
  pairs, an upper bound of distinct candidate pairs, as a share of all pairs).
* **Costs**: median per-article profile time, median per-pair signal plus score time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.corpora import load_reuters, reuters_file_text
from bench.story_data import (
    REUTERS_DIR,
    Pair,
    grouped_folds,
    profile_raw,
    reuters_pairs,
    seed_profiles,
    semeval_pairs,
)
from bench.story_train import WINDOW_DAYS, probabilities, train, training_rows
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.story_candidates import band_keys, embedding_band_keys
from newsingest.transforms.core.story_embedding import DIMENSIONS
from newsingest.transforms.core.story_model import load_model
from newsingest.transforms.core.story_signals import (
    ArticleProfile,
    comparable,
    days_apart,
    pair_signals,
    too_little_evidence,
)

RESULTS = Path(__file__).resolve().parent / "results" / "story-quality.json"
FOLDS = 5
TARGET_LANGUAGES = ("en", "ar", "de", "es", "fr", "it", "pl", "ru", "tr", "zh")
_BUCKET_WINDOW = 20
_EMBEDDING_BANDS = DedupConfig().story_embedding_bands


def _vetoed(pair: Pair) -> bool:
    days = days_apart(pair.a, pair.b)
    return (
        ((pair.a.templated or pair.b.templated) and pair.a.figures != pair.b.figures)
        or (days is not None and days > WINDOW_DAYS)
        or too_little_evidence(comparable(pair.a), comparable(pair.b))
    )


def story_keys(article: ArticleProfile, embedding_bands: int = _EMBEDDING_BANDS) -> np.ndarray:
    """The article's lexical story band keys and, when it has an embedding, its
    embedding band keys (no date tiles: the labelled pairs are within the window)."""
    lexical = band_keys(article)
    embedding = np.asarray(article.embedding, dtype=np.int8)
    if not embedding_bands or len(embedding) != DIMENSIONS or not embedding.any():
        return lexical
    return np.concatenate((lexical, embedding_band_keys(embedding[None, :], embedding_bands)[0]))


def cv_decisions(pairs: Sequence[Pair], folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out (merged, same story) decisions of every pair (grouped folds over all pairs).

    Same story is what ``story_id`` records: merged, or grouped by the grouping model.
    """
    fold = grouped_folds(pairs, folds, seed)
    merged = np.zeros(len(pairs), dtype=bool)
    grouped = np.zeros(len(pairs), dtype=bool)
    for k in range(folds):
        fit = train([p for p, f in zip(pairs, fold, strict=True) if f != k])
        test_at = np.flatnonzero(fold == k)
        held_out = [pairs[i] for i in test_at]
        merge_probs = probabilities(fit, held_out)
        group_probs = probabilities(fit["group"], held_out)
        for i, merge, group in zip(test_at, merge_probs, group_probs, strict=True):
            allowed = not _vetoed(pairs[i])
            merged[i] = allowed and merge >= fit["threshold"]
            grouped[i] = merged[i] or (allowed and group >= fit["group"]["threshold"])
    return merged, grouped


def _rate(values: list[bool]) -> dict:
    return {"n": len(values), "merged": int(sum(values)),
            "rate": round(sum(values) / len(values), 4) if values else None}


def summarise(pairs: Sequence[Pair], merged: np.ndarray) -> dict:
    """Merged rates per Reuters family and per SemEval language and family."""
    cells: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for pair, decision in zip(pairs, merged, strict=True):
        if pair.source == "reuters":
            cells["reuters"][pair.family.removeprefix("reuters_")].append(bool(decision))
            continue
        lang1, lang2 = pair.lang.split("-")
        key = f"semeval:{lang1}" if lang1 == lang2 else "semeval:cross-lingual"
        cells[key][pair.family].append(bool(decision))
    return {
        key: {family: _rate(values) for family, values in sorted(families.items())}
        for key, families in sorted(cells.items())
    }


def _aggregate(runs: list[dict]) -> dict:
    """Mean, min and max rate of every cell over the repeats."""
    out: dict = {}
    for key in runs[0]:
        out[key] = {}
        for family in runs[0][key]:
            rates = [run[key][family]["rate"] for run in runs]
            out[key][family] = {
                "n": runs[0][key][family]["n"],
                "mean": round(statistics.fmean(rates), 4),
                "min": min(rates),
                "max": max(rates),
            }
    return out


def seeds_check() -> dict:
    model = load_model()
    seeds = seed_profiles()
    scores, group_scores = {}, {}
    merged, grouped = [], []
    for a, b in itertools.combinations(sorted(seeds), 2):
        scores[f"{a}-{b}"] = round(model.score(seeds[a], seeds[b]), 4)
        group_scores[f"{a}-{b}"] = round(model.group_score(seeds[a], seeds[b]), 4)
        if model.same_story(seeds[a], seeds[b]):
            merged.append(f"{a}-{b}")
        if model.same_event(seeds[a], seeds[b]):
            grouped.append(f"{a}-{b}")
    return {"merged": merged, "expected": ["000-001"], "ok": merged == ["000-001"],
            "scores": scores, "threshold": model.threshold,
            "same_story": grouped, "group_scores": group_scores,
            "group_threshold": model.group_threshold}


def _buckets(keys: list[np.ndarray]) -> dict[int, list[int]]:
    buckets: dict[int, list[int]] = defaultdict(list)
    for index, article_keys in enumerate(keys):
        for key in article_keys.tolist():
            buckets[key].append(index)
    return buckets


def reuters_corpus_checks(limit: int) -> dict:
    """Templated different-figure candidates, bucket load and profile cost on Reuters."""
    model = load_model()
    stories = load_reuters(REUTERS_DIR)[: limit or None]
    profiles, seconds = [], []
    for story in stories:
        start = time.perf_counter()
        profiles.append(profile_raw(reuters_file_text(story)))
        seconds.append(time.perf_counter() - start)
    keys = [story_keys(p) for p in profiles]
    buckets = _buckets(keys)
    candidate_pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, a in enumerate(members):
            for b in members[i + 1 : i + 1 + _BUCKET_WINDOW]:
                candidate_pairs.add((a, b))
    templated = [
        (a, b) for a, b in sorted(candidate_pairs)
        if (profiles[a].templated or profiles[b].templated)
        and profiles[a].figures != profiles[b].figures
    ]
    by_score = sum(model.score(profiles[a], profiles[b]) >= model.threshold for a, b in templated)
    merged = sum(model.same_story(profiles[a], profiles[b]) for a, b in templated)
    grouped = sum(model.same_event(profiles[a], profiles[b]) for a, b in templated)
    prose = [k for k, p in zip(keys, profiles, strict=True) if not p.templated]
    sizes = [len(m) for m in _buckets(prose).values()]
    n = len(prose)
    upper = sum(s * (s - 1) // 2 for s in sizes)
    return {
        "articles": len(profiles),
        "templated_articles": sum(p.templated for p in profiles),
        "templated_different_figure_candidates": len(templated),
        "templated_merged": int(merged),
        "templated_same_story": int(grouped),
        "templated_merged_by_score_without_veto": int(by_score),
        "bucket_load_non_templated": {
            "articles": n,
            "buckets": len(sizes),
            "largest_bucket": max(sizes) if sizes else 0,
            "bucket_pairs_upper_bound": upper,
            "share_of_all_pairs": round(upper / (n * (n - 1) / 2), 6) if n > 1 else None,
        },
        "profile_seconds_median": round(statistics.median(seconds), 6),
        "profile_seconds_p90": round(float(np.quantile(seconds, 0.9)), 6),
    }


def _share_bucket(pair: Pair, embedding_bands: int = _EMBEDDING_BANDS) -> bool:
    keys_a = story_keys(pair.a, embedding_bands)
    return bool(np.intersect1d(keys_a, story_keys(pair.b, embedding_bands)).size)


def candidate_recall(pairs: Sequence[Pair], embedding_bands: int = _EMBEDDING_BANDS) -> dict:
    """Share of pairs per family whose articles share a story band key."""
    cells: dict[str, list[bool]] = defaultdict(list)
    for pair in pairs:
        shared = _share_bucket(pair, embedding_bands)
        if pair.source == "reuters":
            cells[pair.family].append(shared)
        else:
            lang1, lang2 = pair.lang.split("-")
            scope = lang1 if lang1 == lang2 else "cross-lingual"
            cells[f"semeval:{scope}:{pair.family}"].append(shared)
    return {key: _rate(values) for key, values in sorted(cells.items())}


def pair_costs(pairs: Sequence[Pair]) -> dict:
    model = load_model()
    seconds = []
    for pair in pairs:
        start = time.perf_counter()
        model.probabilities(pair_signals(pair.a, pair.b))
        seconds.append(time.perf_counter() - start)
    return {"pairs": len(seconds), "pair_seconds_median": round(statistics.median(seconds), 7)}


def _table(aggregate: dict) -> str:
    lines = ["scope                  family        n   mean    min    max"]
    for key, families in aggregate.items():
        for family, cell in families.items():
            lines.append(
                f"{key:22s} {family:11s} {cell['n']:4d} {cell['mean']:6.3f} "
                f"{cell['min']:6.3f} {cell['max']:6.3f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--reuters-limit", type=int, default=0, help="Reuters stories scanned")
    parser.add_argument(
        "--skip-corpus", action="store_true",
        help="skip the templated-items scan of the Reuters half (most of the run time)",
    )
    args = parser.parse_args(argv)
    pairs = reuters_pairs() + semeval_pairs()
    decisions = [cv_decisions(pairs, args.folds, seed) for seed in range(args.repeats)]
    runs = [summarise(pairs, merged) for merged, _ in decisions]
    group_runs = [summarise(pairs, grouped) for _, grouped in decisions]
    aggregate = _aggregate(runs)
    group_aggregate = _aggregate(group_runs)
    reachable = np.array([_share_bucket(p) for p in pairs])
    pipeline_runs = [summarise(pairs, grouped & reachable) for _, grouped in decisions]
    report = {
        "command": "python -m bench.story_quality",
        "model_version": load_model().version,
        "folds": args.folds,
        "repeats": args.repeats,
        "training_pairs": len(training_rows(pairs)),
        "cross_validated": aggregate,
        "cross_validated_runs": runs,
        "cross_validated_same_story": group_aggregate,
        "cross_validated_same_story_runs": group_runs,
        "cross_validated_same_story_through_candidates": _aggregate(pipeline_runs),
        "seeds": seeds_check(),
        "reuters_corpus": None if args.skip_corpus else reuters_corpus_checks(args.reuters_limit),
        "candidate_recall": candidate_recall(pairs),
        "candidate_recall_lexical_bands_only": candidate_recall(pairs, 0),
        "costs": pair_costs(pairs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("merged (duplicate removed):")
    print(_table(aggregate))
    print("same story (story_id shared: merged or grouped):")
    print(_table(group_aggregate))
    print("same story through the candidate bands (what the pipeline can reach):")
    print(_table(report["cross_validated_same_story_through_candidates"]))
    print("seeds merged:", report["seeds"]["merged"], "same story:", report["seeds"]["same_story"])
    print("reuters corpus:", json.dumps(report.get("reuters_corpus")))
    print("costs:", json.dumps(report["costs"]))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
