"""Cost per value of the date-header parser: fast path, dateparser fallback, baseline.

``python -m bench.dates [--repeat 2000] [--baseline REV] [--out PATH]`` times
``split_date_header`` on article starts in three groups:

* ``english``: forms the parser always read (ISO, RFC 2822, ``March 28, 2024`` ...);
* ``multilingual``: the same date in the forms of de fr es it pt nl pl ru tr ar zh ja;
* ``no_header``: article starts without a date header (the commonest case);

and ``date_fallback.parse_with_dateparser`` on the values only dateparser reads
(``fallback``; its first call, which imports dateparser and loads its language data,
is reported apart as ``fallback_first_call_ms``). Each value is timed ``--repeat``
times; a group's figure is the median over its values of each value's median, in µs
of process CPU time (the machine may be shared: wall time would count other processes).

``--baseline REV`` also times ``transforms/core/dates.py`` as it was at git revision
``REV`` (English-only parser, standard library only) on the same inputs, in alternation
with the current parser value by value, so the cost of the multilingual tables on the
English fast path is measured, not guessed.

Writes ``bench/results/dates.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import orjson

from newsingest.transforms.core import date_fallback
from newsingest.transforms.core.dates import DATE_PARSED, split_date_header

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "dates.json"
BODY = "\nSEOUL (Reuters) - North Korean leader Kim Jong Un met officials on Thursday."

ENGLISH = [
    " date 2024-03-28 Reflecting a significant development, officials met.",
    "Date: 2024-03-28T09:15:00+09:00",
    "Date: Thu, 28 Mar 2024 09:15:00 +0900",
    "Published: March 28, 2024 9:15 AM EST",
    "Updated 28 March 2024 09:15 CET",
    "date 26-FEB-1987 15:01:01.79",
    "2024-03-28",
    "Posted on 03/28/2024 10:00 ET",
]
MULTILINGUAL = [
    "Datum: 28. März 2024",
    "Veröffentlicht am 28.03.2024 um 09:15 Uhr",
    "Publié le 28 mars 2024 à 09h15",
    "Fecha: 28 de marzo de 2024",
    "Pubblicato il 28 marzo 2024 alle 09:15",
    "Publicado em 28 de março de 2024 às 09h15",
    "Gepubliceerd op 28 maart 2024 om 09:15",
    "Opublikowano: 28 marca 2024 r., 09:15",
    "Дата: 28 марта 2024",
    "Tarih: 28 Mart 2024",
    "تاريخ النشر: ٢٨ مارس ٢٠٢٤",
    "发布时间：2024年03月28日 09:15",
    "公開日：2024年3月28日(木) 9:15",
]
NO_HEADER = [
    "SEOUL (Reuters) - North Korean leader Kim Jong Un met officials on Thursday.",
    "What's happened\nNorth Korean Foreign Minister Choe Son Hui said",
    "Updated guidance from the ministry says schools reopen.",
    "Der Bundestag hat am Donnerstag ein Gesetz beschlossen.",
    "Президент России заявил во вторник, что переговоры прошли успешно.",
    "朝鲜最高领导人金正恩周二与俄罗斯总统普京举行会谈。",
]
FALLBACK = [
    ("jueves 28 marzo, 24", ("es",)),
    ("28 März 24", ("de", "nl", "cs", "sv")),
    ("the 28th of March, 2024", ("en", "fr")),
    ("le 28 mars 2024", ("en", "fr")),
]


def _time_per_call(func, arg, repeat: int) -> float:
    """Median µs of CPU time of one call, over ``repeat`` calls timed in batches of 10."""
    samples = []
    for _ in range(max(1, repeat // 10)):
        start = time.process_time()
        for _ in range(10):
            func(arg)
        samples.append((time.process_time() - start) / 10 * 1e6)
    return statistics.median(samples)


def _group(func, values, repeat: int) -> dict[str, float]:
    per_value = [_time_per_call(func, value, repeat) for value in values]
    return {
        "values": len(values),
        "median_us": round(statistics.median(per_value), 2),
        "max_us": round(max(per_value), 2),
    }


def _paired(funcs: dict, values, repeat: int) -> dict[str, dict[str, float]]:
    """Like ``_group`` for several functions, timed in alternation on each value (so a
    change of machine load hits all of them alike)."""
    samples: dict[str, list[list[float]]] = {name: [] for name in funcs}
    for value in values:
        per_value: dict[str, list[float]] = {name: [] for name in funcs}
        for _ in range(max(1, repeat // 10)):
            for name, func in funcs.items():
                start = time.process_time()
                for _ in range(10):
                    func(value)
                per_value[name].append((time.process_time() - start) / 10 * 1e6)
        for name in funcs:
            samples[name].append(statistics.median(per_value[name]))
    return {
        name: {"values": len(values), "median_us": round(statistics.median(per), 2)}
        for name, per in samples.items()
    }


def _baseline_module(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:transforms/core/dates.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("baseline_dates")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:transforms/core/dates.py", "exec"), module.__dict__)
    return module


def run(repeat: int, baseline: str | None) -> dict[str, object]:
    inputs = {
        "english": [v + BODY for v in ENGLISH],
        "multilingual": [v + BODY for v in MULTILINGUAL],
        "no_header": NO_HEADER,
    }
    for value in inputs["english"] + inputs["multilingual"]:
        assert split_date_header(value).status == DATE_PARSED, value
    figures: dict[str, object] = {
        name: _group(split_date_header, values, repeat) for name, values in inputs.items()
    }
    start = time.process_time()
    first = date_fallback.parse_with_dateparser(*FALLBACK[0])
    figures["fallback_first_call_ms"] = round((time.process_time() - start) * 1e3, 1)
    assert first is not None
    for value, languages in FALLBACK:
        assert date_fallback.parse_with_dateparser(value, languages) is not None, value
    figures["fallback"] = _group(
        lambda item: date_fallback.parse_with_dateparser(*item),
        FALLBACK,
        max(10, repeat // 10),
    )
    if baseline:
        old = _baseline_module(baseline)
        figures["baseline"] = {
            "rev": baseline,
            "note": "new and baseline timed in alternation, value by value",
            **{
                group: _paired(
                    {"new": split_date_header, "baseline": old.split_date_header},
                    inputs[group],
                    repeat,
                )
                for group in ("english", "no_header")
            },
            "multilingual_parsed": sum(
                old.split_date_header(v).status == "parsed" for v in inputs["multilingual"]
            ),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="calls timed per value")
    parser.add_argument("--baseline", help="git revision of the parser to compare with")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    figures = run(args.repeat, args.baseline)
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
        **figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
