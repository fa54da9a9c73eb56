"""story_id end to end through the CLI on the bundled sample data, read back with
pyarrow and DuckDB: every kept and every duplicate row carries one, a duplicate carries
its canonical's, and a second run over the same inbox plus a copy keeps every id."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow.dataset as ds

from tests.conftest import SAMPLE_DIR
from tests.helpers import run_cli


def _rows(out, name):
    return ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()


def test_every_row_has_a_story_id_and_duplicates_carry_their_canonicals(tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(SAMPLE_DIR), "--output", str(out)) == 0
    kept = {row["article_id"]: row for row in _rows(out, "articles")}
    duplicates = _rows(out, "duplicates")
    assert kept and duplicates
    assert all(len(row["story_id"]) == 16 for row in kept.values())
    for row in duplicates:
        assert row["story_id"] == kept[row["duplicate_of"]]["story_id"], row
    starters = {row["story_id"] for row in kept.values()}
    assert starters <= set(kept), "a story is named by one of its kept articles"
    joined = duckdb.sql(
        f"select d.story_id = a.story_id from read_parquet('{out}/duplicates/*.parquet') d "
        f"join read_parquet('{out}/articles/*/*.parquet') a on d.duplicate_of = a.article_id"
    ).fetchall()
    assert joined and all(ok for (ok,) in joined)


def test_a_later_run_never_changes_earlier_story_ids(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    out = tmp_path / "out"
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    before = {row["article_id"]: row["story_id"] for row in _rows(out, "articles")}
    source = next(p for p in sorted(inbox.rglob("*.txt")))
    copy = inbox / "later" / "copy-of-first.txt"
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes() + b"\n")
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    after = {row["article_id"]: row["story_id"] for row in _rows(out, "articles")}
    assert {k: after[k] for k in before} == before
    latest = [r for r in _rows(out, "duplicates") if r["source_uri"].endswith("copy-of-first.txt")]
    assert len(latest) == 1 and latest[0]["story_id"] == before[latest[0]["duplicate_of"]]
