"""Committing a staged run into the dataset, with its accounting and manifest."""

from __future__ import annotations

import datetime as dt
import os

import orjson
from apache_beam.io.filesystems import FileSystems

from pipeline.build import RUN_REPORT
from pipeline.config import RunConfig

__all__ = ["AccountingError", "commit_run", "summarize", "read_json", "write_json"]


class AccountingError(RuntimeError):
    """read != kept + duplicates + quarantined: the run is not committed."""


def read_json(path: str):
    with FileSystems.open(path) as handle:
        return orjson.loads(handle.read())


def write_json(path: str, value) -> None:
    with FileSystems.create(path) as handle:
        handle.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _ensure_parent(path: str) -> None:
    if FileSystems.get_scheme(path) in (None, "file"):
        os.makedirs(os.path.dirname(path), exist_ok=True)


def summarize(report: dict) -> dict:
    """Counts of a staged run report: read, kept, duplicates and quarantine by kind, per date."""
    per_date: dict[str, int] = {}
    duplicates: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    for f in report["files"]:
        if f["table"] == "articles":
            day = f["partition"].split("=", 1)[1]
            per_date[day] = per_date.get(day, 0) + f["rows"]
        target = {"duplicates": duplicates, "quarantine": quarantined}.get(f["table"])
        if target is not None:
            for key, count in f["counts"].items():
                target[key] = target.get(key, 0) + count
    return {
        "read": report["matched"],
        "kept": sum(per_date.values()),
        "duplicates": sum(duplicates.values()),
        "duplicates_by_method": dict(sorted(duplicates.items())),
        "quarantined": sum(quarantined.values()),
        "quarantined_by_reason": dict(sorted(quarantined.items())),
        "per_date": dict(sorted(per_date.items())),
    }


def commit_run(config: RunConfig, timings: dict[str, float]) -> dict:
    """Checks the staged run's accounting, moves its files into place, writes its manifest.

    Raises:
        AccountingError: when read != kept + duplicates + quarantined; the
            staged files are left under ``_staging/<run_id>`` for inspection
            and nothing becomes visible.
    """
    report = read_json(f"{config.staging}/{RUN_REPORT}")
    counts = summarize(report)
    accounted = counts["kept"] + counts["duplicates"] + counts["quarantined"]
    if counts["read"] != accounted:
        raise AccountingError(
            f"run {config.run_id}: read {counts['read']} files but accounted for {accounted} "
            f"(kept {counts['kept']} + duplicates {counts['duplicates']} + quarantined "
            f"{counts['quarantined']}); staged output kept at {config.staging}"
        )
    sources, destinations = [], []
    for f in report["files"]:
        sources.append(f"{config.staging}/{f['path']}")
        destinations.append(f"{config.output}/{f['path']}")
        _ensure_parent(destinations[-1])
    if sources:
        FileSystems.rename(sources, destinations)
    manifest = {
        "run_id": config.run_id,
        "ingested_at": config.ingested_at.isoformat(),
        "committed_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "status": "committed",
        "counts": counts,
        "accounting_ok": True,
        "files": report["files"],
        "settings": config.settings(),
        "timings_s": timings,
    }
    write_json(f"{config.output}/_runs/{config.run_id}.json", manifest)
    FileSystems.delete([config.staging])
    return manifest
