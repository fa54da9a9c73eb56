"""``newsingest load duckdb`` for real: two runs into one dataset, loaded incrementally."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from newsingest.pipeline.cli import main
from tests.helpers import articles, run_cli, table

SECOND_BATCH = {
    "harbour-crane.txt": (
        "date 2024-04-02\nHarbour crane contract goes to local firm\n\n"
        "The port authority awarded a four-year maintenance contract for its container "
        "cranes to a local engineering company, ending a decade of work by foreign suppliers."
    ),
    "harbour-crane-copy.txt": (
        "date 2024-04-02\nHarbour crane contract goes to local firm\n\n"
        "The port authority awarded a four-year maintenance contract for its container "
        "cranes to a local engineering company, ending a decade of work by foreign suppliers."
    ),
    "orchard-frost.txt": (
        "date 2024-04-03\nLate frost threatens apple blossom\n\n"
        "Growers in the northern valleys lit fires between rows overnight as temperatures "
        "dropped to minus four degrees, weeks after the trees had started to flower."
    ),
    "chess-final.txt": (
        "Teenager wins regional chess final\n\n"
        "A fifteen-year-old from the lakeside school won the regional championship on "
        "Sunday after a five-hour endgame against the defending title holder."
    ),
    "blank.txt": "",
}


def _second_batch(folder: Path) -> Path:
    folder.mkdir()
    for name, text in SECOND_BATCH.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _load(out: Path, database: Path) -> int:
    return main(["load", "duckdb", "--output", str(out), "--database", str(database)])


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _ids(rows: list[dict]) -> list[str]:
    return sorted(r["article_id"] for r in rows)


def test_loads_each_run_once_and_matches_the_dataset(sample_dir, tmp_path, capsys):
    out, database = tmp_path / "out", tmp_path / "news.duckdb"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "r1") == 0
    capsys.readouterr()

    assert _load(out, database) == 0
    printed = capsys.readouterr().out
    assert "r1: articles 7, duplicates 3, quarantine 2" in printed
    assert _rows(database, "select run_id, articles, duplicates, quarantine from newsingest_loads")
    assert _rows(database, "select count(*) from articles") == [(7,)]

    batch = _second_batch(tmp_path / "batch2")
    assert run_cli("--input", str(batch), "--output", str(out), "--run-id", "r2") == 0
    capsys.readouterr()
    assert _load(out, database) == 0
    printed = capsys.readouterr().out
    assert "loaded 1 run(s)" in printed and "r2: articles 3, duplicates 1, quarantine 1" in printed
    assert "r1:" not in printed

    assert _rows(database, "select run_id, count(*) from articles group by 1 order by 1") == [
        ("r1", 7),
        ("r2", 3),
    ]
    dataset_articles = articles(out)
    assert len(dataset_articles) == 10
    assert _ids(dataset_articles) == [
        r[0] for r in _rows(database, "select article_id from articles order by 1")
    ]
    for name in ("duplicates", "quarantine"):
        expected = table(out, name)
        got = _rows(database, f"select source_uri, run_id from {name} order by source_uri")
        assert got == [(r["source_uri"], r["run_id"]) for r in expected]
    assert _rows(
        database, "select run_id, articles, duplicates, quarantine from newsingest_loads order by 1"
    ) == [("r1", 7, 3, 2), ("r2", 3, 1, 1)]

    # The partition column is kept once, as a DATE; raw_content is not loaded.
    columns = dict(
        _rows(
            database,
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'articles'",
        )
    )
    assert columns["published_date"] == "DATE" and "date" not in columns
    quarantine_columns = [
        r[0]
        for r in _rows(
            database,
            "select column_name from information_schema.columns where table_name = 'quarantine'",
        )
    ]
    assert "raw_content" not in quarantine_columns and "reason" in quarantine_columns
    assert _rows(
        database,
        "select count(*) from articles where source_uri like '%chess-final.txt' "
        "and published_date is null",
    ) == [(1,)]

    assert _load(out, database) == 0
    assert "nothing to load: all 2 committed run(s)" in capsys.readouterr().out
    assert _rows(database, "select count(*) from articles") == [(10,)]
    assert _rows(database, "select count(*) from duplicates") == [(4,)]


def test_rows_disagreeing_with_the_manifest_roll_back(sample_dir, tmp_path, capsys):
    out, database = tmp_path / "out", tmp_path / "news.duckdb"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "r1") == 0
    # A half-finished compaction: the run's rows are visible twice.
    [part] = (out / "duplicates").glob("*.parquet")
    shutil.copy(part, part.with_name("part-compacted-00000.parquet"))
    capsys.readouterr()

    assert _load(out, database) == 1
    error = capsys.readouterr().err
    assert "duplicates=3 but duplicates has 6 rows" in error and "nothing was loaded" in error
    assert _rows(database, "select count(*) from information_schema.tables") == [(0,)]

    (part.with_name("part-compacted-00000.parquet")).unlink()
    assert _load(out, database) == 0
    assert _rows(database, "select count(*) from duplicates") == [(3,)]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_missing_dataset_is_a_clear_error(tmp_path, capsys, make):
    out = tmp_path / "out"
    if make == "empty":
        out.mkdir()
    assert _load(out, tmp_path / "news.duckdb") == 3  # exit-code table: NOT_FOUND
    error = capsys.readouterr().err
    assert "newsingest load: error:" in error and str(out) in error
    assert ("does not exist" if make == "missing" else "no run manifests") in error


def test_help_describes_the_target(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["load", "duckdb", "--help"])
    assert exit_info.value.code == 0
    assert "--database FILE" in capsys.readouterr().out
