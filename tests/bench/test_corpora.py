"""Tests for bench/corpora.py on tiny Reuters-like and SemEval-like corpora in ``tmp_path``.

The pipeline runs for real (one child process per corpus); nothing reads ``../shared``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from bench.corpora import (
    Clusters,
    SemevalRow,
    Story,
    bench_reuters,
    bench_semeval,
    figures,
    format_report,
    load_reuters,
    load_semeval,
    main,
    reuters_file_text,
    score_reuters,
    score_semeval,
)

RATES = (
    "The central bank said on Tuesday that it would keep its key lending rate unchanged "
    "for the third consecutive month, citing steady inflation and a recovering labour market. "
    "Officials told reporters that the decision was unanimous and that future moves would "
    "depend on data released over the coming weeks, including figures on industrial output "
    "and retail spending in the main regions of the country.\n"
    "    Analysts had widely expected the move.\n Reuter\n&#3;"
)
HARVEST = (
    "Heavy rain across the northern provinces delayed the wheat harvest by about two weeks, "
    "the agriculture ministry said, adding that grain quality could suffer if the wet weather "
    "persisted. Farmers in the worst hit districts reported flooded fields and damaged roads, "
    "while traders said export shipments scheduled for next month might be postponed.\n"
    " Reuter\n&#3;"
)


def _earnings(shr: str, net: str, revs: str) -> str:
    return (
        f"Shr {shr} cts vs 31 cts\n    Net {net} vs 987,000\n    Revs {revs} mln vs 10.1 mln\n"
        "    NOTE: Company said results include gain on sale.\n Reuter\n&#3;"
    )


def _doc(newid: str, date: str, title: str, body: str) -> dict:
    return {"attrs": {"newid": newid}, "date": date, "title": title, "body": body}


ACME = _earnings("46", "1,234,000", "12.3")
GLOBEX = _earnings("47", "1,250,000", "12.9")
CORRECTED_HARVEST = HARVEST.replace("two", "three")
REUTERS_DOCS = [
    _doc("1", "26-FEB-1987 15:01:01.79", "BANK HOLDS RATES STEADY", RATES),
    _doc("2", "26-FEB-1987 16:11:00.00", "BANK HOLDS RATES STEADY", RATES),
    _doc("3", "26-FEB-1987 15:05:00.00", "ACME CORP &lt;ACM> 4TH QTR NET", ACME),
    _doc("4", "26-FEB-1987 15:06:00.00", "GLOBEX INC &lt;GLX> 4TH QTR NET", GLOBEX),
    _doc("5", "2-MAR-1987 09:00:00.00", "RAIN DELAYS WHEAT HARVEST", HARVEST),
    _doc("6", "2-MAR-1987 11:30:00.00", "CORRECTED - RAIN DELAYS WHEAT HARVEST", CORRECTED_HARVEST),
    _doc("7", "3-MAR-1987 10:00:00.00", "NO BODY", "   "),
]

SAME_STORY = (
    "Firefighters battled a large wildfire near the coastal town on Sunday as strong winds "
    "pushed the flames toward residential areas. Hundreds of residents were evacuated overnight "
    "and several roads were closed, local officials said. No injuries have been reported so far, "
    "but at least a dozen homes were destroyed according to the regional fire service."
)
OTHER = (
    "The football club announced the signing of a young midfielder from a rival league on a "
    "five year contract. The player, who scored eleven goals last season, is expected to join "
    "training next week after completing a medical examination, the club said in a statement."
)
SEMEVAL_ROWS = [
    # pair_id, lang1, lang2, text1, text2, Overall
    ("100_200", "en", "en", SAME_STORY, SAME_STORY, "1.0"),
    ("100_300", "en", "en", SAME_STORY, OTHER, "4.0"),
    ("400_500", "de", "en", "Ein Waldbrand bedroht die Stadt an der Küste.", SAME_STORY, "1.5"),
    ("100_200", "en", "en", OTHER, SAME_STORY, "3.5"),  # a repeated pair id, other texts
]


def _write_reuters(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "reut2-000.json").write_text(json.dumps(REUTERS_DOCS), encoding="utf-8")
    return directory


def _write_semeval(path: Path) -> Path:
    columns = ["", "pair_id", "lang1", "lang2", "text1", "text2", "Geography", "Entities"]
    columns += ["Time", "Narrative", "Overall", "Style", "Tone"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i, (pair_id, l1, l2, t1, t2, overall) in enumerate(SEMEVAL_ROWS):
            writer.writerow([i, pair_id, l1, l2, t1, t2, "1", "1", "1", "1", overall, "1", "1"])
    return path


def test_reuters_file_text_uses_the_inline_header_form():
    story = Story("9", "reut2-000", "26-FEB-1987 15:01:01.79", "TITLE HERE", "Body.")
    assert reuters_file_text(story) == " date 26-FEB-1987 15:01:01.79 TITLE HERE\n\nBody."
    untitled = Story("9", "reut2-000", "26-FEB-1987 15:01:01.79", "", "Body.")
    assert reuters_file_text(untitled) == " date 26-FEB-1987 15:01:01.79\n\nBody."


def test_figures_decodes_entities_and_keeps_grouped_numbers():
    assert figures("Net 1,234,000 vs 987.5&#3;") == Counter({"1,234,000": 1, "987.5": 1})


def test_score_reuters_counts_a_figure_differing_merge():
    """The metric itself: a merged earnings pair with other figures is a templated false merge."""
    stories = [
        Story("1", "g", "d", "ACME NET", _earnings("46", "1,234,000", "12.3")),
        Story("2", "g", "d", "GLOBEX NET", _earnings("47", "1,234,000", "12.3")),
    ]
    clusters = Clusters(
        root={"1": "a1", "2": "a1"}, method={"2": ("near", 0.9)}, canonical_stem={"2": "1"}
    )
    quality = score_reuters(stories, clusters)
    assert quality["templated_false_merges"] == 1
    assert quality["templated_false_merges_by_method"] == {"near": 1}
    [example] = quality["figure_differing_examples"]
    assert example["only_in_duplicate"] == ["47"] and example["only_in_canonical"] == ["46"]


def test_bench_on_tiny_corpora(tmp_path):
    reuters_dir = _write_reuters(tmp_path / "reuters-json")
    semeval_csv = _write_semeval(tmp_path / "training_set.csv")
    workdir = tmp_path / "work"

    assert [s.newid for s in load_reuters(reuters_dir)] == ["1", "2", "3", "4", "5", "6"]
    reuters = bench_reuters(reuters_dir, workdir, [])
    run, quality = reuters["run"], reuters["quality"]
    assert run["returncode"] == 0
    assert run["files"] == 6
    assert (workdir / "reuters" / "reut2-000" / "1.txt").is_file()
    assert run["kept"] + run["duplicates"] + run["quarantined"] == 6
    assert run["exact"] >= 1
    assert quality["identical_body_pairs"] == 1
    assert quality["identical_body_recall"] == 1.0
    assert quality["templated_false_merges"] == 0
    assert quality["corrected_titles"] == 1 and quality["corrected_with_original"] == 1
    assert quality["dangling_duplicate_rows"] == 0
    assert reuters["baseline"]["docs"] == 6
    assert reuters["speed_ratio_vs_baseline"] > 0

    rows = load_semeval(semeval_csv)
    assert [r.name for r in rows] == ["100_200", "100_300", "400_500", "100_200.2"]
    semeval = bench_semeval(semeval_csv, workdir, [])
    assert semeval["run"]["returncode"] == 0
    quality = semeval["quality"]
    assert quality["kept_date_status"] == {"missing": quality["kept_date_status"]["missing"]}
    en = quality["en-en"]
    assert (en["same_story_n"], en["recall"]) == (1, 1.0)
    assert (en["must_not_merge_n"], en["false_merge_rate"]) == (2, 0.0)
    assert quality["per_language_pair"]["de-en"]["same_story_n"] == 1
    assert quality["overall"]["same_story_n"] == 2

    text = format_report({"reuters": reuters, "semeval": semeval})
    assert "identical_body_recall" in text and "en-en" in text


def test_score_semeval_on_constructed_clusters():
    rows = [
        SemevalRow("p1", "p1", "en", "en", 1.0, "a", "a"),
        SemevalRow("p2", "p2", "en", "en", 4.0, "a", "b"),
        SemevalRow("p3", "p3", "es", "it", 1.5, "c", "d"),
    ]
    clusters = Clusters(root={"p1_1": "x", "p1_2": "x", "p2_1": "x", "p2_2": "x", "p3_1": "y"})
    quality = score_semeval(rows, clusters)
    assert quality["en-en"]["recall"] == 1.0
    assert quality["en-en"]["false_merge_rate"] == 1.0
    assert quality["per_language_pair"]["es-it"]["recall"] == 0.0
    assert quality["overall"]["recall"] == 0.5


def test_main_skips_absent_corpora(tmp_path, capsys):
    out = tmp_path / "results" / "corpora.json"
    code = main(
        ["--reuters", str(tmp_path / "nope"), "--semeval", str(tmp_path / "x"), "--out", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "reuters: skipped" in printed and "semeval: skipped" in printed
    report = json.loads(out.read_text())
    assert report["reuters"] is None and report["semeval"] is None


@pytest.mark.parametrize("title", ["CORRECTED - X", "(CORRECTED) - X", "CORRECTED-X"])
def test_corrected_titles_find_their_original(title):
    stories = [
        Story("10", "g", "d", "X", HARVEST),
        Story("11", "g", "d", title, HARVEST.replace("two", "three")),
    ]
    clusters = Clusters(root={"10": "a", "11": "a"})
    quality = score_reuters(stories, clusters)
    assert (quality["corrected_with_original"], quality["corrected_merged"]) == (1, 1)
