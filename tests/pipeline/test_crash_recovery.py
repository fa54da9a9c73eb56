"""SIGKILL a run at every stage; the next run must leave the same dataset as no crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsingest.transforms.core.crashpoints import ENV_VAR
from tests.helpers import articles, dataset_snapshot, manifests

STRUCTURED = Path(__file__).resolve().parents[2] / "sample_data" / "structured"


def _newsingest(sample_dir: Path, out: Path, crash_at: str | None = None, *more: Path):
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if crash_at:
        env[ENV_VAR] = crash_at
    inputs = [arg for path in (sample_dir, *more) for arg in ("--input", str(path))]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsingest.pipeline.cli",
            "run",
            *inputs,
            "--output",
            str(out),
            "--num-shards",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "articles"
    out = tmp_path_factory.mktemp("reference") / "out"
    assert _newsingest(sample, out).returncode == 0
    return dataset_snapshot(out)


@pytest.mark.parametrize(
    "crash_at", ["read", "dedup", "write", "commit:planned", "commit:moving", "commit:manifest"]
)
def test_killed_run_then_rerun_equals_uninterrupted_run(sample_dir, tmp_path, reference, crash_at):
    out = tmp_path / "out"
    killed = _newsingest(sample_dir, out, crash_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if not crash_at.startswith("commit:"):
        assert not list(out.glob("articles/**/*.parquet")), (
            "a crashed run must leave nothing visible"
        )

    rerun = _newsingest(sample_dir, out)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert dataset_snapshot(out) == reference
    assert not (out / "_lock").exists()
    assert not any((out / "_staging").iterdir()) if (out / "_staging").exists() else True
    runs = manifests(out)
    read = sum(m["counts"]["read"] for m in runs)
    assert runs[-1]["accounting_ok"] is True
    if crash_at.startswith("commit:"):
        # The killed run had passed its commit point: recovery finished it and
        # the re-run found everything already ingested.
        assert len(runs) == 2 and read == 24
        assert sorted(m["counts"]["skipped_already_ingested"] for m in runs) == [0, 12]
    else:
        assert len(runs) == 1 and read == 12


@pytest.fixture(scope="module")
def records_reference(tmp_path_factory):
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "articles"
    out = tmp_path_factory.mktemp("records-reference") / "out"
    assert _newsingest(sample, out, None, STRUCTURED).returncode == 0
    return dataset_snapshot(out)


@pytest.mark.parametrize("crash_at", ["read", "write", "commit:moving"])
def test_killed_run_over_records_then_rerun_equals_uninterrupted_run(
    sample_dir, tmp_path, records_reference, crash_at
):
    """Files and JSON Lines/JSON/HTML records together: 12 files + 13 records = 25 records."""
    out = tmp_path / "out"
    killed = _newsingest(sample_dir, out, crash_at, STRUCTURED)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    rerun = _newsingest(sample_dir, out, None, STRUCTURED)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    snapshot = dataset_snapshot(out)
    assert snapshot == records_reference
    assert any("#L" in row_uri for row_uri in _uris(snapshot["quarantine"]))
    runs = manifests(out)
    assert all(m["accounting_ok"] for m in runs)
    if crash_at.startswith("commit:"):
        assert [m["counts"]["skipped_already_ingested"] for m in runs] == [0, 25]
    else:
        assert len(runs) == 1 and runs[0]["counts"]["read"] == 25


def _uris(rows) -> list[str]:
    return [dict(row)["source_uri"] for row in rows]


def test_a_torn_commit_plan_counts_as_not_committed(sample_dir, tmp_path):
    out = tmp_path / "out"
    staged = out / "_staging" / "torn-run"
    staged.mkdir(parents=True)
    (staged / "_COMMIT.json").write_bytes(b'{"run_id": "torn-run", "mov')
    (staged / "articles").mkdir()
    rerun = _newsingest(sample_dir, out)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert not staged.exists()
    assert len(articles(out)) == 7
