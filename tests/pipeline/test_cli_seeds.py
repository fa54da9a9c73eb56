"""End to end through the CLI on the five seed articles, read back with DuckDB."""

from __future__ import annotations

import datetime as dt

from tests.helpers import articles, by_name, manifests, run_cli, table


def test_seeds_keep_four_and_merge_the_naryshkin_rewrite(seeds_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(seeds_dir), "--output", str(out)) == 0

    kept = by_name(articles(out))
    duplicates = table(out, "duplicates")
    assert sorted(kept) == [
        "001_912e2273c833d058.txt",
        "002_63f00d1e24bae175.txt",
        "003_0ef7c3aa1244703e.txt",
        "004_4677ed4d83c6b4b8.txt",
    ]
    assert len(duplicates) == 1
    [rewrite] = duplicates
    assert rewrite["source_uri"].endswith("000_b26aad267972d458.txt")
    assert rewrite["duplicate_of"] == kept["001_912e2273c833d058.txt"]["article_id"]
    assert rewrite["method"] == "story"
    assert rewrite["published_date"] == dt.date(2024, 3, 28)

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
    assert (counts["kept"], counts["duplicates"], counts["quarantined"]) == (4, 1, 0)
    assert counts["duplicates_by_method"] == {"story": 1}
    assert manifest["accounting_ok"] is True
