"""Benchmark of the real ``newsingest run`` on the shared corpora (Reuters-21578, SemEval-2022 T8).

Writes each corpus as raw article files, runs the installed ``newsingest run`` as a child
process (wall clock and peak RSS of the child tree), then scores the dedup decisions from the
pipeline's own Parquet output (DuckDB). Nothing here re-implements dedup: a "cluster" is a kept
article plus every row of ``duplicates/`` that points at it.

Reuters-21578 (``reut2-*.json``): one file per story with a non-empty body, at
``<workdir>/reuters/<json stem>/<newid>.txt``, in the seeds' inline header form::

    " date 26-FEB-1987 15:01:01.79 " + TITLE + "\\n\\n" + body

(``" date <date>\\n\\n" + body`` when the title is empty). Entities (``&lt;``) are written as
they are; the pipeline decodes them. Figures reported:

* files, wall time, docs/s, peak RSS, kept / exact / near / story / quarantined;
* identical-body recall: pairs of stories whose whitespace-normalised, entity-decoded bodies
  are identical, fraction that end up in one cluster; also split by whether the two titles
  are the same (identical dividend notices of different companies share a body, not a title);
* CORRECTED re-issues: titles containing ``CORRECTED``; the original is the nearest (by
  ``newid``) other story whose title, with the CORRECTED marker removed, is the same, else
  whose body starts with the same 12 words; how many share a cluster with it;
* figure-differing merges: every (duplicate, canonical) row whose bodies' multisets of
  number tokens (``\\d+(?:[.,]\\d+)*``) differ, by method, with up to 5 examples. Those
  whose bodies look templated (earnings / dividend lines, ``Shr ... vs ...``) are the
  "templated false merges"; the target is zero.

SemEval-2022 Task 8 (``training_set.csv``): both texts of every row as
``<workdir>/semeval/<pair_id>_1.txt`` and ``_2.txt`` (the k-th repeat of a ``pair_id``, k >= 2,
becomes ``<pair_id>.<k>_1.txt``: 40 ids repeat, mostly with different texts). The texts carry
no date header, so every article is undated (``date_status`` missing), and with the default
``story_requires_dates`` the story tier cannot merge them: only exact and near can. All files
go through one run; a row counts as merged when both files share a cluster. Reported per
language pair, overall and en-en: recall of same-story rows (Overall <= 1.5) and the
false-merge rate of must-not-merge rows (Overall >= 3.5).

Baseline: a bare datasketch loop over the same Reuters bodies, in process (word 5-gram
shingles of ``body.split()``, ``MinHash(num_perm=128).update_batch``, ``MinHashLSH`` at
threshold 0.8, ``query`` then ``insert`` when unmatched); reported as newsingest docs/s
(child-process wall clock, start-up included) divided by baseline docs/s.

Usage::

    python -m bench.corpora [--reuters DIR] [--semeval CSV] [--out FILE] [--workdir DIR]
                            [-- extra newsingest run options]

Without ``--workdir`` a temporary directory is used and removed afterwards.
"""

from __future__ import annotations

import argparse
import csv
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import duckdb

__all__ = [
    "Story",
    "SemevalRow",
    "Clusters",
    "RunResult",
    "load_reuters",
    "write_reuters",
    "reuters_file_text",
    "load_semeval",
    "write_semeval",
    "run_newsingest",
    "read_clusters",
    "score_reuters",
    "score_semeval",
    "baseline_lsh",
    "figures",
    "main",
]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
DEFAULT_REUTERS = SHARED / "reuters21578"
DEFAULT_SEMEVAL = SHARED / "semeval2022-task8" / "training_set.csv"
DEFAULT_OUT = ROOT / "bench" / "results" / "corpora.json"
RUN_ID = "bench"

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CORRECTED = re.compile(r"\(?\bCORRECTED\b\)?\s*[-:]?\s*", re.I)
_TEMPLATED = re.compile(r"\b(?:shr|qtly div|qtly|div|net|revs|sales)\b[^\n]*\bvs\b", re.I)
_TITLE_CHARS = re.compile(r"[^0-9a-z]+")
_BODY_START_WORDS = 12
_MAX_EXAMPLES = 5


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Story:
    """One Reuters story: ``newid`` names its file; ``group`` is its JSON file's stem."""

    newid: str
    group: str
    date: str
    title: str
    body: str


@dataclass(frozen=True)
class SemevalRow:
    """One SemEval row; ``name`` is the file stem prefix (``<pair_id>`` or ``<pair_id>.<k>``)."""

    name: str
    pair_id: str
    lang1: str
    lang2: str
    overall: float
    text1: str
    text2: str


def load_reuters(directory: Path) -> list[Story]:
    """Stories with a non-empty body from ``directory/reut2-*.json``, in file order."""
    stories = []
    for path in sorted(directory.glob("reut2-*.json")):
        for doc in json.loads(path.read_text(encoding="utf-8")):
            body = doc.get("body") or ""
            if not body.strip():
                continue
            stories.append(
                Story(
                    newid=str(doc["attrs"]["newid"]),
                    group=path.stem,
                    date=(doc.get("date") or "").strip(),
                    title=(doc.get("title") or "").strip(),
                    body=body,
                )
            )
    return stories


def reuters_file_text(story: Story) -> str:
    """The raw article file of ``story``: inline date header, title line, blank line, body."""
    head = f" date {story.date} {story.title}" if story.title else f" date {story.date}"
    return f"{head}\n\n{story.body}"


def write_reuters(stories: Iterable[Story], directory: Path) -> int:
    """Writes one file per story under ``directory/<group>/<newid>.txt``; returns the count."""
    count = 0
    for story in stories:
        folder = directory / story.group
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{story.newid}.txt").write_text(reuters_file_text(story), encoding="utf-8")
        count += 1
    return count


def load_semeval(path: Path) -> list[SemevalRow]:
    """Rows of a SemEval-2022 Task 8 CSV; repeated pair ids get a ``.<k>`` suffix (k >= 2)."""
    csv.field_size_limit(1 << 30)
    seen: Counter = Counter()
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            pair_id = row["pair_id"]
            seen[pair_id] += 1
            name = pair_id if seen[pair_id] == 1 else f"{pair_id}.{seen[pair_id]}"
            rows.append(
                SemevalRow(
                    name=name,
                    pair_id=pair_id,
                    lang1=row["lang1"],
                    lang2=row["lang2"],
                    overall=float(row["Overall"]),
                    text1=row["text1"],
                    text2=row["text2"],
                )
            )
    return rows


def write_semeval(rows: Iterable[SemevalRow], directory: Path) -> int:
    """Writes ``<name>_1.txt`` and ``<name>_2.txt`` per row (no date header); returns files."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for row in rows:
        (directory / f"{row.name}_1.txt").write_text(row.text1, encoding="utf-8")
        (directory / f"{row.name}_2.txt").write_text(row.text2, encoding="utf-8")
        count += 2
    return count


# --------------------------------------------------------------------------- running


@dataclass
class RunResult:
    """One ``newsingest run`` child process and its committed manifest (None on failure)."""

    returncode: int
    wall_s: float
    max_rss_mb: float | None
    manifest: dict | None
    stdout: str
    stderr: str


def _newsingest_command() -> list[str]:
    script = Path(sys.executable).with_name("newsingest")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "newsingest.pipeline.cli"]


def run_newsingest(
    input_dir: Path, output_dir: Path, extra: Sequence[str] = (), run_id: str = RUN_ID
) -> RunResult:
    """Runs ``newsingest run`` on ``input_dir`` into a fresh ``output_dir`` as a child process.

    Wall clock covers the whole child (interpreter and Beam start-up included). Peak RSS is
    the child tree's largest resident set (``wait4`` rusage: the child and the descendants
    it waited for), in MiB.
    """
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    command = [
        *_newsingest_command(),
        "run",
        "--input",
        str(input_dir),
        "--output",
        str(output_dir),
        "--run-id",
        run_id,
        *extra,
    ]
    log_out, log_err = (
        output_dir.parent / f"{output_dir.name}.stdout",
        output_dir.parent / (f"{output_dir.name}.stderr"),
    )
    with log_out.open("wb") as out, log_err.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    manifest_path = output_dir / "_runs" / f"{run_id}.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    return RunResult(
        returncode=process.returncode,
        wall_s=wall,
        max_rss_mb=round(usage.ru_maxrss / 1024, 1) if usage.ru_maxrss else None,
        manifest=manifest if process.returncode == 0 else None,
        stdout=log_out.read_text(errors="replace"),
        stderr=log_err.read_text(errors="replace"),
    )


# --------------------------------------------------------------------------- clusters


@dataclass
class Clusters:
    """A run's dedup outcome, keyed by input file stem (file name without ``.txt``).

    Attributes:
        root: stem -> article_id of its cluster's kept article (kept and duplicate files).
        method: stem -> (method, similarity) for files in ``duplicates/``.
        canonical_stem: stem of a duplicate -> stem of its cluster's kept article.
        quarantined: stems of quarantined files, with their reason.
        date_status: count of kept articles per ``date_status``.
        dangling: duplicate rows whose ``duplicate_of`` is no kept article of the run.
        chained: duplicate rows whose ``duplicate_of`` is itself a duplicate.
    """

    root: dict[str, str] = field(default_factory=dict)
    method: dict[str, tuple[str, float]] = field(default_factory=dict)
    canonical_stem: dict[str, str] = field(default_factory=dict)
    quarantined: dict[str, str] = field(default_factory=dict)
    date_status: dict[str, int] = field(default_factory=dict)
    dangling: int = 0
    chained: int = 0

    def describe(self, stem: str) -> str:
        """``kept``, ``<method> <similarity> of <kept stem>``, ``quarantined`` or ``absent``."""
        if stem in self.method:
            method, similarity = self.method[stem]
            return f"{method} {similarity:.3f} of {self.canonical_stem.get(stem, '?')}"
        if stem in self.root:
            return "kept"
        return "quarantined" if stem in self.quarantined else "absent"

    def same(self, a: str, b: str) -> bool:
        """Whether files ``a`` and ``b`` (stems) ended up in one cluster."""
        ra, rb = self.root.get(a), self.root.get(b)
        return ra is not None and ra == rb


def _stem(uri: str) -> str:
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".txt") else name


def _rows(sql: str) -> list[tuple]:
    return duckdb.sql(sql).fetchall()


def read_clusters(output_dir: Path) -> Clusters:
    """Reads ``articles/``, ``duplicates/`` and ``quarantine/`` of a dataset with DuckDB."""
    out = Clusters()
    kept_stem: dict[str, str] = {}
    if glob.glob(f"{output_dir}/articles/**/*.parquet", recursive=True):
        for article_id, uri, status in _rows(
            f"select article_id, source_uri, date_status from read_parquet("
            f"'{output_dir}/articles/**/*.parquet', hive_partitioning=true)"
        ):
            stem = _stem(uri)
            out.root[stem] = article_id
            kept_stem[article_id] = stem
            out.date_status[status] = out.date_status.get(status, 0) + 1
    duplicates: dict[str, tuple[str, str]] = {}
    if glob.glob(f"{output_dir}/duplicates/*.parquet"):
        for article_id, uri, duplicate_of, similarity, method in _rows(
            "select article_id, source_uri, duplicate_of, similarity, method from "
            f"read_parquet('{output_dir}/duplicates/*.parquet')"
        ):
            stem = _stem(uri)
            duplicates[article_id] = (stem, duplicate_of)
            out.method[stem] = (method, float(similarity))
    for stem, target in duplicates.values():
        seen: set[str] = set()
        while target in duplicates and target not in seen:
            seen.add(target)
            target = duplicates[target][1]
        out.chained += bool(seen)
        if target in kept_stem:
            out.root[stem] = target
            out.canonical_stem[stem] = kept_stem[target]
        else:
            out.dangling += 1
    if glob.glob(f"{output_dir}/quarantine/*.parquet"):
        for uri, reason in _rows(
            f"select source_uri, reason from read_parquet('{output_dir}/quarantine/*.parquet')"
        ):
            out.quarantined[_stem(uri)] = reason
    return out


# --------------------------------------------------------------------------- scoring


def _decode(text: str) -> str:
    return html.unescape(text)


def _norm_body(text: str) -> str:
    return " ".join(_decode(text).split())


def figures(text: str) -> Counter:
    """Multiset of number tokens (``\\d+(?:[.,]\\d+)*``) of entity-decoded ``text``."""
    return Counter(_NUMBER.findall(_decode(text)))


def _norm_title(title: str) -> str:
    return _TITLE_CHARS.sub(" ", _decode(title).casefold()).strip()


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _run_counts(manifest: dict | None) -> dict:
    if not manifest:
        return {}
    counts = manifest["counts"]
    by_method = counts["duplicates_by_method"]
    return {
        "read": counts["read"],
        "kept": counts["kept"],
        "exact": by_method.get("exact", 0),
        "near": by_method.get("near", 0),
        "story": by_method.get("story", 0),
        "duplicates": counts["duplicates"],
        "quarantined": counts["quarantined"],
        "quarantined_by_reason": counts["quarantined_by_reason"],
        "skipped_already_ingested": counts.get("skipped_already_ingested", 0),
        "pipeline_s": manifest["timings_s"].get("pipeline"),
    }


def _find_original(story: Story, by_title: dict, by_start: dict) -> Story | None:
    title = _norm_title(_CORRECTED.sub(" ", story.title))
    start = tuple(_norm_body(story.body).split()[:_BODY_START_WORDS])
    candidates = [s for s in by_title.get(title, ()) if s.newid != story.newid]
    if not candidates and len(start) == _BODY_START_WORDS:
        candidates = [s for s in by_start.get(start, ()) if s.newid != story.newid]
    candidates = [s for s in candidates if "CORRECTED" not in s.title.upper()]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (abs(int(s.newid) - int(story.newid)), int(s.newid)))


def score_reuters(stories: Sequence[Story], clusters: Clusters) -> dict:
    """Identical-body recall, CORRECTED merges and figure-differing merges of a Reuters run."""
    by_id = {s.newid: s for s in stories}

    groups: dict[str, list[str]] = defaultdict(list)
    for s in stories:
        groups[_norm_body(s.body)].append(s.newid)
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    pairs = [p for ids in groups.values() for p in combinations(ids, 2)]
    pair_hits = sum(clusters.same(a, b) for a, b in pairs)
    later = [(ids[0], x) for ids in groups.values() for x in ids[1:]]
    later_hits = sum(clusters.same(a, b) for a, b in later)
    titled = [
        (a, b) for a, b in pairs if _norm_title(by_id[a].title) == _norm_title(by_id[b].title)
    ]
    titled_hits = sum(clusters.same(a, b) for a, b in titled)
    missed = [
        {
            "a": f"{a}: {_decode(by_id[a].title)}",
            "b": f"{b}: {_decode(by_id[b].title)}",
            "a_outcome": clusters.describe(a),
            "b_outcome": clusters.describe(b),
        }
        for a, b in pairs
        if not clusters.same(a, b)
    ][:_MAX_EXAMPLES]

    by_title: dict[str, list[Story]] = defaultdict(list)
    by_start: dict[tuple, list[Story]] = defaultdict(list)
    for s in stories:
        by_title[_norm_title(s.title)].append(s)
        by_start[tuple(_norm_body(s.body).split()[:_BODY_START_WORDS])].append(s)
    corrected = [s for s in stories if "CORRECTED" in s.title.upper()]
    corrected_pairs = []
    for s in corrected:
        original = _find_original(s, by_title, by_start)
        if original is not None:
            corrected_pairs.append((s, original))
    corrected_merged = [(s, o) for s, o in corrected_pairs if clusters.same(s.newid, o.newid)]

    differing: Counter = Counter()
    templated: Counter = Counter()
    examples = []
    merged_by_method: Counter = Counter()
    for stem, canonical in sorted(clusters.canonical_stem.items(), key=lambda kv: int(kv[0])):
        dup, kept = by_id.get(stem), by_id.get(canonical)
        if dup is None or kept is None:
            continue
        method = clusters.method[stem][0]
        merged_by_method[method] += 1
        fd, fk = figures(dup.body), figures(kept.body)
        if fd == fk:
            continue
        differing[method] += 1
        is_templated = bool(_TEMPLATED.search(_decode(dup.body)) or _TEMPLATED.search(kept.body))
        if is_templated:
            templated[method] += 1
        if len(examples) < _MAX_EXAMPLES:
            examples.append(
                {
                    "method": method,
                    "similarity": round(clusters.method[stem][1], 3),
                    "templated": is_templated,
                    "duplicate": f"{dup.newid}: {_decode(dup.title)}",
                    "canonical": f"{kept.newid}: {_decode(kept.title)}",
                    "only_in_duplicate": sorted((fd - fk).elements())[:12],
                    "only_in_canonical": sorted((fk - fd).elements())[:12],
                }
            )
    return {
        "identical_body_groups": len(groups),
        "identical_body_pairs": len(pairs),
        "identical_body_pairs_merged": pair_hits,
        "identical_body_recall": _ratio(pair_hits, len(pairs)),
        "identical_body_later_members_recall": _ratio(later_hits, len(later)),
        "identical_body_same_title_pairs": len(titled),
        "identical_body_same_title_recall": _ratio(titled_hits, len(titled)),
        "identical_body_other_title_pairs": len(pairs) - len(titled),
        "identical_body_other_title_merged": pair_hits - titled_hits,
        "identical_body_missed_examples": missed,
        "corrected_titles": len(corrected),
        "corrected_with_original": len(corrected_pairs),
        "corrected_merged": len(corrected_merged),
        "corrected_not_merged_examples": [
            {
                "corrected": f"{s.newid}: {_decode(s.title)}",
                "original": f"{o.newid}: {_decode(o.title)}",
            }
            for s, o in corrected_pairs
            if (s, o) not in corrected_merged
        ][:_MAX_EXAMPLES],
        "merged_pairs_by_method": dict(sorted(merged_by_method.items())),
        "figure_differing_merges": sum(differing.values()),
        "figure_differing_by_method": dict(sorted(differing.items())),
        "templated_false_merges": sum(templated.values()),
        "templated_false_merges_by_method": dict(sorted(templated.items())),
        "figure_differing_examples": examples,
        "quarantined_files": len(clusters.quarantined),
        "dangling_duplicate_rows": clusters.dangling,
        "chained_duplicate_rows": clusters.chained,
    }


def _rates(items: list[tuple[float, bool]]) -> dict:
    same = [merged for overall, merged in items if overall <= 1.5]
    diff = [merged for overall, merged in items if overall >= 3.5]
    return {
        "same_story_n": len(same),
        "recall": _ratio(sum(same), len(same)),
        "must_not_merge_n": len(diff),
        "false_merge_rate": _ratio(sum(diff), len(diff)),
        "false_merges": sum(diff),
    }


def score_semeval(rows: Sequence[SemevalRow], clusters: Clusters) -> dict:
    """Per language pair, overall and en-en: same-story recall and false-merge rate."""
    per_lang: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    unscored = 0
    for row in rows:
        a, b = f"{row.name}_1", f"{row.name}_2"
        if a in clusters.quarantined or b in clusters.quarantined:
            unscored += 1
            continue
        per_lang[f"{row.lang1}-{row.lang2}"].append((row.overall, clusters.same(a, b)))
    ordered = sorted(per_lang, key=lambda k: (k.split("-")[0] != k.split("-")[1], k))
    every = [item for k in ordered for item in per_lang[k]]
    mono = [item for k in ordered if k.split("-")[0] == k.split("-")[1] for item in per_lang[k]]
    merged_methods: Counter = Counter(m for m, _ in clusters.method.values())
    return {
        "rows": len(rows),
        "rows_unscored_quarantined": unscored,
        "overall": _rates(every),
        "same_language": _rates(mono),
        "en-en": _rates(per_lang.get("en-en", [])),
        "per_language_pair": {k: _rates(per_lang[k]) for k in ordered},
        "duplicates_by_method": dict(sorted(merged_methods.items())),
        "kept_date_status": dict(sorted(clusters.date_status.items())),
    }


# --------------------------------------------------------------------------- baseline


def baseline_lsh(
    texts: Sequence[str], num_perm: int = 128, threshold: float = 0.8, ngram: int = 5
) -> dict:
    """A bare datasketch MinHash LSH dedup loop over ``texts``, timed in process."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    duplicates = 0
    for i, text in enumerate(texts):
        words = text.split()
        shingles = [
            " ".join(words[j : j + ngram]).encode("utf-8")
            for j in range(max(1, len(words) - ngram + 1))
        ]
        signature = MinHash(num_perm=num_perm)
        signature.update_batch(shingles)
        if lsh.query(signature):
            duplicates += 1
        else:
            lsh.insert(str(i), signature)
    seconds = time.perf_counter() - started
    return {
        "docs": len(texts),
        "seconds": round(seconds, 3),
        "docs_per_s": round(len(texts) / seconds, 1) if seconds else None,
        "duplicates": duplicates,
        "settings": {"num_perm": num_perm, "threshold": threshold, "ngram": ngram},
    }


# --------------------------------------------------------------------------- driver


def _run_block(files: int, result: RunResult) -> dict:
    block = {
        "files": files,
        "returncode": result.returncode,
        "wall_s": round(result.wall_s, 3),
        "docs_per_s": round(files / result.wall_s, 1) if result.wall_s else None,
        "max_rss_mb": result.max_rss_mb,
        **_run_counts(result.manifest),
    }
    if result.returncode != 0:
        block["stderr_tail"] = result.stderr[-2000:]
    return block


def bench_reuters(directory: Path, workdir: Path, extra: Sequence[str]) -> dict | None:
    """Writes, runs and scores Reuters; None (with a message) when the corpus is absent."""
    if not directory.is_dir() or not list(directory.glob("reut2-*.json")):
        print(f"reuters: skipped, no reut2-*.json under {directory}")
        return None
    stories = load_reuters(directory)
    inputs = workdir / "reuters"
    if inputs.exists():
        shutil.rmtree(inputs)
    files = write_reuters(stories, inputs)
    result = run_newsingest(inputs, workdir / "reuters-out", extra)
    report = {"run": _run_block(files, result)}
    if result.returncode == 0:
        report["quality"] = score_reuters(stories, read_clusters(workdir / "reuters-out"))
    report["baseline"] = baseline_lsh([s.body for s in stories])
    ours, theirs = report["run"]["docs_per_s"], report["baseline"]["docs_per_s"]
    report["speed_ratio_vs_baseline"] = round(ours / theirs, 3) if ours and theirs else None
    return report


def bench_semeval(path: Path, workdir: Path, extra: Sequence[str]) -> dict | None:
    """Writes, runs and scores SemEval; None (with a message) when the CSV is absent."""
    if not path.is_file():
        print(f"semeval: skipped, {path} not found")
        return None
    rows = load_semeval(path)
    inputs = workdir / "semeval"
    if inputs.exists():
        shutil.rmtree(inputs)
    files = write_semeval(rows, inputs)
    result = run_newsingest(inputs, workdir / "semeval-out", extra)
    report = {"run": _run_block(files, result)}
    if result.returncode == 0:
        report["quality"] = score_semeval(rows, read_clusters(workdir / "semeval-out"))
    return report


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:,.1f}"
    return str(value)


def format_report(report: dict) -> str:
    """A readable table of ``report``."""
    lines: list[str] = []
    reuters = report.get("reuters")
    if reuters:
        run, quality = reuters["run"], reuters.get("quality") or {}
        lines += ["== Reuters-21578 (newsingest run, child process)"]
        for key in ("files", "returncode", "wall_s", "docs_per_s", "max_rss_mb", "pipeline_s"):
            lines.append(f"  {key:<38} {_fmt(run.get(key))}")
        for key in ("kept", "exact", "near", "story", "quarantined"):
            lines.append(f"  {key:<38} {_fmt(run.get(key))}")
        if run.get("stderr_tail"):
            lines.append("  FAILED: " + run["stderr_tail"].strip().splitlines()[-1])
        for key in (
            "identical_body_groups",
            "identical_body_pairs",
            "identical_body_recall",
            "identical_body_later_members_recall",
            "identical_body_same_title_pairs",
            "identical_body_same_title_recall",
            "identical_body_other_title_pairs",
            "identical_body_other_title_merged",
            "corrected_titles",
            "corrected_with_original",
            "corrected_merged",
            "figure_differing_merges",
            "figure_differing_by_method",
            "templated_false_merges",
            "templated_false_merges_by_method",
            "chained_duplicate_rows",
            "dangling_duplicate_rows",
        ):
            if key in quality:
                lines.append(f"  {key:<38} {_fmt(quality[key])}")
        for missed in quality.get("identical_body_missed_examples", []):
            lines.append(
                f"    identical bodies apart: {missed['a']!r} [{missed['a_outcome']}] / "
                f"{missed['b']!r} [{missed['b_outcome']}]"
            )
        for example in quality.get("figure_differing_examples", []):
            lines.append(
                f"    [{example['method']} {example['similarity']}"
                f"{' templated' if example['templated'] else ''}] {example['duplicate']!r}"
                f" -> {example['canonical']!r}"
            )
            lines.append(
                f"      only in duplicate {example['only_in_duplicate']}, "
                f"only in canonical {example['only_in_canonical']}"
            )
        base = reuters["baseline"]
        lines.append("== Baseline (datasketch MinHashLSH loop, in process, same bodies)")
        for key in ("docs", "seconds", "docs_per_s", "duplicates"):
            lines.append(f"  {key:<38} {_fmt(base[key])}")
        lines.append(
            f"  {'newsingest docs/s / baseline docs/s':<38} "
            f"{_fmt(reuters['speed_ratio_vs_baseline'])}"
        )
    semeval = report.get("semeval")
    if semeval:
        run, quality = semeval["run"], semeval.get("quality") or {}
        lines += ["== SemEval-2022 Task 8 (undated texts, one run)"]
        for key in ("files", "returncode", "wall_s", "docs_per_s", "max_rss_mb"):
            lines.append(f"  {key:<38} {_fmt(run.get(key))}")
        for key in ("kept", "exact", "near", "story", "quarantined"):
            lines.append(f"  {key:<38} {_fmt(run.get(key))}")
        if run.get("stderr_tail"):
            lines.append("  FAILED: " + run["stderr_tail"].strip().splitlines()[-1])
        if quality:
            lines.append(f"  {'kept date_status':<38} {quality['kept_date_status']}")
            lines.append(
                f"  {'pair':<12} {'same n':>7} {'recall':>8} {'diff n':>7} {'false-merge':>12}"
            )
            table = {
                **quality["per_language_pair"],
                "ALL": quality["overall"],
                "same-lang": quality["same_language"],
                "en-en": quality["en-en"],
            }
            for name, r in table.items():
                lines.append(
                    f"  {name:<12} {r['same_story_n']:>7} {_fmt(r['recall']):>8} "
                    f"{r['must_not_merge_n']:>7} {_fmt(r['false_merge_rate']):>12}"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpora", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS, help="reut2-*.json dir")
    parser.add_argument("--semeval", type=Path, default=DEFAULT_SEMEVAL, help="training_set.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON")
    parser.add_argument("--workdir", type=Path, help="kept work directory (default: temporary)")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsingest-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        report = {
            "command": ["python", "-m", "bench.corpora", *sys.argv[1:]],
            "extra_run_options": extra,
            "reuters": bench_reuters(args.reuters, workdir, extra),
            "semeval": bench_semeval(args.semeval, workdir, extra),
        }
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(format_report(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"results written to {args.out}")
    failed = any(
        (report[name] or {}).get("run", {}).get("returncode", 0) != 0
        for name in ("reuters", "semeval")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
