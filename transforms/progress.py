"""Progress lines on stderr for long local runs (files read, articles, docs/s).

Each worker process keeps its own counts and prints at most one line every
``interval`` seconds; with Beam's in-process runner that is the whole run. On
distributed runners the runner's own UI shows progress and these lines land in
worker logs. Printing never affects results.

When the run has committed, :func:`finish` prints one last line with the final
counts taken from the run's manifest (so it is right on every runner, whatever
the workers printed): the progress always ends at the final count.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass

import orjson

__all__ = ["ProgressSettings", "announce_slice", "finish", "report", "report_total"]


@dataclass(frozen=True)
class ProgressSettings:
    """Whether and how to print progress: ``log_format`` is ``text`` or ``json``."""

    enabled: bool = True
    log_format: str = "text"
    interval_s: float = 2.0


_LOCK = threading.Lock()
_STATE: dict = {"total": 0, "counts": {}, "started": None, "last": 0.0}
_STAGES = ("read", "normalized", "signed", "written")


def report_total(settings: ProgressSettings | None, files: int) -> None:
    """Records how many files the run will read."""
    if settings is None or not settings.enabled:
        return
    with _LOCK:
        _STATE["total"] += files
        _STATE["started"] = _STATE["started"] or time.monotonic()


def report(settings: ProgressSettings | None, stage: str, count: int) -> None:
    """Adds ``count`` items to ``stage`` and prints a line if one is due."""
    if settings is None or not settings.enabled:
        return
    with _LOCK:
        now = time.monotonic()
        _STATE["started"] = _STATE["started"] or now
        counts = _STATE["counts"]
        counts[stage] = counts.get(stage, 0) + count
        if now - _STATE["last"] < settings.interval_s:
            return
        _STATE["last"] = now
        elapsed = now - _STATE["started"]
        line = _format(settings.log_format, dict(counts), _STATE["total"], elapsed)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def announce_slice(
    settings: ProgressSettings | None, number: int, slices: int, files: int, run_id: str
) -> None:
    """Prints that slice ``number`` of ``slices`` (``files`` files, run ``run_id``) starts."""
    if settings is None or not settings.enabled:
        return
    if settings.log_format == "json":
        event = {"event": "slice", "slice": number, "slices": slices, "files": files}
        line = orjson.dumps(event | {"run_id": run_id}).decode()
    else:
        line = f"newsingest: slice {number}/{slices}: {files:,} files as run {run_id}"
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _format(log_format: str, counts: dict, total: int, elapsed: float) -> str:
    rate = counts.get("read", 0) / elapsed if elapsed > 0 else 0.0
    if log_format == "json":
        event = {"event": "progress", "pid": os.getpid(), "total_files": total, **counts}
        event |= {"docs_per_s": round(rate, 1), "elapsed_s": round(elapsed, 1)}
        return orjson.dumps(event).decode()
    parts = [f"read {counts.get('read', 0):,}" + (f"/{total:,}" if total else "") + " files"]
    parts += [f"{stage} {counts[stage]:,}" for stage in _STAGES[1:] if stage in counts]
    return f"newsingest: {' | '.join(parts)} | {rate:,.0f} docs/s | {elapsed:.1f} s"


def finish(
    settings: ProgressSettings | None,
    files: int,
    counts: dict,
    elapsed: float,
) -> None:
    """Prints the final progress line: files and records read and what became of them.

    ``counts`` are a run manifest's counts (``read``, ``kept``, ``duplicates``,
    ``quarantined``, ``skipped_already_ingested``); ``files`` the input files read.
    """
    if settings is None or not settings.enabled:
        return
    records = counts["read"]
    rate = records / elapsed if elapsed > 0 else 0.0
    outcomes = {
        "kept": counts["kept"],
        "duplicates": counts["duplicates"],
        "quarantined": counts["quarantined"],
        "skipped": counts["skipped_already_ingested"],
    }
    if settings.log_format == "json":
        event = {"event": "progress", "final": True, "pid": os.getpid(), "total_files": files}
        event |= {"read": files, "records": records, **outcomes}
        event |= {"docs_per_s": round(rate, 1), "elapsed_s": round(elapsed, 1)}
        line = orjson.dumps(event).decode()
    else:
        parts = [f"read {files:,}/{files:,} files ({records:,} records)"]
        parts += [f"{name} {value:,}" for name, value in outcomes.items()]
        line = f"newsingest: {' | '.join(parts)} | {rate:,.0f} docs/s | {elapsed:.1f} s | done"
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
