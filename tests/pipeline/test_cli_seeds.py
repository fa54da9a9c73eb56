"""End to end through the CLI on the five seed articles, read back with DuckDB."""

from __future__ import annotations

import datetime as dt

import duckdb

from tests.helpers import articles, by_name, manifests, run_cli, table


def test_seeds_as_the_shipped_model_decides(seeds_dir, tmp_path):
    """The shipped model scores the Naryshkin rewrite (000-001) at 0.87, below its 0.92
    threshold (README: known gap until the lead retrains): every seed is kept and starts
    its own story. With a per-run group threshold below that score, the rewrite is a
    story link: both kept, one story_id (001's, the earlier article)."""
    out = tmp_path / "out"
    assert run_cli("--input", str(seeds_dir), "--output", str(out)) == 0

    kept = by_name(articles(out))
    duplicates = table(out, "duplicates")
    assert len(kept) == 5 and not duplicates
    assert all(row["story_id"] == row["article_id"] for row in kept.values())
    linked = tmp_path / "linked"
    assert (
        run_cli(
            "--input",
            str(seeds_dir),
            "--output",
            str(linked),
            "--dedup-story-group-threshold",
            "0.85",
        )
        == 0
    )
    stories = duckdb.sql(
        "select source_uri, article_id, story_id "
        f"from read_parquet('{linked}/articles/*/*.parquet')"
    ).fetchall()
    by_file = {uri.rsplit("/", 1)[-1][:3]: (aid, sid) for uri, aid, sid in stories}
    assert len(by_file) == 5
    assert by_file["000"][1] == by_file["001"][1] == by_file["001"][0]
    assert all(sid == aid for key, (aid, sid) in by_file.items() if key not in ("000",))

    assert kept["001_912e2273c833d058.txt"]["published_date"] == dt.date(2024, 3, 27)
    assert kept["002_63f00d1e24bae175.txt"]["published_date"] == dt.date(2023, 11, 14)
    assert kept["004_4677ed4d83c6b4b8.txt"]["published_date"] == dt.date(2024, 3, 25)
    assert kept["001_912e2273c833d058.txt"]["date"] == dt.date(2024, 3, 27)
    undated = kept["003_0ef7c3aa1244703e.txt"]
    assert undated["published_date"] is None
    assert undated["date"] is None
    assert undated["date_status"] == "missing"
    assert undated["date_raw"] is None
    assert kept["001_912e2273c833d058.txt"]["text"].startswith("SEOUL (Reuters)")
    assert kept["002_63f00d1e24bae175.txt"]["date_raw"] == "2023-11-14"

    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert counts["read"] == 5
    assert (counts["kept"], counts["duplicates"], counts["quarantined"]) == (5, 0, 0)
    assert not counts["duplicates_by_method"]
    assert manifest["accounting_ok"] is True
