"""Dedup quality harness for transforms.core.similarity (Beam-free research tool).

Runs compute_features -> candidate_keys (buckets -> pairs) -> verify -> clusters on
the corpora under ../shared (each skipped when absent) and prints / writes figures:

* seeds: merged pairs (000+001 must merge, nothing else).
* Reuters-21578: identical-body duplicate recall, CORRECTED re-issue merges,
  merged pairs whose figures (number tokens) differ, split into templated ones
  (earnings/dividend style, must be zero) and others, tier counts, time.
* SemEval-2022 Task 8: per language pair, recall of Overall <= 1.5 pairs and
  false-merge rate of Overall >= 3.5 pairs, all documents clustered together.
  The corpus has no dates: every document gets the same date, so the story
  window always passes (the worst case for false merges).

Clustering: documents in date order (undated last); exact copies (equal content
hash) join their first copy's cluster, as the pipeline's exact tier runs first;
any other document joins the cluster of the best earlier canonical it verifies
against (exact > near > story, then similarity), never a non-canonical member (no
chaining); otherwise it starts a cluster.
Usage: ``python bench/quality_core.py [--out FILE] [--shared DIR] [--set KNOB=VALUE]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict
from itertools import combinations
from pathlib import Path

import xxhash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsingest.transforms.core.resolution import Edge, resolve  # noqa: E402
from newsingest.transforms.core.similarity import (  # noqa: E402
    DedupConfig,
    Features,
    Match,
    candidate_keys,
    compute_features,
    verify,
)
from newsingest.transforms.core.tokens import tokenize  # noqa: E402

EPOCH = dt.date(1970, 1, 1)
SEMEVAL_DAY = (dt.date(2020, 1, 1) - EPOCH).days
_SEED_HEADER = re.compile(r"\s*date (\d{4}-\d{2}-\d{2})\s")
_TEMPLATED = re.compile(r"\b(shr|qtly div|qtly|div|net|revs|sales)\b[^\n]*\bvs\b", re.I)


def assign_canonicals(
    order_key: list, content_hashes: list[str], matches: dict[int, list[tuple[int, Match]]]
) -> tuple[list[int], list[str | None]]:
    """Each document's canonical and merge method, by the product's one resolve rule.

    ``order_key[i]`` is ``(rank, i)``; ``matches[later]`` lists ``(earlier, Match)``
    verified pairs. Decisions come from ``transforms.core.resolution.resolve``, so the
    harness keeps and removes exactly as the pipeline does (identical copies follow
    their first copy, no chaining, exact before near before story).
    """
    edges = [
        Edge(earlier, later, order_key[earlier][0], order_key[later][0], m.method, m.similarity)
        for later, found in matches.items()
        for earlier, m in found
    ]
    canonical = list(range(len(content_hashes)))
    method: list[str | None] = [None] * len(content_hashes)
    for decision in resolve(edges):
        canonical[decision.doc_key] = decision.duplicate_of
        method[decision.doc_key] = decision.method
    return canonical, method


def clean(text: str) -> str:
    return unicodedata.normalize("NFKC", html.unescape(text)).strip()


def content_hash(text: str) -> str:
    return xxhash.xxh3_128_hexdigest(" ".join(text.casefold().split()).encode("utf-8"))


def figures(text: str) -> Counter:
    return Counter(t for t in tokenize(text) if t[0].isdigit())


def cluster(features: list[Features], config: DedupConfig) -> tuple[list[int], dict]:
    """Canonical index and merge method (None: canonical) of every document, plus stats."""
    keys = candidate_keys(features, config)
    buckets: dict[int, list[int]] = defaultdict(list)
    for column in range(keys.shape[1]):
        for row, key in enumerate(keys[:, column].tolist()):
            buckets[(column, key)].append(row)
    order_key = [
        (f.published_days if f.published_days is not None else 1 << 40, i)
        for i, f in enumerate(features)
    ]
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) > 1:
            pairs.update(combinations(sorted(members), 2))
    matches: dict[int, list[tuple[int, Match]]] = defaultdict(list)
    for i, j in pairs:
        first, second = (i, j) if order_key[i] < order_key[j] else (j, i)
        match = verify(features[first], features[second], config)
        if match is not None:
            matches[second].append((first, match))
    canonical, method = assign_canonicals(order_key, [f.content_hash for f in features], matches)
    stats = {
        "candidate_pairs": len(pairs),
        "verified_pairs": sum(len(v) for v in matches.values()),
        "max_bucket": max((len(m) for m in buckets.values()), default=0),
        "merged": dict(Counter(m for m in method if m)),
    }
    return canonical, method, stats


def _days(date: dt.date | None) -> int | None:
    return None if date is None else (date - EPOCH).days


def run_seeds(shared: Path, config: DedupConfig) -> dict | None:
    paths = sorted((shared / "seeds").glob("*.txt"))
    if not paths:
        return None
    names, texts, days = [], [], []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        header = _SEED_HEADER.match(raw)
        names.append(path.name[:3])
        texts.append(clean(raw[header.end() :] if header else raw))
        days.append(_days(dt.date.fromisoformat(header.group(1))) if header else None)
    feats = compute_features(texts, [content_hash(t) for t in texts], days, config)
    canonical, methods, stats = cluster(feats, config)
    merged = [
        [names[root], names[doc], methods[doc]] for doc, root in enumerate(canonical) if root != doc
    ]
    all_pairs = {
        f"{names[i]}-{names[j]}": (
            lambda m: None if m is None else [m.method, round(m.similarity, 3)]
        )(verify(feats[i], feats[j], config))
        for i, j in combinations(range(len(feats)), 2)
    }
    return {
        "merged": merged,
        "verify_all_pairs": all_pairs,
        "ok": merged == [["001", "000", "story"]],
    }


def run_reuters(shared: Path, config: DedupConfig) -> dict | None:
    paths = sorted((shared / "corpora" / "reuters21578").glob("*.json"))
    if not paths:
        return None
    docs = []
    for path in paths:
        docs.extend(json.loads(path.read_text(encoding="utf-8")))
    texts, titles, days, skipped = [], [], [], 0
    for doc in docs:
        body = clean(doc.get("body") or "")
        if not body:
            skipped += 1
            continue
        texts.append(body)
        titles.append(clean(doc.get("title") or ""))
        when = dt.datetime.strptime(doc["date"].split()[0], "%d-%b-%Y").date()
        days.append(_days(when))
    hashes = [content_hash(t) for t in texts]
    start = time.perf_counter()
    feats = compute_features(texts, hashes, days, config)
    feature_seconds = time.perf_counter() - start
    canonical, methods, stats = cluster(feats, config)
    total_seconds = time.perf_counter() - start

    by_body: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        by_body[text].append(i)
    dup_pairs = [p for group in by_body.values() for p in combinations(group, 2)]
    dup_hit = sum(canonical[i] == canonical[j] for i, j in dup_pairs)

    by_title: dict[str, list[int]] = defaultdict(list)
    for i, title in enumerate(titles):
        by_title[title].append(i)
    corrected = []
    for i, title in enumerate(titles):
        if title.startswith("(CORRECTED)"):
            original = title.split(" - ", 1)[-1].strip()
            for j in by_title.get(original, ()):
                corrected.append((i, j))
    corrected_hit = sum(canonical[i] == canonical[j] for i, j in corrected)

    figure_diff, templated = [], []
    for doc, root in enumerate(canonical):
        if root == doc or hashes[root] == hashes[doc]:
            continue
        if figures(texts[root]) != figures(texts[doc]):
            pair = (root, doc)
            figure_diff.append(pair)
            if _TEMPLATED.search(texts[root]) or _TEMPLATED.search(texts[doc]):
                templated.append(pair)

    def show(pairs):
        return [
            {
                "method": methods[j],
                "a": texts[i][:160],
                "b": texts[j][:160],
            }
            for i, j in pairs[:5]
        ]

    return {
        "docs": len(texts),
        "skipped_empty": skipped,
        "identical_body_pairs": len(dup_pairs),
        "identical_body_recall": round(dup_hit / len(dup_pairs), 4) if dup_pairs else None,
        "corrected_pairs": len(corrected),
        "corrected_merged": corrected_hit,
        "templated_false_merges": len(templated),
        "templated_examples": show(templated),
        "other_figure_differing_merges": len(figure_diff) - len(templated),
        "figure_differing_examples": show([p for p in figure_diff if p not in templated]),
        "feature_us_per_doc": round(feature_seconds / len(texts) * 1e6, 1),
        "seconds": round(total_seconds, 2),
        **stats,
    }


def run_semeval(shared: Path, config: DedupConfig) -> dict | None:
    path = shared / "corpora" / "semeval2022-task8" / "training_set.csv"
    if not path.exists():
        return None
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    index: dict[str, int] = {}
    texts: list[str] = []
    pairs = []
    for row in rows:
        ids = []
        for column in ("text1", "text2"):
            text = clean(row[column])
            if text not in index:
                index[text] = len(texts)
                texts.append(text)
            ids.append(index[text])
        pairs.append((row["lang1"], row["lang2"], float(row["Overall"]), *ids))
    feats = compute_features(
        texts, [content_hash(t) for t in texts], [SEMEVAL_DAY] * len(texts), config
    )
    canonical, methods, stats = cluster(feats, config)
    keys = candidate_keys(feats, config)
    per_lang: dict[str, dict[str, list]] = defaultdict(lambda: {"same": [], "diff": []})
    for lang1, lang2, overall, i, j in pairs:
        bucket = "same" if overall <= 1.5 else "diff" if overall >= 3.5 else None
        if bucket:
            per_lang[f"{lang1}-{lang2}"][bucket].append(
                (
                    canonical[i] == canonical[j],
                    bool(set(keys[i].tolist()) & set(keys[j].tolist())),
                    verify(feats[i], feats[j], config) is not None,
                )
            )

    def rates(same: list, diff: list) -> dict:
        def rate(rows: list, column: int) -> float | None:
            return round(sum(r[column] for r in rows) / len(rows), 3) if rows else None

        return {
            "recall": rate(same, 0),
            "same_n": len(same),
            "false_merge_rate": rate(diff, 0),
            "diff_n": len(diff),
            "candidate_recall": rate(same, 1),
            "pair_verify_recall": rate(same, 2),
            "pair_verify_false_rate": rate(diff, 2),
        }

    result = {}
    for lang in sorted(per_lang, key=lambda k: (k.split("-")[0] != k.split("-")[1], k)):
        result[lang] = rates(per_lang[lang]["same"], per_lang[lang]["diff"])
    mono = [v for k, v in per_lang.items() if k.split("-")[0] == k.split("-")[1]]
    result["all_same_language"] = rates(
        [x for v in mono for x in v["same"]], [x for v in mono for x in v["diff"]]
    )
    return {"docs": len(texts), "per_language_pair": result, **stats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KNOB=VALUE", help="override a knob"
    )
    parser.add_argument("--only", action="append", choices=("seeds", "reuters", "semeval"))
    args = parser.parse_args(argv)
    overrides = {}
    defaults = asdict(DedupConfig())
    for item in args.set:
        name, value = item.split("=", 1)
        overrides[name] = type(defaults[name])(
            value == "True" if value in ("True", "False") else value
        )
    config = DedupConfig(**overrides)
    config.validate()
    started = time.perf_counter()
    report = {"config": asdict(config)}
    for name, runner in (("seeds", run_seeds), ("reuters", run_reuters), ("semeval", run_semeval)):
        if args.only and name not in args.only:
            continue
        report[name] = runner(args.shared, config)
        print(f"== {name}")
        print(json.dumps(report[name], indent=1, ensure_ascii=False))
    report["seconds"] = round(time.perf_counter() - started, 1)
    print("total seconds", report["seconds"])
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
