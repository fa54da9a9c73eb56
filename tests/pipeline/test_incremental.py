"""Incremental runs: dedup against everything ingested before, idempotent re-runs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from newsingest.transforms.write import write_parquet
from tests.helpers import articles, by_name, dataset_snapshot, manifests, run_cli, table

ORIGINAL = "2024-03/danube-port-original.txt"
LIBRARY = "2024-03/library-reopens.txt"


def _tree_digest(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "_runs" not in p.parts
    }


def _second_batch(sample_dir: Path, folder: Path) -> Path:
    folder.mkdir()
    body = (sample_dir / ORIGINAL).read_text().split(" ", 3)[3]
    (folder / "copy-of-original.txt").write_text(" date 2024-04-02 " + body)
    earlier = (
        (sample_dir / LIBRARY).read_text().replace("2024-03-28T09:15:00Z", "2024-03-20T07:00:00Z")
    )
    (folder / "library-earlier-copy.txt").write_text(
        earlier.replace("14 million euros", "14 million euros, paid by the city and the state")
    )
    (folder / "fresh.txt").write_text(
        " date 2024-04-02 Tram drivers in Linz will strike for two hours on Friday morning "
        "over pay, the transport union vida said, advising commuters to plan other routes.\n"
    )
    return folder


def test_second_batch_is_checked_against_the_first(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    first = by_name(articles(out))
    batch = _second_batch(sample_dir, tmp_path / "b")
    assert run_cli("--input", str(batch), "--output", str(out), "--run-id", "b") == 0

    kept = by_name(articles(out))
    assert "fresh.txt" in kept and kept["fresh.txt"]["run_id"] == "b"
    assert "copy-of-original.txt" not in kept
    assert "library-earlier-copy.txt" not in kept
    duplicates = by_name(table(out, "duplicates"))
    earlier = duplicates["library-earlier-copy.txt"]
    assert earlier["duplicate_of"] == first["library-reopens.txt"]["article_id"]
    assert earlier["run_id"] == "b" and earlier["method"] == "near"
    assert str(earlier["published_date"]) == "2024-03-20"

    run_b = manifests(out)[1]
    assert run_b["run_id"] == "b"
    counts = run_b["counts"]
    assert counts["read"] == 3
    assert counts["skipped_already_ingested"] == 0
    assert (counts["kept"], counts["duplicates"], counts["quarantined"]) == (1, 2, 0)
    # Re-ingestion rule: the same content under a new URI is an exact duplicate row.
    copy = duplicates["copy-of-original.txt"]
    assert copy["duplicate_of"] == first["danube-port-original.txt"]["article_id"]
    assert (copy["method"], copy["run_id"]) == ("exact", "b")


def test_rerunning_the_same_input_changes_nothing(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    before = _tree_digest(out)
    copy = tmp_path / "same-files-elsewhere"
    shutil.copytree(sample_dir, copy)
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "same") == 0
    assert _tree_digest(out) == before
    assert run_cli("--input", str(copy), "--output", str(out), "--run-id", "moved") == 0
    assert {path.split("/")[0] for path in set(_tree_digest(out)) - set(before)} == {
        "quarantine",
        "duplicates",
        "_index",
    }
    runs = {m["run_id"]: m["counts"] for m in manifests(out)}
    assert runs["same"]["skipped_already_ingested"] == 12
    assert runs["same"]["kept"] == runs["same"]["duplicates"] == runs["same"]["quarantined"] == 0
    # Same articles at other URIs are duplicates naming the kept articles (an exact copy
    # of an earlier duplicate follows it); the bad files there are new inputs.
    assert runs["moved"]["skipped_already_ingested"] == 0
    assert (runs["moved"]["duplicates"], runs["moved"]["quarantined"]) == (10, 2)
    kept = {row["article_id"] for row in articles(out)}
    moved = [row for row in table(out, "duplicates") if row["run_id"] == "moved"]
    assert len(moved) == 10 and all(row["duplicate_of"] in kept for row in moved)
    assert sum(row["method"] == "exact" for row in moved) == 8


def test_batches_in_sequence_keep_the_same_stories_as_one_batch(sample_dir, tmp_path):
    batch_b = _second_batch(sample_dir, tmp_path / "b")
    together = tmp_path / "together"
    assert (
        run_cli("--input", str(sample_dir), "--input", str(batch_b), "--output", str(together)) == 0
    )
    sequential = tmp_path / "sequential"
    assert run_cli("--input", str(sample_dir), "--output", str(sequential), "--run-id", "a") == 0
    assert run_cli("--input", str(batch_b), "--output", str(sequential), "--run-id", "b") == 0

    kept_together = set(by_name(articles(together)))
    kept_sequential = set(by_name(articles(sequential)))
    # Documented append-only rule: the earlier-dated copy arriving later does not
    # replace the already-published article, while a single run keeps the earliest.
    assert kept_together - kept_sequential == {"library-earlier-copy.txt"}
    assert kept_sequential - kept_together == {"library-reopens.txt"}
    removed_sequential = set(by_name(table(sequential, "duplicates")))
    skipped = manifests(sequential)[1]["counts"]["skipped_already_ingested"]
    assert skipped == 0
    assert "copy-of-original.txt" in removed_sequential
    assert len(kept_sequential) + len(removed_sequential) + skipped == len(kept_together) + len(
        by_name(table(together, "duplicates"))
    )


def test_an_index_in_many_row_groups_gives_the_same_decisions(sample_dir, tmp_path):
    """The prior-candidate reader reads hit rows row group by row group: an index cut
    into groups of 3 rows (as compaction or another writer might leave it) must find
    the same candidates as one group per file."""
    one_group = tmp_path / "one-group"
    assert run_cli("--input", str(sample_dir), "--output", str(one_group), "--run-id", "a") == 0
    many_groups = tmp_path / "many-groups"
    shutil.copytree(one_group, many_groups)
    regrouped = 0
    for path in sorted((many_groups / "_index").glob("*.parquet")):
        indexed = pq.read_table(path)
        write_parquet(str(path), indexed, row_group_rows=3)
        regrouped += pq.ParquetFile(path).num_row_groups
    assert regrouped >= 3

    batch = _second_batch(sample_dir, tmp_path / "b")
    for out in (one_group, many_groups):
        assert run_cli("--input", str(batch), "--output", str(out), "--run-id", "b") == 0
    assert dataset_snapshot(many_groups) == dataset_snapshot(one_group)
    run_b = manifests(many_groups)[1]["counts"]
    assert (run_b["kept"], run_b["duplicates"]) == (1, 2)
