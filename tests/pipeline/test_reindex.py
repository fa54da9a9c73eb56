"""``newsingest reindex``: rebuild the index for new shaping settings, atomically."""

from __future__ import annotations

import pyarrow.parquet as pq

from newsingest.pipeline.cli import main
from tests.helpers import by_name, manifests, run_cli, table
from tests.pipeline.test_incremental import _second_batch


def _index(out) -> dict:
    rows = pq.read_table(out / "_index").to_pylist()
    return {row["article_id"]: row for row in rows}


def test_reindex_with_the_same_settings_rebuilds_the_same_kept_rows(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    before = _index(out)
    assert main(["reindex", str(out)]) == 0
    assert "reindexed" in capsys.readouterr().out
    after = _index(out)
    assert set(after) == set(before)
    for article, row in before.items():
        rebuilt = after[article]
        assert (rebuilt["kept"], rebuilt["rank"], rebuilt["run_id"]) == (
            row["kept"],
            row["rank"],
            row["run_id"],
        )
        if row["kept"]:
            assert (rebuilt["band_keys"], rebuilt["features"]) == (
                row["band_keys"],
                row["features"],
            )
        else:
            assert rebuilt["duplicate_of"] == row["duplicate_of"]
            assert rebuilt["band_keys"][-1] == row["band_keys"][-1]
    names = sorted(p.name for p in (out / "_index").iterdir())
    assert names[0] == "_settings.json" and len(names) == 2
    assert not list(out.glob("_staging/*"))


def test_reindex_lets_a_run_with_new_shaping_settings_dedup_against_the_old_articles(
    sample_dir, tmp_path
):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    batch = _second_batch(sample_dir, tmp_path / "b")
    args = ("--input", str(batch), "--output", str(out), "--run-id", "b", "--dedup-seed", "7")
    assert run_cli(*args) == 1
    assert main(["reindex", str(out), "--dedup-seed", "7"]) == 0
    assert run_cli(*args) == 0
    duplicates = by_name(table(out, "duplicates"))
    assert duplicates["copy-of-original.txt"]["method"] == "exact"
    assert duplicates["library-earlier-copy.txt"]["method"] == "near"
    first, second = manifests(out)
    assert first["settings"]["feature_version"] != second["settings"]["feature_version"]


def test_reindex_refuses_bad_settings_and_missing_datasets(tmp_path, capsys):
    assert main(["reindex", str(tmp_path / "none")]) == 1
    assert "nothing to reindex" in capsys.readouterr().err
    assert main(["reindex", str(tmp_path), "--dedup-num-perm", "0"]) == 2
