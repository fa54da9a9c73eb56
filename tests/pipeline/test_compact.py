"""Compaction merges small files atomically and keeps exactly the same rows."""

from __future__ import annotations

import json

import duckdb

from newsingest.pipeline.cli import main
from tests.helpers import articles, run_cli, table

GOOD = " date 2024-03-{day:02d} Story number {n} about the {topic} with its own words {n}.\n"
TOPICS = ["harbour", "tram strike", "flood", "library", "election", "orchestra"]


def _batches(tmp_path, count):
    folders = []
    for b in range(count):
        folder = tmp_path / f"batch{b}"
        folder.mkdir()
        for i in range(3):
            n = b * 10 + i
            text = GOOD.format(day=1 + i, n=n, topic=TOPICS[n % len(TOPICS)]) * 3
            (folder / f"{n}.txt").write_text(text)
        folders.append(folder)
    return folders


def _canonical(rows) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def _rows(out):
    index = duckdb.sql(f"select * from read_parquet('{out}/_index/*.parquet')")
    return (
        _canonical(articles(out)),
        _canonical(table(out, "duplicates")),
        _canonical(index.to_arrow_table().to_pylist()),
    )


def test_compact_merges_each_folder_into_one_file_with_the_same_rows(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "s") == 0
    for i, folder in enumerate(_batches(tmp_path, 3)):
        assert run_cli("--input", str(folder), "--output", str(out), "--run-id", f"b{i}") == 0
    before = _rows(out)
    partition = out / "articles" / "date=2024-03-01"
    assert len(list(partition.glob("*.parquet"))) == 3
    assert len(list((out / "_index").glob("*.parquet"))) == 4

    assert main(["compact", str(out)]) == 0
    assert "articles/date=2024-03-01: 3 files -> 1" in capsys.readouterr().out
    assert len(list(partition.glob("*.parquet"))) == 1
    assert len(list((out / "_index").glob("*.parquet"))) == 1
    assert (out / "_index" / "_settings.json").exists()
    assert _rows(out) == before
    assert not (out / "_lock").exists()
    assert main(["compact", str(out)]) == 0
    assert "nothing to compact" in capsys.readouterr().out

    later = tmp_path / "later"
    later.mkdir()
    [again] = _batches(later, 1)
    assert run_cli("--input", str(again), "--output", str(out), "--run-id", "after") == 0
    assert len(articles(out)) == len(before[0]), "a compacted index still skips ingested content"


def test_runs_lists_committed_runs(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "first") == 0
    capsys.readouterr()
    assert main(["runs", str(out)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:4] == ["run_id", "committed_at", "read", "kept"]
    assert listing[1].split()[0] == "first" and listing[1].split()[2:4] == ["12", "7"]
    assert main(["runs", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["duplicates"] == 3
    assert main(["runs", str(tmp_path / "missing")]) == 3
