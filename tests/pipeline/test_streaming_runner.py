"""newsingest run --streaming on the local FnApiRunner, stopped after a few seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

from newsingest.pipeline.cli import main
from tests.helpers import articles, by_name, manifests, run_cli, table

VOLATILE = {"run_id", "ingested_at"}


def _rows(rows: list[dict]) -> list[tuple]:
    return sorted(
        tuple(sorted((k, v) for k, v in row.items() if k not in VOLATILE)) for row in rows
    )


def _streaming(inbox: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "run",
            "--streaming",
            "--input",
            str(inbox),
            "--output",
            str(out),
            "--run-id",
            "live",
            "--num-shards",
            "3",
            "--poll-interval",
            "0.5",
            "--settle",
            "0",
            "--window-s",
            "60",
            "--stop-after",
            "2",
            *extra,
        ]
    )


def test_bounded_streaming_run_equals_a_batch_run(sample_dir, tmp_path):
    inbox, out, batch = tmp_path / "inbox", tmp_path / "out", tmp_path / "batch"
    shutil.copytree(sample_dir, inbox)
    (inbox / ".being-copied.tmp").write_text("never read")
    assert _streaming(inbox, out) == 0
    runs = manifests(out)
    assert runs and all(m["accounting_ok"] for m in runs)
    assert sum(m["counts"]["read"] for m in runs) == 12

    assert run_cli("--input", str(inbox), "--output", str(batch)) == 0
    assert _rows(articles(out)) == _rows(articles(batch))
    assert _rows(table(out, "duplicates")) == _rows(table(batch, "duplicates"))
    assert _rows(table(out, "quarantine")) == _rows(table(batch, "quarantine"))
    methods = {name: row["method"] for name, row in by_name(table(out, "duplicates")).items()}
    assert methods == {
        "danube-port-syndicated.txt.gz": "exact",
        "library-reopens-update.txt": "near",
        "danube-port-rewrite.txt": "story",
    }


def test_second_streaming_run_checks_against_the_index(sample_dir, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    shutil.copytree(sample_dir / "2024-03", inbox / "first")
    assert _streaming(inbox, out) == 0
    original = (sample_dir / "2024-03/danube-port-original.txt").read_text()
    (inbox / "second").mkdir()
    (inbox / "second" / "late-copy.txt").write_text(original.replace("2024-03-27", "2024-03-30"))
    (inbox / "second" / "near.txt").write_text(
        original.replace("2024-03-27", "2024-03-30").replace("Wednesday", "Thursday")
    )
    assert _streaming(inbox, out, "--run-id", "live2") == 0
    second = [m for m in manifests(out) if m["run_id"].startswith("live2")]
    counts = second[0]["counts"]
    # Ingested content is skipped through the index (the six files, and the exact copy, as in
    # incremental batch runs); the near copy is checked against the indexed original.
    assert counts["skipped_already_ingested"] == 7
    assert counts["read"] == 8
    duplicates = by_name(table(out, "duplicates"))
    kept = by_name(articles(out))
    assert duplicates["near.txt"]["duplicate_of"] == kept["danube-port-original.txt"]["article_id"]
    assert duplicates["near.txt"]["method"] == "near"
