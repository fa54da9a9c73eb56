"""Tests for the benchmark corpus generator (small corpora in ``tmp_path``)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path

import orjson
import pytest

from bench.generate_corpus import (
    BAD_REASONS,
    HEADER_FORMS,
    KINDS,
    TRUTH_NAME,
    CorpusConfig,
    generate_corpus,
    main,
    strip_header,
)

COUNT = 300
# A higher bad rate than the default so that every bad reason shows up in 300 files.
CONFIG = CorpusConfig(count=COUNT, seed=7, bad_rate=0.02, per_folder=100)

# Header forms: a pattern for the header text and how to read the date from its groups.
_MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
_HEADER_PATTERNS = {
    "inline": (r"^ date (\d{4})-(\d{2})-(\d{2}) ", "ymd"),
    "rfc2822": (r"^Date: \w{3}, (\d{2}) (\w{3}) (\d{4}) \d{2}:\d{2}:\d{2} [+-]\d{4}\n", "dby"),
    "iso": (r"^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})\n", "ymd"),
    "published": (r"^Published: (\w+) (\d{1,2}), (\d{4})\n", "Bdy"),
    "reuters": (r"^(\d{2})-([A-Z]{3})-(\d{4}) \d{2}:\d{2}:\d{2}\.\d{2}\n", "dby"),
    "dotted": (r"^(\d{2})\.(\d{2})\.(\d{4})\n", "dmy"),
    "slashed": (r"^(\d{4})/(\d{2})/(\d{2})\n", "ymd"),
    "invalid": (r"^ date (\d{4})-(\d{2})-(\d{2}) ", "ymd"),
}


def _header_date(groups: tuple[str, ...], order: str) -> dt.date:
    if order == "ymd":
        year, month, day = groups
    elif order == "dmy":
        day, month, year = groups
    elif order == "dby":
        day, name, year = groups
        month = [m[:3].upper() for m in _MONTHS].index(name.upper()) + 1
    else:
        name, day, year = groups
        month = _MONTHS.index(name) + 1
    return dt.date(int(year), int(month), int(day))


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _text(root: Path, rel: str) -> str:
    data = (root / rel).read_bytes()
    if rel.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("corpus")
    generate_corpus(CONFIG, str(root), workers=1)
    truth = orjson.loads((root / TRUTH_NAME).read_bytes())
    return root, truth


@pytest.fixture(scope="module")
def rows(corpus: tuple[Path, dict]) -> dict[str, dict]:
    return {row["path"]: row for row in corpus[1]["files"]}


def _of_kind(rows: dict[str, dict], kind: str) -> list[dict]:
    return [row for row in rows.values() if row["kind"] == kind]


def test_same_seed_gives_identical_tree_for_any_worker_count(
    corpus: tuple[Path, dict], tmp_path: Path
) -> None:
    generate_corpus(CONFIG, str(tmp_path / "again"), workers=2)
    assert _tree_digest(tmp_path / "again") == _tree_digest(corpus[0])


def test_other_seed_gives_other_tree(corpus: tuple[Path, dict], tmp_path: Path) -> None:
    config = CorpusConfig(count=COUNT, seed=8, bad_rate=0.02, per_folder=100)
    generate_corpus(config, str(tmp_path / "other"), workers=1)
    assert _tree_digest(tmp_path / "other") != _tree_digest(corpus[0])


def test_truth_lists_every_file_once_with_matching_counts(corpus: tuple[Path, dict]) -> None:
    root, truth = corpus
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    listed = [row["path"] for row in truth["files"]]
    assert sorted(listed) == [p for p in on_disk if p != TRUTH_NAME]
    assert len(listed) == len(set(listed)) == COUNT
    assert {p.split("/")[0] for p in listed} == {"0000", "0001", "0002"}

    counts = truth["counts"]
    kinds = {kind: sum(row["kind"] == kind for row in truth["files"]) for kind in KINDS}
    assert counts["kind"] == kinds
    assert kinds == {
        "original": 240,
        "exact": 15,
        "near": 15,
        "story": 9,
        "template": 15,
        "bad": 6,
    }
    headers = {form: sum(row["header"] == form for row in truth["files"]) for form in HEADER_FORMS}
    assert counts["header"] == headers
    reasons = {r: sum(row.get("reason") == r for row in truth["files"]) for r in BAD_REASONS}
    assert counts["bad_reason"] == reasons
    assert counts["gz"] == sum(p.endswith(".gz") for p in listed)
    assert counts["bytes"] == sum((root / p).stat().st_size for p in listed)
    assert truth["params"]["seed"] == CONFIG.seed


def test_duplicates_point_to_existing_earlier_originals(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    for row in rows.values():
        if row["kind"] in ("exact", "near", "story"):
            original = rows[row["original"]]
            assert original["kind"] == "original"
            assert (root / row["original"]).is_file()
            assert row["original"] < row["path"]
        else:
            assert "original" not in row


def test_exact_copies_have_identical_bodies(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    exact = _of_kind(rows, "exact")
    assert exact
    for row in exact:
        original = rows[row["original"]]
        copy_body = strip_header(_text(root, row["path"]), row["header"])
        original_body = strip_header(_text(root, original["path"]), original["header"])
        assert copy_body.rstrip() == original_body.rstrip()


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _jaccard(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def test_near_duplicates_overlap_strongly_but_differ(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    scores = []
    for row in _of_kind(rows, "near"):
        original = rows[row["original"]]
        body = strip_header(_text(root, row["path"]), row["header"])
        original_body = strip_header(_text(root, original["path"]), original["header"])
        assert body.rstrip() != original_body.rstrip()
        scores.append(_jaccard(body, original_body))
        if row["date"] and original["date"]:
            delta = dt.date.fromisoformat(row["date"]) - dt.date.fromisoformat(original["date"])
            assert 0 <= delta.days <= 3
    assert scores
    assert min(scores) >= 0.75
    assert max(scores) < 1.0
    assert 0.83 <= sum(scores) / len(scores) <= 0.97


def _capitalised(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z][a-z\u00c0-\u017f]+\b", text))


def test_story_rewrites_share_entities_not_sentences(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    stories = _of_kind(rows, "story")
    assert stories
    for row in stories:
        original = rows[row["original"]]
        body = strip_header(_text(root, row["path"]), row["header"])
        original_body = strip_header(_text(root, original["path"]), original["header"])
        assert _jaccard(body, original_body) < 0.5
        shared = _capitalised(body) & _capitalised(original_body)
        assert len(shared) >= 3
        if row["date"] and original["date"]:
            delta = dt.date.fromisoformat(row["date"]) - dt.date.fromisoformat(original["date"])
            assert 0 <= delta.days <= 2


def test_unrelated_originals_do_not_overlap(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    originals = _of_kind(rows, "original")[:40]
    bodies = [strip_header(_text(root, r["path"]), r["header"]) for r in originals]
    for i in range(len(bodies)):
        for j in range(i + 1, len(bodies)):
            assert _jaccard(bodies[i], bodies[j]) < 0.1


def test_templated_items_share_a_template_but_not_figures(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    figure_lines = re.compile(
        r"^\s*(?:Shr|Net|Revs|Avg shrs|Qtly div|Semi-annual div|Pay|Record)\b"
    )
    figures = []
    for row in _of_kind(rows, "template"):
        body = strip_header(_text(root, row["path"]), row["header"])
        assert body.rstrip().endswith("Reuter\n&#3;")
        assert "Shr " in body or " div " in body
        lines = tuple(line.strip() for line in body.splitlines() if figure_lines.match(line))
        head = body.split(" - ", 1)[1].splitlines()[0]
        figures.append((head, *lines))
    assert len(figures) == 15
    assert len(set(figures)) == len(figures)


def test_bad_files_are_as_declared(corpus: tuple[Path, dict], rows: dict[str, dict]) -> None:
    root = corpus[0]
    bad = _of_kind(rows, "bad")
    assert {row["reason"] for row in bad} == set(BAD_REASONS)
    for row in bad:
        data = (root / row["path"]).read_bytes()
        assert row["date"] is None and row["header"] is None
        if row["reason"] == "empty":
            assert data == b""
        elif row["reason"] == "binary":
            assert b"\x00" in data
        elif row["reason"] == "undecodable":
            assert b"\x00" not in data
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        else:
            assert row["path"].endswith(".gz")
            with pytest.raises(EOFError):
                gzip.decompress(data)


def test_readable_files_decode_and_headers_match_truth(
    corpus: tuple[Path, dict], rows: dict[str, dict]
) -> None:
    root = corpus[0]
    seen_forms = set()
    for row in rows.values():
        if row["kind"] == "bad":
            continue
        text = _text(root, row["path"])
        form = row["header"]
        seen_forms.add(form)
        if form == "none":
            assert row["date"] is None
            assert not any(re.match(p, text) for p, _ in _HEADER_PATTERNS.values())
            continue
        pattern, order = _HEADER_PATTERNS[form]
        match = re.match(pattern, text)
        assert match, (form, text[:60])
        if form == "invalid":
            assert row["date"] is None
            with pytest.raises(ValueError):
                _header_date(match.groups(), order)
        else:
            assert _header_date(match.groups(), order).isoformat() == row["date"]
    assert len(seen_forms) >= 7
    assert "inline" in seen_forms


def test_strip_header_forms() -> None:
    assert strip_header(" date 2024-03-28 Body text", "inline") == "Body text"
    assert strip_header(" date 2024-13-45 Body", "invalid") == "Body"
    assert strip_header("28.03.2024\nBody\n\nMore", "dotted") == "Body\n\nMore"
    assert strip_header("Body only", "none") == "Body only"


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": 0},
        {"seed": -1},
        {"exact_rate": 1.5},
        {"exact_rate": 0.5, "near_rate": 0.5},
        {"no_header_rate": 0.8, "invalid_header_rate": 0.5},
        {"start_date": "2024-13-01"},
        {"min_words": 700},
        {"near_jaccard": (0.9, 0.8)},
    ],
)
def test_config_rejects_bad_values(overrides: dict) -> None:
    with pytest.raises(ValueError):
        CorpusConfig(**{"count": 10, **overrides})


def test_cli_writes_corpus_and_refuses_non_empty_dir(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    argv = ["--count", "50", "--seed", "3", "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == 0
    truth = orjson.loads((out / TRUTH_NAME).read_bytes())
    assert truth["counts"]["files"] == 50
    assert main(argv) == 2
