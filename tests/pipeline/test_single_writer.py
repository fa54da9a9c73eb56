"""Writers on one output never overlap, and exit codes tell committed from not committed.

Overlaps are staged with the crash-point pause (``NEWSINGEST_PAUSE_AT=name=PATH`` waits at
``name`` while ``PATH`` exists), a full disk with ``NEWSINGEST_FAIL_AT`` (ENOSPC raised at
a named point).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsingest.pipeline.build import write_run_report
from newsingest.pipeline.commit import COMMIT_PLAN, commit_in_pipeline
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.exitcodes import ExitCode
from newsingest.pipeline.lock import DatasetLock, LeaseLostError, LockedError
from newsingest.transforms.core.crashpoints import FAIL_ENV_VAR, PAUSE_ENV_VAR
from tests.helpers import articles, dataset_snapshot, manifests, run_cli

TIMEOUT_S = 180
FOREIGN = {"owner": "run other", "lease": "f00d", "host": "elsewhere", "pid": 1}


def _start(args: list[str], pause_at: str, flag: Path) -> subprocess.Popen:
    flag.write_text("paused")
    env = {**os.environ, PAUSE_ENV_VAR: f"{pause_at}={flag}"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsingest", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _finish(process: subprocess.Popen, flag: Path) -> tuple[int, str]:
    flag.unlink()
    _, err = process.communicate(timeout=TIMEOUT_S)
    return process.returncode, err


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_a_run_during_a_commit_in_pipeline_run_is_refused(sample_dir, tmp_path, capsys):
    """The data-loss case: the in-pipeline run holds the lease across its job."""
    out, flag = tmp_path / "out", tmp_path / "pause"
    job = _start(
        ["run", "--quiet", "--input", str(sample_dir), "--output", str(out),
         "--commit-in-pipeline", "--run-id", "job"],
        "read", flag,
    )  # fmt: skip
    _wait_for(tmp_path / "pause.reached", job)
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "second") == 4
    assert "another run is active" in capsys.readouterr().err
    code, err = _finish(job, flag)
    assert code == 0, err
    assert [m["run_id"] for m in manifests(out)] == ["job"]
    clean = tmp_path / "clean"
    assert run_cli("--input", str(sample_dir), "--output", str(clean)) == 0
    assert dataset_snapshot(out) == dataset_snapshot(clean)
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == 0  # later runs work


def test_an_in_pipeline_commit_aborts_when_another_writer_took_over(sample_dir, tmp_path):
    out, flag = tmp_path / "out", tmp_path / "pause"
    job = _start(
        ["run", "--quiet", "--input", str(sample_dir), "--output", str(out),
         "--commit-in-pipeline", "--run-id", "job"],
        "read", flag,
    )  # fmt: skip
    _wait_for(tmp_path / "pause.reached", job)
    (out / "_lock").write_text(json.dumps(FOREIGN))  # a writer that took the lease over
    code, err = _finish(job, flag)
    assert code in (ExitCode.FAILED, ExitCode.BUSY), err
    assert "no longer holds" in err and "nothing was committed" in err
    assert not (out / "_runs").exists() and not (out / "articles").exists()
    assert json.loads((out / "_lock").read_text()) == FOREIGN  # never released by the loser


def test_an_in_pipeline_commit_checks_the_lease(tmp_path):
    out = tmp_path / "out"
    config = RunConfig(
        inputs=("x",), output=str(out), run_id="w1",
        ingested_at=dt.datetime.now(dt.timezone.utc),
        lease="mine",
    )  # fmt: skip
    os.makedirs(config.staging)
    write_run_report([], 0, 0, config.staging)
    (out / "_lock").write_text(json.dumps(FOREIGN))
    with pytest.raises(LeaseLostError, match="nothing was committed"):
        commit_in_pipeline(config)
    assert not (Path(config.staging) / COMMIT_PLAN).exists() and not (out / "_runs").exists()


def test_watch_stops_without_committing_when_its_lease_is_taken(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    watcher = subprocess.Popen(
        [sys.executable, "-m", "newsingest", "watch", "--input", str(inbox),
         "--output", str(out), "--interval", "0.1", "--settle", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for(out / "_lock", watcher)
        time.sleep(1.0)  # the watcher has loaded the (empty) dataset
        (out / "_lock").write_text(json.dumps(FOREIGN))
        (inbox / "a.txt").write_text(" date 2024-03-28 Trains run late again in Vienna today.\n")
        _, err = watcher.communicate(timeout=TIMEOUT_S)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == ExitCode.BUSY, err
    assert "no longer holds" in err
    assert not (out / "_runs").exists() and not (out / "articles").exists()


def test_compact_checks_its_lease_before_swapping(sample_dir, tmp_path):
    out, flag = tmp_path / "out", tmp_path / "pause"
    more = tmp_path / "more"
    more.mkdir()
    (more / "n.txt").write_text(" date 2024-03-28 Trains run late again in Vienna today.\n")
    for run_id, inputs in (("a", sample_dir), ("b", more)):
        assert run_cli("--input", str(inputs), "--output", str(out), "--run-id", run_id) == 0
    before = _files(out)
    job = _start(["compact", str(out)], "compact:merged", flag)
    _wait_for(tmp_path / "pause.reached", job)
    time.sleep(0.5)
    (out / "_lock").write_text(json.dumps(FOREIGN))
    code, err = _finish(job, flag)
    assert code == ExitCode.BUSY, err
    assert [f for f in _files(out) if not f.startswith(("_staging", "_lock"))] == [
        f for f in before if not f.startswith("_lock")
    ]


def test_disk_full_after_the_commit_point_says_committed(sample_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV_VAR, "commit:manifest")
    code = run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "full")
    err = capsys.readouterr().err
    assert code == ExitCode.COMMITTED_UNFINISHED == 5
    assert "run full is committed" in err and "nothing committed" not in err
    monkeypatch.delenv(FAIL_ENV_VAR)
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "next") == 0
    assert [m["run_id"] for m in manifests(out)] == ["full", "next"]
    assert len(articles(out)) == 7
    assert manifests(out)[1]["counts"]["skipped_already_ingested"] == 12


def test_disk_full_before_the_commit_point_says_nothing_committed(
    sample_dir, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    monkeypatch.setenv(FAIL_ENV_VAR, "commit:plan")
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == ExitCode.FAILED
    assert "nothing committed" in capsys.readouterr().err
    assert not (out / "_runs").exists() and not (out / "articles").exists()
    monkeypatch.delenv(FAIL_ENV_VAR)
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == 0
    assert len(manifests(out)) == 1 and len(articles(out)) == 7


def test_a_stale_lock_whose_pid_was_reused_is_taken_over(tmp_path):
    record = {
        "owner": "run killed", "lease": "0ld", "host": socket.gethostname(),
        "pid": os.getpid(), "pid_start": "another-boot:1",
    }  # fmt: skip
    (tmp_path / "_lock").write_text(json.dumps(record))
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("no /proc: process start times are unknown")
    with DatasetLock(str(tmp_path), owner="me") as lock:
        assert json.loads((tmp_path / "_lock").read_text())["lease"] == lock.lease


def test_a_live_lock_says_how_to_clear_it_safely(tmp_path):
    with DatasetLock(str(tmp_path), owner="run holder"), pytest.raises(LockedError) as refused:
        DatasetLock(str(tmp_path), owner="me").acquire()
    message = str(refused.value)
    assert f"ps -p {os.getpid()}" in message and "then delete" in message
    assert "taken over automatically once its heartbeat is older than 300 s" in message
