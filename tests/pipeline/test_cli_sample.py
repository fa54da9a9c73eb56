"""End to end through the CLI on the bundled sample articles (no ../shared needed)."""

from __future__ import annotations

import datetime as dt

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from newsingest.schemas import ARTICLES, DUPLICATES, QUARANTINE, schema_of_file
from tests.helpers import articles, by_name, manifests, run_cli, table

EXPECTED_KEPT = {
    "acme-earnings.txt",
    "bad-date-notice.txt",
    "danube-port-original.txt",
    "globex-earnings.txt",
    "latin1-cafe.txt",
    "library-reopens.txt",
    "undated-column.txt",
}
EXPECTED_DUPLICATES = {
    "danube-port-syndicated.txt.gz": ("danube-port-original.txt", "exact"),
    "danube-port-rewrite.txt": ("danube-port-original.txt", "story"),
    "library-reopens-update.txt": ("library-reopens.txt", "near"),
}
EXPECTED_QUARANTINE = {"empty.txt": "empty", "scan.png": "binary"}


def test_sample_run_keeps_merges_and_quarantines(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == 0

    kept = by_name(articles(out))
    assert set(kept) == EXPECTED_KEPT
    duplicates = by_name(table(out, "duplicates"))
    assert {name: (r["duplicate_of"], r["method"]) for name, r in duplicates.items()} == {
        name: (kept[original]["article_id"], method)
        for name, (original, method) in EXPECTED_DUPLICATES.items()
    }
    quarantine = by_name(table(out, "quarantine"))
    assert {name: r["reason"] for name, r in quarantine.items()} == EXPECTED_QUARANTINE
    assert quarantine["scan.png"]["raw_content"].startswith(b"\x89PNG")
    assert quarantine["empty.txt"]["raw_content"] == b""

    assert kept["bad-date-notice.txt"]["date_status"] == "invalid"
    assert kept["bad-date-notice.txt"]["date_raw"] == "2024-13-45"
    assert kept["bad-date-notice.txt"]["published_date"] is None
    assert kept["undated-column.txt"]["date_status"] == "missing"
    assert kept["latin1-cafe.txt"]["text"].startswith("Café owners in Grünau")
    assert kept["latin1-cafe.txt"]["encoding"] != "utf-8"
    assert kept["library-reopens.txt"]["published_at"] == dt.datetime(
        2024, 3, 28, 9, 15, tzinfo=dt.timezone.utc
    )
    assert kept["danube-port-original.txt"]["published_date"] == dt.date(2024, 3, 27)

    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert counts["read"] == 12 == counts["kept"] + counts["duplicates"] + counts["quarantined"]
    assert counts["duplicates_by_method"] == {"exact": 1, "near": 1, "story": 1}
    assert counts["quarantined_by_reason"] == {"binary": 1, "empty": 1}
    assert counts["per_date"]["__HIVE_DEFAULT_PARTITION__"] == 2
    assert not (out / "_staging").exists() or not any((out / "_staging").iterdir())


def test_output_is_readable_by_pyarrow_with_declared_schemas(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == 0
    dataset = ds.dataset(str(out / "articles"), partitioning="hive")
    loaded = dataset.to_table()
    assert loaded.num_rows == len(EXPECTED_KEPT)
    for name in ARTICLES.arrow.names:
        assert loaded.schema.field(name).type == ARTICLES.arrow.field(name).type
    for folder, schema in (
        ("articles", ARTICLES),
        ("duplicates", DUPLICATES),
        ("quarantine", QUARANTINE),
    ):
        for path in sorted(out.glob(f"{folder}/**/*.parquet")):
            assert pq.read_schema(path).remove_metadata() == schema.arrow.remove_metadata()
            assert schema_of_file(str(path)) == (schema.name, "1")


def test_same_input_gives_same_rows_whatever_chunking_and_sharding(sample_dir, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_cli("--input", str(sample_dir), "--output", str(first), "--run-id", "r1") == 0
    assert (
        run_cli(
            "--input",
            str(sample_dir),
            "--output",
            str(second),
            "--run-id",
            "r1",
            "--chunk-size",
            "1",
            "--num-shards",
            "3",
        )
        == 0
    )

    def content(out):
        rows = articles(out)
        for row in rows:
            row.pop("ingested_at")
        return rows

    assert content(first) == content(second)
    assert [
        {k: v for k, v in r.items() if k != "ingested_at"} for r in table(first, "duplicates")
    ] == [{k: v for k, v in r.items() if k != "ingested_at"} for r in table(second, "duplicates")]


def test_bad_options_give_clear_errors(tmp_path, capsys):
    assert (
        run_cli("--input", str(tmp_path), "--output", str(tmp_path / "o"), "--chunk-size", "0") == 2
    )
    assert "--chunk_size must be >= 1" in capsys.readouterr().err


def test_commit_in_pipeline_gives_the_same_dataset(sample_dir, tmp_path):
    normal, in_pipeline = tmp_path / "normal", tmp_path / "in-pipeline"
    assert run_cli("--input", str(sample_dir), "--output", str(normal), "--run-id", "r") == 0
    assert (
        run_cli(
            "--input",
            str(sample_dir),
            "--output",
            str(in_pipeline),
            "--run-id",
            "r",
            "--commit-in-pipeline",
        )
        == 0
    )

    def rows(out):
        return [{k: v for k, v in r.items() if k != "ingested_at"} for r in articles(out)]

    assert rows(in_pipeline) == rows(normal)
    [manifest] = manifests(in_pipeline)
    assert manifest["counts"] == manifests(normal)[0]["counts"]
    assert not any((in_pipeline / "_staging").iterdir())


def test_many_shards_split_flat_tables_but_keep_the_rows(sample_dir, tmp_path):
    default, sharded = tmp_path / "default", tmp_path / "sharded"
    assert run_cli("--input", str(sample_dir), "--output", str(default), "--run-id", "r") == 0
    assert (
        run_cli(
            "--input",
            str(sample_dir),
            "--output",
            str(sharded),
            "--run-id",
            "r",
            "--num-shards",
            "48",
        )
        == 0
    )
    assert len(list((default / "_index").glob("*.parquet"))) == 1
    assert 1 < len(list((sharded / "_index").glob("*.parquet"))) <= 3

    def rows(out, name):
        return sorted(
            str({k: v for k, v in r.items() if k != "ingested_at"}) for r in table(out, name)
        )

    assert rows(sharded, "duplicates") == rows(default, "duplicates")
    assert rows(sharded, "quarantine") == rows(default, "quarantine")
