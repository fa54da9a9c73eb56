"""newsingest watch: files dropped over time give the dataset of one batch run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.microbatch import load_seen
from newsingest.pipeline.watch import Watcher, WatchSettings
from newsingest.transforms.core.crashpoints import ENV_VAR
from newsingest.transforms.core.settle import Observation, observe
from newsingest.transforms.live_index import LiveIndex
from tests.helpers import articles, by_name, dataset_snapshot, manifests, run_cli, table

SETTLE = 0.4
TRAM = (
    "Tram drivers in Linz will strike for two hours on Friday morning over pay, the transport "
    "union vida said on Tuesday, advising commuters to plan other routes. The union said talks "
    "with the city transport company Linz AG had failed after the company offered a rise of 2.1 "
    "percent, well below inflation, and that further stoppages could follow in April if no "
    "agreement was reached. Linz AG said buses would run to the usual timetable and that it "
    "regretted the union's decision to strike during school holidays, when many families travel."
)


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)


def _land(folder: Path, inbox: Path) -> None:
    """Moves a prepared folder into the inbox in one rename: its files arrive together.

    (Files landing one by one may be picked up in separate micro-batches; then a
    later file that ranks before an earlier one falls under the append-only rule.)
    """
    os.rename(folder, inbox / folder.name)


def _wave_one(sample_dir: Path, inbox: Path) -> int:
    staged = inbox.parent / "staged" / "w1"
    shutil.copytree(sample_dir, staged)
    _land(staged, inbox)
    return sum(1 for p in (inbox / "w1").rglob("*") if p.is_file())


def _wave_two(sample_dir: Path, inbox: Path) -> int:
    """Copies of earlier files (exact, of a removed article, near) and a same-batch cluster."""
    original = (sample_dir / "2024-03/danube-port-original.txt").read_text()
    rewrite = (sample_dir / "2024-03/danube-port-rewrite.txt").read_text()
    library = (sample_dir / "2024-03/library-reopens.txt").read_text()
    folder = inbox.parent / "staged" / "w2"
    _write(folder / "original-copy.txt", original.replace("2024-03-27", "2024-03-30", 1))
    _write(
        folder / "rewrite-copy.txt",
        rewrite.replace("Thu, 28 Mar 2024 08:10:00", "Fri, 29 Mar 2024 10:00:00", 1),
    )
    _write(
        folder / "library-near.txt",
        library.replace("2024-03-28T09:15:00Z", "2024-03-29T07:00:00Z").replace(
            "14 million euros", "14 million euros, paid by the city and the state"
        ),
    )
    _write(folder / "tram.txt", f" date 2024-04-02 {TRAM}\n")
    _write(folder / "tram-copy.txt", f" date 2024-04-03 {TRAM}\n")
    _write(folder / "tram-near.txt", f" date 2024-04-03 {TRAM.replace('Tuesday', 'Monday')}\n")
    _write(folder / "tram-copy.txt.gz", gzip.compress(f" date 2024-04-04 {TRAM}\n".encode()))
    _write(folder / "broken.bin", bytes(range(256)) * 8)
    _write(folder / ".incoming.tmp", "never read: a temporary name")
    _land(folder, inbox)
    return 8


def _write_slowly(path: Path, pieces: list[str], pause_s: float) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for piece in pieces:
            handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
            time.sleep(pause_s)


SLOW_PIECES = [
    " date 2024-04-05 The Enns terminal reopened on Friday. ",
    "Barge loadings of wheat resumed in the morning, ",
    "the port operator Ennshafen said, ",
    "after the Danube fell below the 7.2 metre flood mark. ",
    "Shipments to Constanta will restart next week.\n",
]


def _committed_reads(out: Path) -> int:
    return sum(m["counts"]["read"] for m in manifests(out)) if (out / "_runs").is_dir() else 0


def _wait_for(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the watcher")
        time.sleep(0.05)


def _base(out: Path) -> RunConfig:
    return RunConfig(
        inputs=("unused",),
        output=str(out),
        run_id="base",
        ingested_at=dt.datetime.now(dt.timezone.utc),
    )


class _ThreadWatcher:
    def __init__(self, inbox: Path, out: Path):
        settings = WatchSettings(interval_s=0.05, settle_s=SETTLE)
        self.watcher = Watcher(str(inbox), _base(out), settings)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.watcher.run(self.stop)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            self.error = error

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)
        if self.error:
            raise self.error


@pytest.mark.parametrize(
    ("previous", "size", "mtime", "now", "settled"),
    [
        (None, 10, 100.0, 101.5, True),  # mtime already old enough
        (None, 10, 100.0, 100.2, False),  # just written
        (Observation(10, 100.0, 100.1), 10, 100.0, 100.3, False),
        (Observation(10, 100.0, 99.0), 10, 200.0, 100.5, False),  # changed: clock restarts
        (Observation(10, 500.0, 99.0), 10, 500.0, 100.2, True),  # mtime in the future
    ],
)
def test_settle_rule(previous, size, mtime, now, settled):
    _, ok = observe(previous, size, mtime, now, 1.0)
    assert ok is settled


def test_files_dropped_over_time_equal_one_batch_run(sample_dir, tmp_path):
    inbox, out, batch = tmp_path / "inbox", tmp_path / "out", tmp_path / "batch"
    inbox.mkdir()
    with _ThreadWatcher(inbox, out) as running:
        count = _wave_one(sample_dir, inbox)
        _wait_for(lambda: _committed_reads(out) == count)
        count += _wave_two(sample_dir, inbox)
        _wait_for(lambda: _committed_reads(out) == count)
        _write(inbox / "w3" / "empty-again.txt", "\n")  # a batch of nothing but a bad file
        count += 1
        _wait_for(lambda: _committed_reads(out) == count)
        slow = inbox / "w3" / "slow.txt"
        slow.parent.mkdir(exist_ok=True)
        _write_slowly(slow, SLOW_PIECES, pause_s=SETTLE / 2)
        count += 1
        _wait_for(lambda: _committed_reads(out) == count)
    assert running.watcher.batches >= 3

    assert run_cli("--input", str(inbox), "--output", str(batch)) == 0
    assert dataset_snapshot(out) == dataset_snapshot(batch)

    kept = by_name(articles(out))
    assert kept["slow.txt"]["text"].endswith("Shipments to Constanta will restart next week.")
    duplicates = by_name(table(out, "duplicates"))
    original = kept["danube-port-original.txt"]["article_id"]
    assert duplicates["original-copy.txt"]["method"] == "exact"
    assert duplicates["original-copy.txt"]["duplicate_of"] == original
    # An identical copy of a removed article follows it to its canonical.
    assert duplicates["rewrite-copy.txt"]["method"] == "story"
    assert duplicates["rewrite-copy.txt"]["duplicate_of"] == original
    assert duplicates["library-near.txt"]["method"] == "near"
    assert {duplicates[n]["method"] for n in ("tram-copy.txt", "tram-copy.txt.gz")} == {"exact"}
    assert duplicates["tram-near.txt"]["method"] == "near"
    assert {r["reason"] for r in table(out, "quarantine")} >= {"binary", "empty"}
    # Every input file is listed once under _watch/, and nothing was read twice.
    assert len(load_seen(str(out))) == count
    assert sum(m["counts"]["skipped_already_ingested"] for m in manifests(out)) == 0


def _index_rows(index: LiveIndex) -> list:
    rows = [
        (doc, bool(s.kept[i]), s.decisions[i], s.keys[i].tolist())
        for s in index._segments
        for i, doc in enumerate(s.doc_keys.tolist())
    ]
    return sorted(rows, key=lambda row: row[0])


def test_live_index_reloads_what_it_was_extended_with(sample_dir, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    with _ThreadWatcher(inbox, out) as running:
        count = _wave_one(sample_dir, inbox)
        _wait_for(lambda: _committed_reads(out) == count)
        count += _wave_two(sample_dir, inbox)
        _wait_for(lambda: _committed_reads(out) == count)
    live = running.watcher._index
    loaded = LiveIndex.load(str(out), dataclasses.replace(_base(out)).dedup)
    assert (len(loaded), loaded.kept) == (len(live), live.kept)
    assert _index_rows(loaded) == _index_rows(live)
    assert loaded._quarantined == live._quarantined


def _watch_process(inbox: Path, out: Path, crash_at: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if crash_at:
        env[ENV_VAR] = crash_at
    command = [sys.executable, "-m", "newsingest.pipeline.cli", "watch", "--input", str(inbox)]
    command += ["--output", str(out), "--interval", "0.05", "--settle", str(SETTLE)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen, signum: int) -> int:
    process.send_signal(signum)
    return process.wait(timeout=60)


def test_restarts_after_sigterm_and_sigkill_lose_and_double_nothing(sample_dir, tmp_path):
    inbox, out, batch = tmp_path / "inbox", tmp_path / "out", tmp_path / "batch"
    inbox.mkdir()
    first = _watch_process(inbox, out)
    count = _wave_one(sample_dir, inbox)
    _wait_for(lambda: _committed_reads(out) == count)
    count += _wave_two(sample_dir, inbox)
    time.sleep(SETTLE)  # SIGTERM while wave two is being picked up
    assert _stop(first, signal.SIGTERM) == 0, first.stdout.read().decode()

    # Killed while writing a batch (before its commit point): the batch is discarded.
    crashed = _watch_process(inbox, out, crash_at="write")
    tram = (inbox / "w2" / "tram.txt").read_text()
    _write(inbox / "w3" / "late-copy.txt", tram.replace("2024-04-02", "2024-04-06"))
    count += 1
    assert crashed.wait(timeout=60) == -signal.SIGKILL
    # Killed right after writing its commit plan: the next start rolls it forward.
    crashed = _watch_process(inbox, out, crash_at="commit:planned")
    assert crashed.wait(timeout=60) == -signal.SIGKILL
    assert list((out / "_staging").iterdir())

    last = _watch_process(inbox, out)
    _write(inbox / "w3" / "fresh.txt", " date 2024-04-07 Snow closed the Pyhrn pass on Sunday.\n")
    count += 1
    _wait_for(lambda: _committed_reads(out) == count)
    assert _stop(last, signal.SIGINT) == 0
    log = last.stdout.read().decode()
    assert "commit completed" in log or "recovered" in log

    assert not (out / "_lock").exists()
    assert run_cli("--input", str(inbox), "--output", str(batch)) == 0
    assert dataset_snapshot(out) == dataset_snapshot(batch)
    assert len(load_seen(str(out))) == count


def test_an_input_that_breaks_ingestion_is_isolated_then_quarantined(tmp_path, monkeypatch):
    import newsingest.pipeline.microbatch as microbatch

    real_normalize = microbatch.normalize_batch

    def normalize_failing_on_poison(batch):
        if any(raw.uri.endswith("poison.txt") for raw in batch.articles):
            raise RuntimeError("simulated internal defect")
        return real_normalize(batch)

    monkeypatch.setattr(microbatch, "normalize_batch", normalize_failing_on_poison)
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for name, words in (("a.txt", "harbour cranes"), ("poison.txt", "x"), ("b.txt", "tram")):
        _write(inbox / name, f" date 2024-03-28 A short note about {words} in Linz today.\n")
    with _ThreadWatcher(inbox, out):
        _wait_for(lambda: _committed_reads(out) == 3)
    assert set(by_name(articles(out))) == {"a.txt", "b.txt"}
    [poison] = table(out, "quarantine")
    assert poison["reason"] == "internal_error"
    assert "simulated internal defect" in poison["detail"]
    assert poison["raw_content"] == (inbox / "poison.txt").read_bytes()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
def test_a_hostile_inbox_neither_hangs_nor_blocks_the_watcher(tmp_path):
    """A FIFO, a link to /dev/zero and a name that is not UTF-8 are committed (quarantine
    or kept) like any input; the files after them are ingested and SIGTERM still stops
    the watcher (a FIFO that is opened blocks forever and swallows signals)."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    with open(os.path.join(os.fsencode(str(inbox)), b"caf\xe9.txt"), "wb") as handle:
        handle.write(TRAM.encode())
    watcher = _watch_process(inbox, out)
    try:
        _wait_for(lambda: _committed_reads(out) == 3)
        (inbox / "later.txt").write_text(" date 2024-03-28 Ferries to Helsinki resume today.\n")
        _wait_for(lambda: _committed_reads(out) == 4)
        assert _stop(watcher, signal.SIGTERM) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
    reasons = {Path(r["source_uri"]).name: r["reason"] for r in table(out, "quarantine")}
    assert reasons == {"pipe.txt": "not_a_regular_file", "zero.txt": "symlink_not_followed"}
    kept = {r["source_uri"] for r in articles(out)}
    assert kept == {f"file://{inbox}/caf%E9.txt", f"{inbox}/later.txt"}
