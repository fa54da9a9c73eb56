"""Cost per article of text repair and of the Unicode-aware tokeniser.

``python -m bench.text_repair [--limit 2000] [--repeat 5] [--baseline REV] [--out PATH]``
takes real articles -- the bundled sample data, the shared seeds, Reuters-21578 bodies
and SemEval-2022 task 8 texts (multilingual) when ``../shared/corpora`` is there -- and
times, per article:

* ``repair_clean``: ``repair_mojibake`` on the articles as they are (the guard only),
  also on the non-ASCII ones alone (``repair_clean_non_ascii``: ASCII text costs one
  ``str.isascii``);
* ``repair_broken``: ``repair_mojibake`` on the same articles turned into mojibake
  (their UTF-8 bytes read as cp1252, undefined bytes as Latin-1), non-ASCII ones only;
* ``clean_text_clean`` / ``clean_text_broken``: the whole ``clean_text``;
* ``tokenize``: ``tokens.tokenize`` (``regex`` module);
* ``decode_mixed``: ``decode_text`` of a file whose lines alternate UTF-8 and cp1252.

Each figure is the median over articles of the per-article mean of ``--repeat`` calls,
in µs of process CPU time (the machine may be shared: wall time would count other
processes), plus the articles' median length. ``--baseline REV`` times
``clean_text`` and the stdlib tokeniser as they were at git revision ``REV`` too, in
alternation with the current ones article by article (``baseline`` section).
It also counts how many clean articles ``clean_text`` changes relative to the baseline.

Writes ``bench/results/text_repair.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import re
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import orjson

from newsingest.transforms.core.decoding import MIXED_ENCODING, decode_text
from newsingest.transforms.core.repair import repair_mojibake
from newsingest.transforms.core.text import clean_text
from newsingest.transforms.core.tokens import _NO_SPACE_SCRIPTS, tokenize

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "bench" / "results" / "text_repair.json"


def load_articles(limit: int) -> list[str]:
    """Sample data, seeds, then Reuters and SemEval texts, up to ``limit`` in all."""
    texts = []
    for path in sorted((ROOT / "sample_data").rglob("*.txt")) + sorted(
        (SHARED / "seeds").glob("*.txt")
    ):
        try:
            texts.append(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            continue
    reuters = SHARED / "corpora" / "reuters21578" / "reut2-000.json"
    if reuters.exists():
        texts += [s["body"] for s in json.loads(reuters.read_text()) if s.get("body")][: limit // 2]
    semeval = SHARED / "corpora" / "semeval2022-task8" / "training_set.csv"
    if semeval.exists():
        csv.field_size_limit(1 << 30)
        with semeval.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts += [row["text1"], row["text2"]]
                if len(texts) >= limit:
                    break
    return [t for t in texts if t.strip()][:limit]


def mojibake(text: str) -> str:
    """``text``'s UTF-8 bytes read as cp1252 (bytes cp1252 leaves undefined: Latin-1)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def _median_us(func, texts: list[str], repeat: int) -> float:
    """Median over ``texts`` of the CPU time of one call, from ``repeat`` calls each."""
    per_text = []
    for text in texts:
        start = time.process_time()
        for _ in range(repeat):
            func(text)
        per_text.append((time.process_time() - start) / repeat * 1e6)
    return round(statistics.median(per_text), 2)


def _paired_us(funcs: dict, texts: list[str], repeat: int) -> dict[str, float]:
    """``_median_us`` of several functions, timed in alternation on each text."""
    per_text: dict[str, list[float]] = {name: [] for name in funcs}
    for text in texts:
        for name, func in funcs.items():
            start = time.process_time()
            for _ in range(repeat):
                func(text)
            per_text[name].append((time.process_time() - start) / repeat * 1e6)
    return {name: round(statistics.median(values), 2) for name, values in per_text.items()}


def _baseline_text(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:transforms/core/text.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("baseline_text")
    exec(compile(source, f"{rev}:transforms/core/text.py", "exec"), module.__dict__)
    return module


def run(limit: int, repeat: int, baseline: str | None) -> dict[str, object]:
    clean = load_articles(limit)
    non_ascii = [t for t in clean if not t.isascii()]
    broken = [mojibake(t) for t in non_ascii]
    repaired = sum(repair_mojibake(b) == t for b, t in zip(broken, non_ascii, strict=True))
    mixed_text = "".join(line + "\n" for line in ("Grüße aus München.", "Señor Núñez llegó.") * 20)
    mixed = b"".join(
        line.encode("utf-8" if i % 2 == 0 else "cp1252")
        for i, line in enumerate(mixed_text.splitlines(keepends=True))
    )
    assert decode_text(mixed) == (mixed_text, MIXED_ENCODING)
    figures: dict[str, object] = {
        "articles": len(clean),
        "non_ascii_articles": len(broken),
        "median_chars": int(statistics.median(map(len, clean))),
        "broken_repaired_exactly": repaired,
        "repair_clean_us": _median_us(repair_mojibake, clean, repeat),
        "repair_clean_non_ascii_us": _median_us(repair_mojibake, non_ascii, repeat),
        "repair_broken_us": _median_us(repair_mojibake, broken, repeat),
        "clean_text_clean_us": _median_us(clean_text, clean, repeat),
        "clean_text_clean_non_ascii_us": _median_us(clean_text, non_ascii, repeat),
        "clean_text_broken_us": _median_us(clean_text, broken, repeat),
        "tokenize_us": _median_us(tokenize, clean, repeat),
        "decode_mixed_us": _median_us(decode_text, [mixed], repeat * 20),
        "decode_mixed_bytes": len(mixed),
    }
    if baseline:
        old = _baseline_text(baseline)
        old_tokens = re.compile(
            rf"[{_NO_SPACE_SCRIPTS}]|\d+(?:[.,]\d+)*|[^\W\d_{_NO_SPACE_SCRIPTS}]+"
        )
        both = {"new": clean_text, "baseline": old.clean_text}
        figures["baseline"] = {
            "rev": baseline,
            "note": "new and baseline timed in alternation, article by article",
            "clean_text_clean_us": _paired_us(both, clean, repeat),
            "clean_text_clean_non_ascii_us": _paired_us(both, non_ascii, repeat),
            "clean_text_broken_us": _paired_us(both, broken, repeat),
            "tokenize_us": _paired_us(
                {"new": tokenize, "baseline": lambda t: old_tokens.findall(t.casefold())},
                clean,
                repeat,
            ),
            "clean_articles_changed": sum(old.clean_text(t) != clean_text(t) for t in clean),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000, help="articles to time")
    parser.add_argument("--repeat", type=int, default=5, help="timings per article")
    parser.add_argument("--baseline", help="git revision to compare clean_text with")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
        **run(args.limit, args.repeat, args.baseline),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
