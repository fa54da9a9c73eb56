"""Progress on stderr, --quiet, --log-format json, and no Beam log noise."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(*args: str):
    return subprocess.run(
        [sys.executable, "-m", "newsingest.pipeline.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_text_mode_prints_progress_and_summary_without_beam_noise(sample_dir, tmp_path):
    done = _run(
        "--input", str(sample_dir), "--output", str(tmp_path / "o"), "--progress-interval", "0"
    )
    assert done.returncode == 0, done.stderr
    assert "read         12" in done.stdout and "duplicates   3" in done.stdout
    progress = [line for line in done.stderr.splitlines() if line.startswith("newsingest: read")]
    assert progress and progress[-1].startswith("newsingest: read 12/12 files")
    assert not [line for line in done.stderr.splitlines() if "apache_beam" in line]


def test_quiet_prints_nothing(sample_dir, tmp_path):
    done = _run("--input", str(sample_dir), "--output", str(tmp_path / "o"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "newsingest: read" not in done.stderr


def test_json_mode_emits_parseable_events(sample_dir, tmp_path):
    done = _run(
        "--input",
        str(sample_dir),
        "--output",
        str(tmp_path / "o"),
        "--log-format",
        "json",
        "--progress-interval",
        "0",
    )
    assert done.returncode == 0, done.stderr
    [summary] = [json.loads(line) for line in done.stdout.splitlines()]
    assert summary["event"] == "summary" and summary["read"] == 12 and summary["kept"] == 7
    events = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert {e["event"] for e in events} == {"progress"}
    assert events[-1]["total_files"] == 12

    failed = _run(
        "--input",
        str(tmp_path / "missing"),
        "--output",
        str(tmp_path / "o2"),
        "--log-format",
        "json",
    )
    assert failed.returncode == 3
    [error] = [json.loads(line) for line in failed.stderr.splitlines() if line.strip()]
    assert error["event"] == "error" and "missing" in error["message"]
    assert error["exit_code"] == 3


def test_run_help_explains_every_dedup_knob():
    import dataclasses

    from newsingest.pipeline.options import knob_help
    from newsingest.transforms.core.dedup_config import DedupConfig

    helps = knob_help()
    for field in dataclasses.fields(DedupConfig):
        assert len(helps.get(field.name, "")) > 15, field.name
