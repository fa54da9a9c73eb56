"""One writer per dataset: live locks refuse a second run, stale locks are recovered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from newsingest.pipeline.lock import DatasetLock, LockedError
from tests.helpers import articles, run_cli


def test_a_second_run_is_refused_while_one_is_active(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    with DatasetLock(str(out), owner="run holding"):
        code = run_cli("--input", str(sample_dir), "--output", str(out))
    assert code == 4
    err = capsys.readouterr().err
    assert "held by run holding" in err and "another run is active" in err
    assert "nothing committed" in err
    assert not (out / "articles").exists()


def test_stale_lock_of_a_dead_process_is_taken_over(sample_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (out / "_lock").write_text(
        json.dumps(
            {
                "owner": "run killed",
                "host": socket.gethostname(),
                "pid": int(dead.stdout),
                "acquired_at": "2026-01-01T00:00:00+00:00",
            }
        )
    )
    assert run_cli("--input", str(sample_dir), "--output", str(out)) == 0
    assert len(articles(out)) == 7
    assert not (out / "_lock").exists()


def test_lock_with_an_old_heartbeat_is_stale(tmp_path):
    path = tmp_path / "_lock"
    path.write_text(json.dumps({"owner": "elsewhere", "host": "other-host", "pid": 1}))
    os.utime(path, (1_000_000, 1_000_000))
    with DatasetLock(str(tmp_path), owner="me", stale_after_s=60, heartbeat_s=1):
        assert json.loads(path.read_text())["owner"] == "me"
    assert not path.exists()


def test_fresh_lock_on_another_host_is_respected(tmp_path):
    (tmp_path / "_lock").write_text(
        json.dumps({"owner": "elsewhere", "host": "other-host", "pid": 1})
    )
    with pytest.raises(LockedError, match="elsewhere"):
        DatasetLock(str(tmp_path), owner="me").acquire()


@pytest.mark.parametrize("content", [b"", b'{"owner": "run x", "host"'], ids=["empty", "torn"])
def test_an_empty_or_torn_lock_is_not_a_live_lock(tmp_path, content):
    """Lock files are linked into place whole, so an empty or torn one (a full disk) is
    garbage: it is taken over instead of refusing runs for five minutes."""
    (tmp_path / "_lock").write_bytes(content)
    with DatasetLock(str(tmp_path), owner="me") as lock:
        assert json.loads((tmp_path / "_lock").read_text())["lease"] == lock.lease
    assert not (tmp_path / "_lock").exists()


def test_losing_the_lock_is_detected_before_commit(tmp_path):
    lock = DatasetLock(str(tmp_path), owner="me", stale_after_s=60, heartbeat_s=1)
    lock.acquire()
    (tmp_path / "_lock").write_text(json.dumps({"owner": "thief", "host": "h", "pid": 1}))
    with pytest.raises(LockedError, match="lost"):
        lock.assert_held()
    lock.release()
    assert (tmp_path / "_lock").exists(), "release must not remove someone else's lock"
