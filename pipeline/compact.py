"""``newsingest compact``: merge each folder's small Parquet files into one, atomically.

Every table folder (each ``articles/date=...`` partition, ``duplicates``,
``quarantine`` and ``_index``) holding at least ``--min-files`` files is
rewritten as one sorted file (split above ``--max-rows-per-file`` rows) with
exactly the same rows. On a local filesystem each folder is swapped in one
atomic ``renameat2(RENAME_EXCHANGE)``: a reader sees either all the old files
or the merged file. Elsewhere the swap follows the run-commit protocol (a
write-ahead plan: merged files moved in, then the old ones deleted; a reader
may briefly see both). Runs hold the same lock, so compaction never overlaps
an ingestion.
"""

from __future__ import annotations

import argparse
import datetime as dt
import posixpath
import sys
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.commit import COMMIT_PLAN, apply_plan, recover, write_json
from newsingest.pipeline.dataset import NotADatasetError, require_dataset
from newsingest.pipeline.exitcodes import ExitCode, exit_code_for
from newsingest.pipeline.fsutil import (
    ExchangeUnsupported,
    delete_paths,
    delete_tree,
    exchange_paths,
    is_local,
)
from newsingest.pipeline.lock import DatasetLock, LockedError, verify_lease
from newsingest.schemas import ARTICLES, DUPLICATES, INDEX, QUARANTINE
from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.file_selection import escape_glob
from newsingest.transforms.write import INDEX_ROW_GROUP_ROWS, ROW_GROUP_ROWS, write_parquet

__all__ = ["compact", "main"]

_TABLES = {
    "articles/*": (ARTICLES, "article_id"),
    "duplicates": (DUPLICATES, "article_id"),
    "quarantine": (QUARANTINE, "source_uri"),
    "_index": (INDEX, "article_id"),
}


def _folders(root: str) -> dict[str, tuple[list[str], tuple]]:
    found: dict[str, list[str]] = defaultdict(list)
    kinds = {}
    for pattern, kind in _TABLES.items():
        for result in FileSystems.match([f"{escape_glob(root)}/{pattern}/*.parquet"]):
            for meta in result.metadata_list:
                folder = posixpath.dirname(meta.path)
                found[folder].append(meta.path)
                kinds[folder] = kind
    return {folder: (sorted(paths), kinds[folder]) for folder, paths in sorted(found.items())}


def _read(path: str) -> pa.Table:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return pq.read_table(handle)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``: columns added to the schema since it was written are null."""
    for field in schema:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return table.select(schema.names).cast(schema)


def _other_files(folder: str) -> list[str]:
    return sorted(
        meta.path
        for result in FileSystems.match([f"{escape_glob(folder)}/*"])
        for meta in result.metadata_list
        if not meta.path.endswith(".parquet")
    )


def _merge(paths: list[str], kind: tuple, target: str, stamp: str, max_rows: int) -> list[str]:
    schema, sort_key = kind
    table = pa.concat_tables([_conform(_read(p), schema.arrow) for p in paths])
    table = table.sort_by(sort_key).replace_schema_metadata(schema.arrow.metadata)
    group_rows = INDEX_ROW_GROUP_ROWS if schema is INDEX else ROW_GROUP_ROWS
    written = []
    for index, start in enumerate(range(0, max(table.num_rows, 1), max_rows)):
        path = f"{target}/part-{stamp}-{index:05d}.parquet"
        write_parquet(path, table.slice(start, max_rows), group_rows)
        written.append(path)
    merged_rows = sum(pq.ParquetFile(_open_local(p)).metadata.num_rows for p in written)
    if merged_rows != table.num_rows:
        raise RuntimeError(f"compaction of {target} wrote {merged_rows} of {table.num_rows} rows")
    return written


def _open_local(path: str):
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def compact(root: str, min_files: int = 2, max_rows_per_file: int = 1_000_000) -> dict:
    """Compacts ``root`` under its lock; returns ``{folder: [files before, files after]}``.

    Raises NotADatasetError (writing nothing, not even the lock) when ``root`` is not a
    dataset, and LeaseLostError when another writer took the output over: ownership is
    checked just before every folder swap and before the compaction record.
    """
    root = root.rstrip("/")
    require_dataset(root)
    now = dt.datetime.now(dt.timezone.utc)
    stamp = f"compact-{now:%Y%m%dT%H%M%S%fZ}"
    staging = f"{root}/_staging/{stamp}"
    summary: dict[str, list[int]] = {}
    with DatasetLock(root, owner=stamp) as lock:
        recover(root)
        for folder, (paths, kind) in _folders(root).items():
            if len(paths) < min_files:
                continue
            relative = folder[len(root) + 1 :]
            target = f"{staging}/{relative}"
            merged = _merge(paths, kind, target, stamp, max_rows_per_file)
            crash_point("compact:merged")
            verify_lease(root, lock.lease)
            _swap(folder, target, paths, merged, staging, stamp)
            summary[relative] = [len(paths), len(merged)]
        verify_lease(root, lock.lease)
        write_json(
            f"{root}/_compactions/{stamp}.json",
            {"compaction": stamp, "at": now.isoformat(), "folders": summary},
        )
        delete_tree(staging)
    return summary


def _swap(folder, target, old_paths, merged, staging, stamp) -> None:
    if is_local(folder):
        for other in _other_files(folder):
            with (
                _open_local(other) as source,
                FileSystems.create(f"{target}/{posixpath.basename(other)}") as copy,
            ):
                copy.write(source.read())
        try:
            exchange_paths(target, folder)
        except ExchangeUnsupported:
            pass
        else:
            delete_tree(target)
            return
    plan = {
        "run_id": stamp,
        "moves": [[path, f"{folder}/{posixpath.basename(path)}"] for path in merged],
        "deletes": old_paths,
        "manifest_path": f"{staging}/_done-{posixpath.basename(folder)}.json",
        "manifest": {"folder": folder},
        "staging": target,
    }
    write_json(f"{staging}/{COMMIT_PLAN}", plan)
    apply_plan(plan)
    delete_paths([f"{staging}/{COMMIT_PLAN}"])


def main(argv: list[str]) -> int:
    """``newsingest compact DIR``."""
    parser = argparse.ArgumentParser(
        prog="newsingest compact",
        description="Merge the small Parquet files of a dataset, one folder at a time, "
        "keeping exactly the same rows. Holds the dataset lock.",
    )
    parser.add_argument("output", help="dataset root")
    parser.add_argument(
        "--min-files", type=int, default=2, help="compact folders with at least this many files"
    )
    parser.add_argument(
        "--max-rows-per-file", type=int, default=1_000_000, help="split merged files above this"
    )
    args = parser.parse_args(argv)
    if args.min_files < 2 or args.max_rows_per_file < 1:
        parser.error("--min-files must be >= 2 and --max-rows-per-file >= 1")
    try:
        summary = compact(args.output, args.min_files, args.max_rows_per_file)
    except NotADatasetError as error:
        print(f"newsingest compact: error: {error}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    except (LockedError, OSError, RuntimeError) as error:
        code = exit_code_for(error)
        print(f"newsingest compact: failed: {error}", file=sys.stderr)
        return code
    if not summary:
        print("nothing to compact")
    for folder, (before, after) in summary.items():
        print(f"{folder}: {before} files -> {after}")
    return 0
