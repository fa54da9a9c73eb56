"""Input-format throughput: plain files vs JSON Lines records vs HTML pages, same articles.

Usage (from the repository root)::

    python -m bench.inputs [--count 10000] [--html-count 2000] [--repeats 3] [--workdir DIR]

One seeded generated corpus (``bench/generate_corpus.py``, no bad files, nothing
compressed) is written three ways:

* ``plain``: the generated ``.txt`` files as they are;
* ``jsonl``: the same articles as JSON Lines records (``url``, ``title``,
  ``published``, ``text``), 1,000 records per ``.jsonl`` file;
* ``html``: the first ``--html-count`` articles, one page each, in a news-site
  template (meta tags, JSON-LD, inline and external scripts, styles, navigation,
  share bar, related links, footer around an ``<article>`` of ``<p>`` paragraphs).

Two figures per format, each the median of ``--repeats`` runs:

* **read + normalise** (in process, Beam-free): ``read_records`` and
  ``normalize_batch`` over every file -- the cost of the format itself
  (decoding, JSON parsing or HTML extraction, date parsing, cleaning, hashing);
* **whole run**: ``newsingest run`` as a child process into a fresh output --
  docs/s over wall time including interpreter start-up, dedup and Parquet writing.

Results are printed and written to ``--out`` (default ``bench/results/inputs.json``).
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench.perf import run_newsingest

ROOT = Path(__file__).resolve().parents[1]
RECORDS_PER_FILE = 1000

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title_text} | The Example Courier</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:type" content="article">
<meta property="og:title" content="{title_text}">
{date_meta}<link rel="canonical" href="https://courier.example.com/news/{slug}">
<link rel="stylesheet" href="/static/site.css">
<style>.share-bar{{position:fixed;left:0}} .ad-slot{{min-height:250px}}</style>
<script async src="https://ads.example.com/tag.js"></script>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{"page":"{slug}"}});</script>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",\
"headline":"{title_json}"{date_ld}}}</script>
</head>
<body>
<header class="masthead"><a class="logo" href="/">The Example Courier</a>
<nav class="sections"><ul><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/markets">Markets</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li>
<li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<div class="share-bar"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a></div>
<main><article class="story"><h1>{title_html}</h1>
<p class="byline">By Staff Reporter</p>
{paragraphs}
</article>
<div class="ad-slot" id="ad-1"></div>
<aside class="related"><h2>Most read</h2><ul><li><a href="/a">Markets wrap</a></li>
<li><a href="/b">Weather</a></li><li><a href="/c">Crossword</a></li></ul></aside></main>
<footer><p>&copy; 2024 The Example Courier. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> | <a href="/terms">Terms</a> |
<a href="/cookies">Cookies</a></p></footer>
<script>trackPageView("{slug}");</script>
</body>
</html>
"""


def _split(text: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a generated article body (its first line is a title or not)."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    first = paragraphs[0]
    if "\n" in first:
        title, rest = first.split("\n", 1)
        return title.strip(), [rest.strip(), *paragraphs[1:]]
    if len(paragraphs) > 1 and len(first) < 120:
        return first, paragraphs[1:]
    return " ".join(first.split()[:8]), paragraphs


def _articles(corpus: Path) -> list[dict]:
    from bench.generate_corpus import strip_header

    truth = orjson.loads((corpus / "_truth.json").read_bytes())
    rows = []
    for row in truth["files"]:
        text = (corpus / row["path"]).read_text(encoding="utf-8")
        title, paragraphs = _split(strip_header(text, row["header"]))
        rows.append({"path": row["path"], "date": row["date"], "title": title, "paras": paragraphs})
    return rows


def write_formats(corpus: Path, target: Path, html_count: int) -> dict[str, Path]:
    """The corpus as plain files, JSON Lines files and HTML pages under ``target``."""
    rows = _articles(corpus)
    plain, jsonl, pages = target / "plain", target / "jsonl", target / "html"
    shutil.copytree(corpus, plain, ignore=shutil.ignore_patterns("_truth.json"))
    jsonl.mkdir(parents=True)
    for start in range(0, len(rows), RECORDS_PER_FILE):
        lines = [
            orjson.dumps(
                {
                    "url": f"https://courier.example.com/news/{row['path']}",
                    "title": row["title"],
                    "published": row["date"],
                    "text": "\n\n".join(row["paras"]),
                }
            )
            for row in rows[start : start + RECORDS_PER_FILE]
        ]
        (jsonl / f"feed-{start // RECORDS_PER_FILE:04d}.jsonl").write_bytes(b"\n".join(lines))
    pages.mkdir(parents=True)
    for index, row in enumerate(rows[:html_count]):
        slug = row["path"].replace("/", "-").removesuffix(".txt")
        date = row["date"]
        page = _PAGE.format(
            title_text=html.escape(row["title"]),
            title_html=html.escape(row["title"]),
            title_json=json.dumps(row["title"])[1:-1].replace("<", "\\u003c"),
            slug=slug,
            date_meta=(
                f'<meta property="article:published_time" content="{date}T09:00:00Z">\n'
                if date
                else ""
            ),
            date_ld=f',"datePublished":"{date}"' if date else "",
            paragraphs="\n".join(f"<p>{html.escape(p)}</p>" for p in row["paras"]),
        )
        (pages / f"{index:06d}-{slug}.html").write_text(page, encoding="utf-8")
    return {"plain": plain, "jsonl": jsonl, "html": pages}


def read_and_normalise(folder: Path) -> dict:
    """``read_records`` + ``normalize_batch`` over every file of ``folder``, in process."""
    from newsingest.transforms.normalize import normalize_batch
    from newsingest.transforms.read import read_file_refs, read_records
    from newsingest.transforms.records import QuarantineRecord, RawBatch

    refs, _ = read_file_refs([str(folder)])
    started = time.perf_counter()
    outcomes = [o for ref in refs for o in read_records(ref, 64 << 20)]
    raws = [o for o in outcomes if not isinstance(o, QuarantineRecord)]
    batch, rejected = normalize_batch(RawBatch(articles=raws))
    seconds = time.perf_counter() - started
    return {
        "files": len(refs),
        "records": len(outcomes),
        "articles": len(batch),
        "quarantined": len(outcomes) - len(raws) + len(rejected),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(outcomes) / seconds, 1),
    }


def _median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inputs", description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="articles (plain and jsonl)")
    parser.add_argument("--html-count", type=int, default=2_000, help="HTML pages")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="keep inputs/outputs here")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "inputs.json")
    args = parser.parse_args(argv)

    from bench.generate_corpus import CorpusConfig, generate_corpus

    work = args.workdir or Path(tempfile.mkdtemp(prefix="newsingest-inputs-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus = work / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        config = CorpusConfig(count=args.count, seed=args.seed, bad_rate=0.0, gz_rate=0.0)
        generate_corpus(config, str(corpus))
        formats_dir = work / "formats"
        if formats_dir.exists():
            shutil.rmtree(formats_dir)
        folders = write_formats(corpus, formats_dir, args.html_count)
        report: dict = {
            "params": {
                "count": args.count,
                "html_count": args.html_count,
                "repeats": args.repeats,
                "seed": args.seed,
                "records_per_jsonl_file": RECORDS_PER_FILE,
                "python": sys.version.split()[0],
            },
            "formats": {},
        }
        # Formats alternate within each repeat, so a busy moment hits all of them alike.
        core: dict[str, list[dict]] = {name: [] for name in folders}
        runs: dict[str, list[dict]] = {name: [] for name in folders}
        for repeat in range(args.repeats):
            for name, folder in folders.items():
                core[name].append(read_and_normalise(folder))
                out = work / f"out-{name}-{repeat}"
                if out.exists():
                    shutil.rmtree(out)
                log = work / f"run-{name}-{repeat}.log"
                runs[name].append(run_newsingest(folder, out, f"bench-{name}", ["--quiet"], log))
        for name in folders:
            report["formats"][name] = _figures(core[name], runs[name])
        _print(report)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"written to {args.out}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _figures(core: list[dict], runs: list[dict]) -> dict:
    return {
        "files": core[0]["files"],
        "records": core[0]["records"],
        "read_normalise": {
            "median_s": _median_of(core, "seconds"),
            "median_records_per_s": _median_of(core, "records_per_s"),
            "runs": core,
        },
        "whole_run": {
            "median_wall_s": _median_of(runs, "wall_s"),
            "median_docs_per_s": _median_of(runs, "docs_per_s"),
            "median_peak_rss_mb": _median_of(runs, "peak_rss_mb"),
            "counts": runs[0]["counts"],
            "stage_cpu_s": runs[0]["stage_cpu_s"],
            "runs": [{k: r[k] for k in ("wall_s", "docs_per_s")} for r in runs],
        },
    }


def _print(report: dict) -> None:
    print(f"{'format':<7} {'files':>6} {'records':>8} {'read+norm rec/s':>16} "
          f"{'run wall s':>11} {'run docs/s':>11}")  # fmt: skip
    for name, figures in report["formats"].items():
        core, run = figures["read_normalise"], figures["whole_run"]
        print(
            f"{name:<7} {figures['files']:>6} {figures['records']:>8} "
            f"{core['median_records_per_s']:>16,.0f} {run['median_wall_s']:>11.2f} "
            f"{run['median_docs_per_s']:>11,.0f}"
        )


if __name__ == "__main__":
    sys.exit(main())
