"""Story-tier research lab (Beam-free): entity signatures, story LSH and verify rules.

Compares variants of the ``story`` tier (and audits the ``near`` tier) on the seeds,
Reuters-21578 and SemEval-2022 Task 8 without touching ``transforms.core.similarity``:
exact/near decisions come from ``similarity.verify`` with the story tier disabled, the
story tier is re-implemented here as pure-Python/numpy reference functions
(:func:`story_features`, :func:`story_keys`, :func:`story_verify`) meant to be ported.

Documents go through the pipeline's own normalisation (``clean_text`` ->
``split_date_header`` -> ``strip_boilerplate``), Reuters as the files ``bench/corpora.py``
writes (inline date header, title line, blank line, body). SemEval texts carry no dates:
as in ``bench/quality_core.py`` they all get one day (worst case for false merges).
Clustering is quality_core's (date order, exact copies first, best earlier canonical, no
chaining). Usage: ``python bench/quality_lab.py [--out FILE] [--variant NAME ...]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import numpy as np
import xxhash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.quality_core import assign_canonicals  # noqa: E402
from newsingest.transforms.core.canonical import epoch_days  # noqa: E402
from newsingest.transforms.core.dates import split_date_header  # noqa: E402
from newsingest.transforms.core.entities import ENTITY_STOP
from newsingest.transforms.core.minhash import LshParams, band_keys, signatures  # noqa: E402
from newsingest.transforms.core.similarity import (  # noqa: E402
    STOP_WORDS,
    DedupConfig,
    Features,
    Match,
    candidate_keys,
    compute_features,
    verify,
)
from newsingest.transforms.core.text import clean_text, content_hash, strip_boilerplate  # noqa: E402
from newsingest.transforms.core.tokens import tokenize  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEMEVAL_DAY = (dt.date(2020, 1, 1) - dt.date(1970, 1, 1)).days
_TEMPLATED = re.compile(r"\b(shr|qtly div|qtly|div|net|revs|sales)\b[^\n]*\bvs\b", re.I)

# --------------------------------------------------------------------------- story features

# The product's list (transforms/core/entities.py), the one this lab defined first.

_ENT_SEED = 0xE7
_LEAD_SEED = 0x1EAD
_FIG_SEED = 0xF16
_WEIGHT_BITS = np.uint32(0xF)
# One regex pass over the original-case text: words, numbers, sentence marks, newlines.
_SCAN_RE = re.compile(
    r"(?<![^\W\d_])[A-Z]\.|[^\W\d_]+(?:['’][^\W\d_]+)?|\d+(?:[.,]\d+)*|[.!?:;\"«»„“”]|\n"
)
_SENTENCE_MARKS = frozenset('.!?:;"«»„“”\n')
_CASELESS = re.compile(r"[\u0600-\u06ff\u0e00-\u0eff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class StoryFeatures:
    """Lab story features of one document (on top of ``similarity.Features``).

    Attributes:
        ents: sorted uint32 hashes of distinct entity terms (low 4 bits: weight class).
        ent_count: distinct entity terms.
        names: entity terms that are multi-word names or acronyms (subset hashes).
        lead: sorted uint32 hashes of entity terms of the first ``lead_words`` words.
        title: sorted uint32 hashes of the casefolded >=3-letter title words (may be empty).
        figures: sorted uint32 hashes of the distinct number tokens (all of them).
        caseless: the text is mostly in a script without letter case (ar, zh, th, ja).
        key: sorted hashes (as in ``ents``) of the document's key entities: the
            ``key_size`` entity terms mentioned most often (ties: earlier first mention),
            among those mentioned at least twice, plus the first ``subject_size`` entity
            terms of the text. The story's who/what is repeated; a passing mention (an
            agency, a capital city) is not.
        lead_figures: sorted hashes of the number tokens among the first 40 tokens
            (the facts a brief leads with: "Mthly div 7.1 cts vs 7.1 cts").
    """

    ents: np.ndarray
    ent_count: int
    names: np.ndarray
    lead: np.ndarray
    title: np.ndarray
    figures: np.ndarray
    caseless: bool
    key: np.ndarray
    lead_figures: np.ndarray


def _h(value: str, seed: int, weight: int = 0) -> int:
    return (xxhash.xxh32_intdigest(value.encode("utf-8"), seed=seed) & ~0xF) | weight


def _arr(values) -> np.ndarray:
    return np.unique(np.fromiter(values, dtype=np.uint32))


def extract_entities(text: str, lead_words: int = 60) -> tuple[list[str], list[str], set[str]]:
    """Entity terms of ``text`` (original case): single words, multi-word names, lead set.

    A word is an entity word when it starts with an upper-case letter, is at least two
    letters long, is not in ``ENTITY_STOP`` / ``STOP_WORDS`` and either stands inside a
    sentence or (sentence-initial) also occurs capitalised inside a sentence elsewhere in
    the document. Lines written entirely in capitals (wire headlines) and Title Case lines
    followed by a blank line (section headings) carry no case information and are
    skipped. Runs of consecutive entity words (up to 3) also give a multi-word name
    ("sergei naryshkin"); acronyms of 2-6 capitals ("SEC", "KCNA") count as names.
    Returns (single words, names, entity terms among the first ``lead_words`` words),
    all casefolded.
    """
    tokens: list[tuple[str, bool, int]] = []  # (token, sentence_initial, word index)
    initial = True
    words = 0
    previous_short = True
    lines = text.split("\n")
    for number, line in enumerate(lines):
        followed_by_break = number + 1 == len(lines) or not lines[number + 1].strip()
        if previous_short:
            initial = True  # after a blank or heading-like line a new sentence starts
        previous_short = len(line) < 50
        letters = [c for c in line if c.isalpha()]
        upper_line = len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.8 * len(letters)
        long_words = [w for w in line.split() if len(w) >= 4]
        if (
            followed_by_break
            and len(long_words) >= 3
            and len(line) < 90
            and not line.rstrip().endswith(".")
        ):
            capital = sum(w[0].isupper() for w in long_words)
            upper_line = upper_line or capital >= 0.7 * len(long_words)  # Title Case heading
        for match in _SCAN_RE.finditer(line):
            tok = match.group()
            if len(tok) == 2 and tok[1] == ".":
                continue  # an initial ("Sergei E. Naryshkin", "U.S.")
            if tok in _SENTENCE_MARKS:
                initial = True
                tokens.append(("", True, words))
                continue
            words += 1
            if upper_line or tok[0].isdigit():
                tokens.append(("", False, words))
                initial = False
                continue
            if tok[-2:] in ("'s", "’s"):
                tok = tok[:-2]
            tokens.append((tok, initial, words))
            initial = False
        tokens.append(("", False, words))  # a line break ends a name run, not a sentence
    inside = {t for t, ini, _ in tokens if t and not ini and t[0].isupper()}

    def is_entity(tok: str, ini: bool) -> bool:
        if not tok or not tok[0].isupper() or len(tok) < 2:
            return False
        low = tok.casefold()
        if low in ENTITY_STOP or low in STOP_WORDS:
            return False
        return not ini or tok in inside

    singles: list[str] = []
    names: list[str] = []
    lead: set[str] = set()
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 2:
            for size in (2, 3):
                for k in range(len(run) - size + 1):
                    names.append(" ".join(run[k : k + size]))
        run.clear()

    for tok, ini, index in tokens:
        if is_entity(tok, ini):
            low = tok.casefold()
            singles.append(low)
            if tok.isupper() and 2 <= len(tok) <= 6:
                names.append(low)
            if index <= lead_words:
                lead.add(low)
            run.append(low)
        else:
            flush()
    flush()
    return singles, names, lead


def story_features(
    text: str,
    title: str | None,
    *,
    single_weight: int = 2,
    name_weight: int = 4,
    long_bonus: bool = True,
    lead_words: int = 60,
    key_size: int = 8,
    subject_size: int = 3,
) -> StoryFeatures:
    """Reference implementation of the lab's story features (one regex pass + hashing)."""
    singles, names, lead = extract_entities(text, lead_words)
    caseless = len(_CASELESS.findall(text[:400])) > 40
    ent_terms: dict[str, int] = {}
    for word in singles:
        weight = single_weight + (1 if long_bonus and len(word) >= 8 else 0)
        ent_terms[word] = max(ent_terms.get(word, 0), weight)
    for name in names:
        ent_terms["\x1f" + name] = name_weight
    ents = _arr(_h(t, _ENT_SEED, w) for t, w in ent_terms.items())
    counts = Counter(singles)
    counts.update("\x1f" + n for n in names)
    order = {t: k for k, t in enumerate(dict.fromkeys(["\x1f" + n for n in names] + singles))}
    first_seen = list(dict.fromkeys(singles))[:subject_size]
    repeated = sorted(
        (t for t, k in counts.items() if k >= 2), key=lambda t: (-counts[t], order[t])
    )
    key_terms = set(repeated[:key_size]) | set(first_seen)
    key = _arr(_h(t, _ENT_SEED, ent_terms[t]) for t in key_terms)
    name_hashes = _arr(_h("\x1f" + n, _ENT_SEED, name_weight) for n in set(names))
    lead_hashes = _arr(_h(t, _LEAD_SEED) for t in lead)
    title_words = [t for t in tokenize(title or "") if len(t) >= 3 and not t[0].isdigit()]
    title_hashes = _arr(_h(t, _LEAD_SEED) for t in title_words if t not in STOP_WORDS)
    tokens = tokenize(text)
    figs = _arr(_h(t, _FIG_SEED) for t in tokens if t[0].isdigit())
    lead_figs = _arr(_h(t, _FIG_SEED) for t in tokens[:40] if t[0].isdigit())
    return StoryFeatures(
        ents, len(ents), name_hashes, lead_hashes, title_hashes, figs, caseless, key, lead_figs
    )


# --------------------------------------------------------------------------- story keys


@dataclass(frozen=True)
class Variant:
    """One story-tier design. ``keys``: "terms" (current) or "ents"; see story_verify."""

    name: str
    keys: str = "ents"
    bands: int = 16
    rows: int = 2
    both_parities: bool = False
    min_ents: int = 8
    min_shared: int = 3
    min_shared_names: int = 1
    ent_threshold: float = 0.10
    ent_per_day: float = 0.04
    lead_min: int = 0
    fig_rule: int = 3
    fig_min_jaccard: float = 0.0
    length_ratio: float = 0.2
    caseless_fallback: bool = True
    term_threshold: float = 0.0
    current: bool = False
    lead_bands: int = 0
    key_containment: float = 0.0
    lead_figure_rule: int = 2
    term_per_day: float = 0.0


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _tile(keys: np.ndarray, days: np.ndarray, shift: np.ndarray, window: int) -> np.ndarray:
    width = max(window, 1)
    tiles = ((days[:, None] + shift[None, :]) // (2 * width)).astype(np.uint64)
    mixed = keys ^ (tiles * _MIX[1])
    mixed *= _MIX[0]
    mixed ^= mixed >> np.uint64(29)
    return mixed


def _filler(content: str, count: int, namespace: int) -> np.ndarray:
    base = f"{namespace}:{content}".encode()
    return np.array(
        [xxhash.xxh3_64_intdigest(base, seed=0xF1 + i) for i in range(count)], dtype=np.uint64
    )


def story_eligible(f: Features, s: StoryFeatures, v: Variant, cfg: DedupConfig) -> bool:
    if f.template or f.published_days is None:
        return False
    if s.caseless and v.caseless_fallback:
        return f.term_count >= cfg.story_min_terms
    return s.ent_count >= v.min_ents


def story_keys(
    feats: list[Features], story: list[StoryFeatures], v: Variant, cfg: DedupConfig
) -> np.ndarray:
    """Story LSH keys: ``bands`` x ``rows`` MinHash of the entity set, date-tiled.

    Caseless-script documents band their current story terms instead (same LSH). With
    ``both_parities`` every band is emitted for both tile offsets (2 x bands columns), so a
    pair within the window meets in every band rather than in about half of them.
    """
    n = len(feats)
    ok = [story_eligible(f, s, v, cfg) for f, s in zip(feats, story, strict=True)]
    empty = np.empty(0, np.uint32)

    def family(pick, bands: int, seed: int, namespace: int) -> np.ndarray:
        sets = [pick(f, s) if good else empty for f, s, good in zip(feats, story, ok, strict=True)]
        sigs = signatures(sets, bands * v.rows, seed)
        return band_keys(sigs, LshParams(bands=bands, rows=v.rows), namespace)

    def main_set(f: Features, s: StoryFeatures) -> np.ndarray:
        if s.caseless and v.caseless_fallback or v.keys == "terms":
            return f.terms
        return s.lead if v.keys == "lead" else s.ents

    keys = family(main_set, v.bands, cfg.seed + 1, 1)
    if v.lead_bands:
        lead = family(lambda f, s: f.terms if s.caseless else s.lead, v.lead_bands, cfg.seed + 2, 3)
        keys = np.hstack((keys, lead))
    bands = keys.shape[1]
    days = np.array([f.published_days or 0 for f in feats], dtype=np.int64)
    window = cfg.story_window_days
    if v.both_parities:
        zeros = np.zeros(bands, np.int64)
        ones = np.full(bands, max(window, 1), np.int64)
        keys = np.hstack((_tile(keys, days, zeros, window), _tile(keys, days, ones, window)))
    else:
        shift = (np.arange(bands, dtype=np.int64) % 2) * max(window, 1)
        keys = _tile(keys, days, shift, window)
    for i in range(n):
        if not ok[i]:
            keys[i] = _filler(feats[i].content_hash, keys.shape[1], 1)
    return keys


# --------------------------------------------------------------------------- story verify


def _wj(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    shared = np.intersect1d(a, b, assume_unique=True)
    ws = int((shared & _WEIGHT_BITS).sum())
    union = int((a & _WEIGHT_BITS).sum()) + int((b & _WEIGHT_BITS).sum()) - ws
    return (ws / union if union else 0.0), shared


def _jac(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _term_wj(a: Features, b: Features) -> float:
    # similarity._weighted_jaccard, including its bottom-k sample ceiling
    ca = float(a.terms[-1]) if len(a.terms) < a.term_count else np.inf
    cb = float(b.terms[-1]) if len(b.terms) < b.term_count else np.inf
    c = min(ca, cb)
    ta, tb = a.terms, b.terms
    if c != np.inf:
        ta, tb = ta[ta <= c], tb[tb <= c]
    return _wj(ta, tb)[0]


def story_verify(
    a: Features, sa: StoryFeatures, b: Features, sb: StoryFeatures, v: Variant, cfg: DedupConfig
) -> Match | None:
    """Reference story rule (after exact/near failed). Order: eligibility, date window,
    length ratio, figure rule, entity evidence, weighted entity Jaccard vs per-day threshold.
    """
    if not (story_eligible(a, sa, v, cfg) and story_eligible(b, sb, v, cfg)):
        return None
    days = abs(a.published_days - b.published_days)
    if days > cfg.story_window_days:
        return None
    shorter, longer = sorted((a.token_count, b.token_count))
    if shorter < v.length_ratio * longer:
        return None
    if (
        v.fig_rule
        and min(len(sa.figures), len(sb.figures)) >= v.fig_rule
        and _jac(sa.figures, sb.figures) <= v.fig_min_jaccard
    ):
        return None
    if (
        v.lead_figure_rule
        and min(len(sa.lead_figures), len(sb.lead_figures)) >= v.lead_figure_rule
        and not np.array_equal(sa.lead_figures, sb.lead_figures)
    ):
        return None
    if sa.caseless or sb.caseless:
        if not (v.caseless_fallback and sa.caseless and sb.caseless):
            return None
        score = _term_wj(a, b)
        need = cfg.story_threshold + cfg.story_threshold_per_day * days
        return Match("story", score) if score >= need else None
    if v.term_threshold and _term_wj(a, b) < v.term_threshold + v.term_per_day * days:
        return None
    score, shared = _wj(sa.ents, sb.ents)
    if len(shared) < v.min_shared:
        return None
    if v.min_shared_names and len(np.intersect1d(sa.names, sb.names)) < v.min_shared_names:
        return None
    if v.lead_min and len(np.intersect1d(sa.lead, sb.lead)) < v.lead_min:
        return None
    if (
        v.key_containment
        and min(
            len(np.intersect1d(sa.key, sb.ents)) / max(len(sa.key), 1),
            len(np.intersect1d(sb.key, sa.ents)) / max(len(sb.key), 1),
        )
        < v.key_containment
    ):
        return None
    if score >= v.ent_threshold + v.ent_per_day * days:
        return Match("story", score)
    return None


# --------------------------------------------------------------------------- harness


@dataclass
class Corpus:
    names: list[str]
    texts: list[str]
    titles: list[str | None]
    feats: list[Features]
    story: list[StoryFeatures]


def build(raws: list[str], default_day: int | None, cfg: DedupConfig, names=None) -> Corpus:
    texts, titles, hashes, days = [], [], [], []
    for raw in raws:
        header = split_date_header(clean_text(raw))
        content = header.body.strip()
        title = None
        first, sep, _rest = content.partition("\n")
        if sep and first.isupper():
            title = first
        texts.append(strip_boilerplate(content))
        titles.append(title)
        hashes.append(content_hash(content))
        day = epoch_days(header.published_date)
        days.append(default_day if day is None else day)
    feats = compute_features(texts, hashes, days, replace(cfg, story_enabled=True))
    story = [story_features(t, ti) for t, ti in zip(texts, titles, strict=True)]
    return Corpus(names or [str(i) for i in range(len(raws))], texts, titles, feats, story)


def cluster(corpus: Corpus, v: Variant, cfg: DedupConfig) -> tuple[list[int], list, dict]:
    feats, story = corpus.feats, corpus.story
    base = replace(cfg, story_enabled=v.current)
    near_keys = candidate_keys(feats, base)
    keys = near_keys if v.current else np.hstack((near_keys, story_keys(feats, story, v, cfg)))
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for column in range(keys.shape[1]):
        for row, key in enumerate(keys[:, column].tolist()):
            buckets[(column, key)].append(row)
    order_key = [
        (f.published_days if f.published_days is not None else 1 << 40, i)
        for i, f in enumerate(feats)
    ]
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) > 1:
            pairs.update(combinations(sorted(members), 2))
    started = time.perf_counter()
    matches: dict[int, list[tuple[int, Match]]] = defaultdict(list)
    for i, j in pairs:
        first, second = (i, j) if order_key[i] < order_key[j] else (j, i)
        m = verify(feats[first], feats[second], base)
        if m is None and not v.current:
            m = story_verify(feats[first], story[first], feats[second], story[second], v, cfg)
        if m is not None:
            matches[second].append((first, m))
    verify_us = (time.perf_counter() - started) / max(len(pairs), 1) * 1e6
    canonical, method = assign_canonicals(order_key, [f.content_hash for f in feats], matches)
    stats = {
        "candidate_pairs": len(pairs),
        "verify_us_per_pair": round(verify_us, 1),
        "max_bucket": max((len(m) for m in buckets.values()), default=0),
        "merged": dict(Counter(m for m in method if m)),
    }
    return canonical, method, stats, keys


def load_seeds() -> Corpus | None:
    paths = sorted((SHARED / "seeds").glob("*.txt"))
    if not paths:
        return None
    raws = [p.read_text(encoding="utf-8") for p in paths]
    return build(raws, None, DedupConfig(), [p.name[:3] for p in paths])


def load_reuters() -> Corpus | None:
    paths = sorted((SHARED / "corpora" / "reuters21578").glob("*.json"))
    if not paths:
        return None
    raws = []
    for path in paths:
        for doc in json.loads(path.read_text(encoding="utf-8")):
            body = (doc.get("body") or "").strip()
            if not body:
                continue
            title = (doc.get("title") or "").strip()
            date = (doc.get("date") or "").strip()
            head = f" date {date} {title}" if title else f" date {date}"
            raws.append(f"{head}\n\n{body}")
    return build(raws, None, DedupConfig())


def load_semeval() -> tuple[Corpus, list] | None:
    path = SHARED / "corpora" / "semeval2022-task8" / "training_set.csv"
    if not path.exists():
        return None
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    index: dict[str, int] = {}
    raws: list[str] = []
    pairs = []
    for row in rows:
        ids = []
        for column in ("text1", "text2"):
            text = row[column]
            if text not in index:
                index[text] = len(raws)
                raws.append(text)
            ids.append(index[text])
        pairs.append((row["lang1"], row["lang2"], float(row["Overall"]), *ids))
    return build(raws, SEMEVAL_DAY, DedupConfig()), pairs


def _figs(text: str) -> Counter:
    return Counter(t for t in tokenize(text) if t[0].isdigit())


def score_seeds(c: Corpus, v: Variant, cfg: DedupConfig) -> dict:
    canonical, methods, _, _ = cluster(c, v, cfg)
    merged = [[c.names[r], c.names[d], methods[d]] for d, r in enumerate(canonical) if r != d]
    return {"merged": merged, "ok": merged == [["001", "000", "story"]]}


def score_reuters(c: Corpus, v: Variant, cfg: DedupConfig) -> dict:
    canonical, methods, stats, _ = cluster(c, v, cfg)
    by_body: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(c.texts):
        body = text.split("\n", 1)[-1] if c.titles[i] else text
        by_body[" ".join(body.split())].append(i)
    dup = [p for g in by_body.values() for p in combinations(g, 2)]
    same_title = [(i, j) for i, j in dup if c.titles[i] == c.titles[j]]
    hit = sum(canonical[i] == canonical[j] for i, j in dup)
    hit_same = sum(canonical[i] == canonical[j] for i, j in same_title)
    # The link that put each document in its cluster: an exact copy inherits its first
    # copy's method, so a story merge is not hidden behind "exact".
    first: dict[str, int] = {}
    link = list(methods)
    for d in sorted(range(len(canonical)), key=lambda k: (c.feats[k].published_days or 0, k)):
        twin = first.setdefault(c.feats[d].content_hash, d)
        if twin != d:
            link[d] = link[twin] if link[twin] else "exact"
    diff: dict[str, list] = defaultdict(list)
    templated = 0
    for d, r in enumerate(canonical):
        if r == d or c.feats[r].content_hash == c.feats[d].content_hash:
            continue
        if _figs(c.texts[r]) != _figs(c.texts[d]):
            diff[link[d]].append((r, d))
            if _TEMPLATED.search(c.texts[r]) or _TEMPLATED.search(c.texts[d]):
                templated += 1
    examples = [
        {
            "m": link[d],
            "a": c.texts[r][:110].replace("\n", " | "),
            "b": c.texts[d][:110].replace("\n", " | "),
        }
        for pairs in diff.values()
        for r, d in pairs[:5]
    ]
    corrected = 0
    titles = defaultdict(list)
    for i, t in enumerate(c.titles):
        if t:
            titles[t].append(i)
    cpairs = []
    for i, t in enumerate(c.titles):
        if t and "CORRECTED" in t:
            orig = re.sub(r"\(?CORRECTED\)?\s*-?\s*", "", t).strip()
            cpairs += [(i, j) for j in titles.get(orig, ()) if j != i]
    corrected = sum(canonical[i] == canonical[j] for i, j in cpairs)
    return {
        **stats,
        "identical_body_pairs": len(dup),
        "identical_body_recall": round(hit / len(dup), 4) if dup else None,
        "identical_body_same_title_recall": (
            round(hit_same / len(same_title), 4) if same_title else None
        ),
        "identical_body_other_title_merged": f"{hit - hit_same}/{len(dup) - len(same_title)}",
        "corrected_merged": f"{corrected}/{len(cpairs)}",
        "figure_differing_by_method": {k: len(p) for k, p in diff.items()},
        "templated_figure_differing": templated,
        "examples": examples,
        "_canonical": canonical,
        "_methods": methods,
    }


def score_semeval(c: Corpus, pairs: list, v: Variant, cfg: DedupConfig) -> dict:
    canonical, methods, stats, keys = cluster(c, v, cfg)
    per: dict[str, dict[str, list]] = defaultdict(lambda: {"same": [], "diff": []})
    for l1, l2, overall, i, j in pairs:
        bucket = "same" if overall <= 1.5 else "diff" if overall >= 3.5 else None
        if bucket:
            cand = bool(set(keys[i].tolist()) & set(keys[j].tolist()))
            per[f"{l1}-{l2}"][bucket].append((canonical[i] == canonical[j], cand))

    def rates(same, diff):
        def r(rows, k):
            return round(sum(x[k] for x in rows) / len(rows), 3) if rows else None

        return {
            "recall": r(same, 0),
            "n": len(same),
            "false": r(diff, 0),
            "n_diff": len(diff),
            "cand_recall": r(same, 1),
        }

    out = {k: rates(p["same"], p["diff"]) for k, p in sorted(per.items())}
    mono = [p for k, p in per.items() if k[:2] == k[3:]]
    out["all_same_lang"] = rates(
        [x for p in mono for x in p["same"]], [x for p in mono for x in p["diff"]]
    )
    return {**stats, "per_lang": out}


CFG = DedupConfig()
_SHAPE = dict(
    rows=2,
    both_parities=True,
    min_ents=6,
    min_shared=3,
    min_shared_names=0,
    lead_min=1,
    ent_per_day=0.05,
    fig_rule=3,
)
VARIANTS = {
    "current": Variant("current", current=True),
    # SemEval-leaning: entity + weak term evidence.
    "ent_loose": Variant(
        "ent_loose",
        bands=24,
        lead_bands=8,
        ent_threshold=0.08,
        term_threshold=0.05,
        fig_min_jaccard=0.0,
        **_SHAPE,
    ),
    # Balanced: key-entity containment, term evidence, figure agreement.
    "ent_balanced": Variant(
        "ent_balanced",
        bands=16,
        lead_bands=8,
        ent_threshold=0.10,
        term_threshold=0.10,
        term_per_day=0.03,
        key_containment=0.5,
        fig_min_jaccard=0.25,
        **_SHAPE,
    ),
    # Balanced with one tile parity per band: half the story keys.
    "ent_balanced_1p": Variant(
        "ent_balanced_1p",
        bands=16,
        lead_bands=8,
        ent_threshold=0.10,
        term_threshold=0.10,
        term_per_day=0.03,
        key_containment=0.5,
        fig_min_jaccard=0.25,
        **{**_SHAPE, "both_parities": False},
    ),
    # Reuters-safe: strong lexical + entity evidence.
    "ent_strict": Variant(
        "ent_strict",
        bands=16,
        lead_bands=8,
        ent_threshold=0.15,
        term_threshold=0.20,
        term_per_day=0.03,
        key_containment=0.5,
        fig_min_jaccard=0.25,
        **_SHAPE,
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--only", action="append", choices=("seeds", "reuters", "semeval"))
    args = parser.parse_args(argv)
    chosen = args.variant or list(VARIANTS)
    t0 = time.perf_counter()
    seeds = load_seeds() if not args.only or "seeds" in args.only else None
    reuters = load_reuters() if not args.only or "reuters" in args.only else None
    semeval = load_semeval() if not args.only or "semeval" in args.only else None
    print(f"loaded in {time.perf_counter() - t0:.1f}s", flush=True)
    report = {}
    for name in chosen:
        v = VARIANTS[name]
        res = {}
        if seeds:
            res["seeds"] = score_seeds(seeds, v, CFG)
        if reuters:
            r = score_reuters(reuters, v, CFG)
            res["reuters"] = {k: x for k, x in r.items() if not k.startswith("_")}
        if semeval:
            res["semeval"] = score_semeval(*semeval, v, CFG)
        report[name] = res
        print(f"== {name}")
        print(json.dumps(res, indent=1, ensure_ascii=False), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
