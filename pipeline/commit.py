"""Committing a staged run: accounting, a write-ahead commit plan, roll-forward recovery.

Protocol (``commit_run``):

1. The pipeline has written everything under ``DIR/_staging/<run_id>/``.
2. The driver checks the accounting (read = kept + duplicates + quarantined +
   skipped); a mismatch aborts and nothing becomes visible.
3. It writes ``_staging/<run_id>/_COMMIT.json``: every file move, the index
   settings and the run manifest. Writing this plan is the commit point.
4. It applies the plan: moves data and index files into place (one new file
   per partition and table, each move a rename), writes ``_runs/<run_id>.json``
   last and deletes the staging folder.

``recover`` runs (under the dataset lock) before every run: a staged run with
a plan is rolled forward to completion; one without a plan (a run that died
before its commit point) is deleted. So a crash at any point leaves either
nothing of the run or, after the next start, all of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.dataset import INDEX_SETTINGS, index_settings
from newsingest.pipeline.fsutil import delete_paths, delete_tree, is_local
from newsingest.pipeline.lock import verify_lease
from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.file_selection import escape_glob

__all__ = [
    "AccountingError",
    "CommittedButUnfinished",
    "COMMIT_PLAN",
    "apply_plan",
    "commit_run",
    "read_json",
    "recover",
    "summarize",
    "write_json",
]

COMMIT_PLAN = "_COMMIT.json"
RUN_REPORT = "_written.json"
_LOG = logging.getLogger(__name__)


class AccountingError(RuntimeError):
    """read != kept + duplicates + quarantined + skipped: the run is not committed."""


class CommittedButUnfinished(RuntimeError):
    """The commit point was passed (the plan is durable) but applying it failed.

    The run *is* committed: the next run, ``watch`` or ``compact`` on the output
    finishes applying the plan (``recover``), after which ``newsingest runs`` lists it.
    """

    def __init__(self, run_id: str, output: str, cause: BaseException):
        super().__init__(
            f"run {run_id} is committed (its commit plan is durable) but finishing it failed: "
            f"{type(cause).__name__}: {cause}. Nothing is lost: the next `newsingest run`, "
            f"`watch` or `compact` on {output} completes it"
        )
        self.run_id = run_id


def read_json(path: str):
    with FileSystems.open(path) as handle:
        return orjson.loads(handle.read())


def write_json(path: str, value) -> None:
    """Writes ``value`` as JSON, atomically: readers see the old file or the whole new one.

    Locally through a synced temporary file and ``os.replace``; object stores
    make an object visible only once it is complete.
    """
    data = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    if not is_local(path):
        with FileSystems.create(path) as handle:
            handle.write(data)
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _ensure_parent(path: str) -> None:
    if is_local(path):
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
    ignored = report.get("ignored") or {}
    return {
        "read": report["matched"],
        "ignored": sum(ignored.values()),
        "ignored_by_rule": dict(sorted(ignored.items())),
        "skipped_already_ingested": report.get("skipped", 0),
        "kept": sum(per_date.values()),
        "duplicates": sum(duplicates.values()),
        "duplicates_by_method": dict(sorted(duplicates.items())),
        "quarantined": sum(quarantined.values()),
        "quarantined_by_reason": dict(sorted(quarantined.items())),
        "per_date": dict(sorted(per_date.items())),
    }


def commit_in_pipeline(config: RunConfig) -> str:
    """The pipeline's last step with ``--commit_in_pipeline``: commits the run once.

    Safe to retry: an already committed run is left alone, a half-applied plan is
    finished. Returns the manifest path.
    """
    manifest_path = f"{config.output}/_runs/{config.run_id}.json"
    plan_path = f"{config.staging}/{COMMIT_PLAN}"
    if FileSystems.exists(manifest_path):
        return manifest_path
    if FileSystems.exists(plan_path):
        apply_plan(read_json(plan_path))
    else:
        commit_run(config, {}, None)
    return manifest_path


def commit_run(config: RunConfig, timings: dict[str, float], started: float | None) -> dict:
    """Checks the staged run's accounting, then commits it; returns its manifest.

    ``started`` is the run's ``time.perf_counter()`` start in this process (None
    when committing inside the pipeline): the manifest records the wall time up
    to the commit point.

    When ``config.lease`` is set, the dataset lock must still hold it just before the
    commit point (``verify_lease``), so a writer that lost the output never commits.

    Raises:
        AccountingError: when read != kept + duplicates + quarantined + skipped;
            nothing becomes visible and the staged files are deleted by the next
            run's recovery.
        LeaseLostError: another writer holds the output; nothing was committed.
        CommittedButUnfinished: the commit point was passed but applying the plan
            failed (e.g. a full disk): the run is committed and recovery finishes it.
    """
    report = read_json(f"{config.staging}/{RUN_REPORT}")
    counts = summarize(report)
    accounted = (
        counts["kept"]
        + counts["duplicates"]
        + counts["quarantined"]
        + counts["skipped_already_ingested"]
    )
    if counts["read"] != accounted:
        raise AccountingError(
            f"run {config.run_id}: read {counts['read']} files but accounted for {accounted} "
            f"(kept {counts['kept']} + duplicates {counts['duplicates']} + quarantined "
            f"{counts['quarantined']} + skipped {counts['skipped_already_ingested']}); "
            "nothing was committed"
        )
    manifest = {
        "run_id": config.run_id,
        "ingested_at": config.ingested_at.isoformat(),
        "committed_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "status": "committed",
        "counts": counts,
        "accounting_ok": True,
        "files": list(report["files"]),
        "settings": config.settings(),
        "timings_s": timings
        if started is None
        else {**timings, "wall": round(time.perf_counter() - started, 3)},
    }
    plan = {
        "run_id": config.run_id,
        "moves": [
            [f"{config.staging}/{f['path']}", f"{config.output}/{f['path']}"]
            for f in report["files"]
        ],
        "write_if_absent": {f"{config.output}/{INDEX_SETTINGS}": index_settings(config.dedup)},
        "manifest_path": f"{config.output}/_runs/{config.run_id}.json",
        "manifest": manifest,
        "staging": config.staging,
    }
    crash_point("commit:plan")
    if config.lease is not None:
        verify_lease(config.output, config.lease)
    write_json(f"{config.staging}/{COMMIT_PLAN}", plan)
    try:
        crash_point("commit:planned")
        apply_plan(plan)
    except Exception as error:
        raise CommittedButUnfinished(config.run_id, config.output, error) from error
    return manifest


def apply_plan(plan: dict) -> None:
    """Applies (or finishes applying) a commit plan; safe to repeat after a crash.

    A plan is a dict: ``moves`` ([src, dst] renames), optional ``deletes``
    (files made obsolete, removed after every move), optional
    ``write_if_absent`` ({path: JSON value}), ``manifest_path`` and
    ``manifest`` (written last) and ``staging`` (deleted at the end).
    """
    moves = [(src, dst) for src, dst in plan["moves"] if FileSystems.exists(src)]
    for index, (src, dst) in enumerate(moves):
        _ensure_parent(dst)
        FileSystems.rename([src], [dst])
        if index == len(moves) // 2:
            crash_point("commit:moving")
    missing = [dst for src, dst in plan["moves"] if not FileSystems.exists(dst)]
    if missing:
        raise RuntimeError(f"commit of run {plan['run_id']} lost files: {missing[:5]}")
    obsolete = [path for path in plan.get("deletes", []) if FileSystems.exists(path)]
    if obsolete:
        delete_paths(obsolete)
    for path, value in plan.get("write_if_absent", {}).items():
        if not FileSystems.exists(path):
            write_json(path, value)
    crash_point("commit:manifest")
    write_json(plan["manifest_path"], plan["manifest"])
    delete_tree(plan["staging"])


def _staged_runs(root: str) -> list[str]:
    staging = f"{root}/_staging"
    if is_local(staging):
        if not os.path.isdir(staging):
            return []
        return sorted(f"{staging}/{name}" for name in os.listdir(staging))
    runs = set()
    for result in FileSystems.match([f"{escape_glob(staging)}/**"]):
        for meta in result.metadata_list:
            relative = meta.path[len(staging) + 1 :]
            runs.add(f"{staging}/{relative.split('/', 1)[0]}")
    return sorted(runs)


def _read_plan(path: str) -> dict | None:
    """The commit plan at ``path``, or None when absent or unreadable (never written whole:
    plans are written atomically, so a torn one means the commit point was not reached)."""
    if not FileSystems.exists(path):
        return None
    try:
        return read_json(path)
    except orjson.JSONDecodeError:
        return None


def recover(root: str) -> list[str]:
    """Finishes committed-but-unfinished runs and deletes uncommitted ones.

    Call only while holding the dataset lock. Returns one message per staged
    run it dealt with.
    """
    messages = []
    for staged in _staged_runs(root):
        plan = _read_plan(f"{staged}/{COMMIT_PLAN}")
        if plan is not None:
            apply_plan(plan)
            delete_tree(staged)
            messages.append(f"recovered run {plan['run_id']}: commit completed")
        else:
            delete_tree(staged)
            messages.append(f"discarded uncommitted run {staged.rsplit('/', 1)[-1]}")
    for message in messages:
        _LOG.warning(message)
    return messages
