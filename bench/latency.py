"""Latency of ``newsingest watch``: file landing -> row readable through DuckDB.

``python -m bench.latency [--rate 20] [--duration 60] [--burst 5000]`` generates
articles with ``bench.generate_corpus`` (dated over two days, with its usual
share of exact/near/story copies and bad files), starts ``newsingest watch``
as a subprocess, and drops the files into the watched folder: each one is
written under a temporary name (``.name.tmp``) and renamed into place; its
*landing* time is taken right after the rename. A second thread polls the
dataset with DuckDB (``read_parquet(..., hive_partitioning=true)`` over
``articles``, plus ``duplicates`` and ``quarantine`` for the files that end up
there) and notes, per ``source_uri``, the start time of the first query that
returned it. Latency = that time - landing time; it is an upper bound, off by
at most one query period (reported as ``query_s``).

Phases: ``steady`` (``--rate`` files/s for ``--duration`` s), then ``burst``
(``--burst`` files renamed in as fast as possible; ``drain_s`` is the time
from the first rename until the last file is readable).

Writes ``bench/results/latency.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import orjson

from bench.generate_corpus import CorpusConfig, generate_corpus

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results" / "latency.json"


def _corpus(count: int, seed: int, folder: Path) -> list[Path]:
    start = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    generate_corpus(CorpusConfig(count=count, seed=seed, start_date=start, days=2), str(folder))
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("_"))


class _Observer(threading.Thread):
    """Polls the dataset through DuckDB; remembers when each source_uri first appeared."""

    def __init__(self, out: Path):
        super().__init__(daemon=True)
        self._out = out
        self.seen: dict[str, float] = {}
        self.query_s: list[float] = []
        self._halt = threading.Event()

    def run(self) -> None:
        connection = duckdb.connect()
        queries = [
            f"select source_uri from read_parquet('{self._out}/articles/**/*.parquet', "
            "hive_partitioning=true)",
            f"select source_uri from read_parquet('{self._out}/duplicates/*.parquet')",
            f"select source_uri from read_parquet('{self._out}/quarantine/*.parquet')",
        ]
        while not self._halt.is_set():
            started = time.time()
            for query in queries:
                try:
                    rows = connection.execute(query).fetchall()
                except duckdb.Error:
                    continue  # no files of this table yet
                for (uri,) in rows:
                    self.seen.setdefault(uri, started)
            self.query_s.append(time.time() - started)
            self._halt.wait(0.05)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)


def _drop(files: list[Path], inbox: Path, rate: float | None, landed: dict[str, float]) -> None:
    started = time.time()
    for i, source in enumerate(files):
        if rate:
            delay = started + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        name = f"{i:07d}-{source.name}"
        temporary = inbox / f".{name}.tmp"
        temporary.write_bytes(source.read_bytes())
        final = inbox / name
        os.rename(temporary, final)
        landed[str(final)] = time.time()


def _wait_seen(observer: _Observer, uris, timeout_s: float, watcher) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline and watcher.poll() is None:
        if all(u in observer.seen for u in uris):
            return True
        time.sleep(0.1)
    return False


def _stats(landed: dict[str, float], seen: dict[str, float]) -> dict:
    latencies = np.array([seen[u] - t for u, t in landed.items() if u in seen])
    missing = sum(1 for u in landed if u not in seen)
    if not len(latencies):
        return {"files": len(landed), "missing": missing}
    first, last = min(landed.values()), max(seen[u] for u in landed if u in seen)
    return {
        "files": len(landed),
        "missing": missing,
        "p50_s": round(float(np.percentile(latencies, 50)), 3),
        "p95_s": round(float(np.percentile(latencies, 95)), 3),
        "max_s": round(float(latencies.max()), 3),
        "mean_s": round(float(latencies.mean()), 3),
        "throughput_files_per_s": round(len(latencies) / max(last - first, 1e-9), 1),
        "drain_s": round(last - first, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="files per second (20)")
    parser.add_argument("--duration", type=float, default=60.0, help="steady phase, s (60)")
    parser.add_argument("--burst", type=int, default=5000, help="files in the burst (5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--interval", type=float, default=0.25, help="watch --interval (0.25)")
    parser.add_argument("--settle", type=float, default=0.5, help="watch --settle (0.5)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    args = parser.parse_args(argv)

    steady_count = int(args.rate * args.duration)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="newsingest-latency-"))
    inbox, out = work / "inbox", work / "out"
    inbox.mkdir(parents=True, exist_ok=True)
    files = _corpus(steady_count + args.burst, args.seed, work / "corpus")
    steady, burst = files[:steady_count], files[steady_count:]
    load_before = os.getloadavg()

    command = [sys.executable, "-m", "newsingest.pipeline.cli", "watch", "--input", str(inbox)]
    command += ["--output", str(out), "--interval", str(args.interval)]
    command += ["--settle", str(args.settle)]
    log_path = work / "watch.log"
    with open(log_path, "wb") as log:
        watcher = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        while not (out / "_lock").exists():
            time.sleep(0.05)
        time.sleep(0.5)
        observer = _Observer(out)
        observer.start()

        landed_steady: dict[str, float] = {}
        _drop(steady, inbox, args.rate, landed_steady)
        steady_done = _wait_seen(observer, landed_steady, 120, watcher)
        landed_burst: dict[str, float] = {}
        if burst:
            _drop(burst, inbox, None, landed_burst)
            _wait_seen(observer, landed_burst, 600, watcher)
        observer.stop()
        watcher.send_signal(signal.SIGINT)
        exit_code = watcher.wait(timeout=120)
    load_after = os.getloadavg()
    log_lines = log_path.read_text().splitlines()
    batches = sum(1 for line in log_lines if ": run " in line and " files, kept " in line)

    result = {
        "settings": {
            "rate_files_per_s": args.rate,
            "duration_s": args.duration,
            "burst_files": args.burst,
            "watch_interval_s": args.interval,
            "watch_settle_s": args.settle,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
        },
        "steady": {**_stats(landed_steady, observer.seen), "all_seen": steady_done},
        "burst": _stats(landed_burst, observer.seen) if burst else None,
        "query_s": {
            "p50": round(float(np.percentile(observer.query_s, 50)), 3),
            "max": round(float(max(observer.query_s)), 3),
        },
        "watch": {"micro_batches": batches, "exit_code": exit_code},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if exit_code == 0 and steady_done else 1


if __name__ == "__main__":
    sys.exit(main())
