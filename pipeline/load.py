"""``newsingest load duckdb``: load a dataset's committed runs into DuckDB, incrementally.

Guarantees:
  * Only committed runs (``_runs/<run_id>.json`` with ``status == "committed"``) that are
    not yet in the database's ``newsingest_loads`` table are inserted.
  * Rows are selected by their ``run_id`` column, never by file name, so a compaction that
    rewrote several runs into one file does not change what is loaded.
  * One transaction per load: the new runs' articles, duplicates, quarantine rows and
    bookkeeping rows all become visible together, or nothing does.
  * Before committing, the rows per run are checked against the run manifests' counts
    (and the Hive ``date`` folder against ``published_date``); a mismatch rolls back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.dataset import NotADatasetError
from newsingest.pipeline.exitcodes import ExitCode
from newsingest.pipeline.runs import list_runs
from newsingest.schemas import ARTICLES, DUPLICATES, QUARANTINE, TableSchema
from newsingest.transforms.core.file_selection import escape_glob

__all__ = [
    "DatasetNotFoundError",
    "LoadError",
    "LoadResult",
    "RunLoad",
    "committed_runs",
    "load_duckdb",
    "main",
]

LOADS_TABLE = "newsingest_loads"


@dataclass(frozen=True)
class _Table:
    """A dataset table as loaded into the warehouse."""

    schema: TableSchema
    pattern: str  # glob under the dataset root
    hive: bool
    manifest_count: str  # key of the manifest's counts that must equal its rows
    excluded: frozenset[str] = frozenset()


TABLES: tuple[_Table, ...] = (
    _Table(ARTICLES, "articles/**/*.parquet", hive=True, manifest_count="kept"),
    _Table(DUPLICATES, "duplicates/**/*.parquet", hive=False, manifest_count="duplicates"),
    _Table(
        QUARANTINE,
        "quarantine/**/*.parquet",
        hive=False,
        manifest_count="quarantined",
        excluded=frozenset({"raw_content"}),
    ),
)


class DatasetNotFoundError(NotADatasetError):
    """The output directory is missing or has no committed run manifests."""


class LoadError(RuntimeError):
    """The dataset's rows disagree with its manifests; nothing was loaded."""


@dataclass(frozen=True)
class RunLoad:
    """Rows of one run inserted by a load."""

    run_id: str
    rows: dict[str, int]


@dataclass(frozen=True)
class LoadResult:
    """What one ``load_duckdb`` call did."""

    loaded: list[RunLoad] = field(default_factory=list)
    already_loaded: int = 0
    skipped: list[str] = field(default_factory=list)  # manifests not committed


def _duckdb_type(arrow: pa.DataType) -> str:
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "VARCHAR"
    if pa.types.is_date32(arrow):
        return "DATE"
    if pa.types.is_timestamp(arrow):
        return "TIMESTAMPTZ" if arrow.tz else "TIMESTAMP"
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return "BLOB"
    simple = {
        pa.float32(): "FLOAT",
        pa.float64(): "DOUBLE",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.bool_(): "BOOLEAN",
    }
    if arrow in simple:
        return simple[arrow]
    raise ValueError(f"no DuckDB type for Arrow type {arrow}")


def _columns(table: _Table) -> list[pa.Field]:
    return [f for f in table.schema.arrow if f.name not in table.excluded]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Creates missing tables from the declared schemas; adds columns added since."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (run_id VARCHAR PRIMARY KEY, "
        "loaded_at TIMESTAMPTZ NOT NULL, articles BIGINT NOT NULL, duplicates BIGINT NOT NULL, "
        "quarantine BIGINT NOT NULL)"
    )
    for table in TABLES:
        name = table.schema.name
        columns = ", ".join(
            f"{_quote(f.name)} {_duckdb_type(f.type)}{'' if f.nullable else ' NOT NULL'}"
            for f in _columns(table)
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {_quote(name)} ({columns})")
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
            ).fetchall()
        }
        for f in _columns(table):
            if f.name not in present:  # schema evolution: new nullable columns at the end
                con.execute(
                    f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(f.name)} {_duckdb_type(f.type)}"
                )


def committed_runs(output: str) -> tuple[list[dict], list[str]]:
    """(committed manifests sorted by commit time, ids of other manifests) of a dataset.

    Raises:
        DatasetNotFoundError: when ``output`` does not exist or has no run manifests.
    """
    if not FileSystems.exists(output):
        raise DatasetNotFoundError(f"dataset {output!r} does not exist")
    manifests = list_runs(output)
    if not manifests:
        raise DatasetNotFoundError(
            f"{output!r} is not a newsingest dataset: no run manifests under _runs/ "
            "(write one with `newsingest run --output ...`)"
        )
    committed, other = [], []
    for manifest in manifests:
        if manifest.get("status") == "committed" and manifest.get("run_id"):
            committed.append(manifest)
        else:
            other.append(str(manifest.get("run_id")))
    return committed, other


def _source(con: duckdb.DuckDBPyConnection, output: str, table: _Table) -> tuple[str, list]:
    """``read_parquet(...)`` over the table's files with its parameters, or ('', []) if none."""
    pattern = f"{escape_glob(output)}/{table.pattern}"
    [(count,)] = con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchall()
    if not count:
        return "", []
    hive = "true" if table.hive else "false"
    return f"read_parquet(?, hive_partitioning={hive}, union_by_name=true)", [pattern]


def _insert(con: duckdb.DuckDBPyConnection, output: str, table: _Table, run_ids: list[str]) -> None:
    source, params = _source(con, output, table)
    if not source:
        return
    available = {
        row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}", params).fetchall()
    }
    names = [_quote(f.name) for f in _columns(table) if f.name in available]
    con.execute(
        f"INSERT INTO {_quote(table.schema.name)} BY NAME SELECT {', '.join(names)} "
        f"FROM {source} WHERE list_contains(?, run_id)",
        [*params, run_ids],
    )


def _verify(
    con: duckdb.DuckDBPyConnection, output: str, runs: list[dict], rows: dict[str, dict[str, int]]
) -> None:
    problems = []
    for manifest in runs:
        run_id = manifest["run_id"]
        for table in TABLES:
            expected = manifest["counts"][table.manifest_count]
            got = rows[run_id][table.schema.name]
            if got != expected:
                problems.append(
                    f"run {run_id}: manifest counts {table.manifest_count}={expected} but "
                    f"{table.schema.name} has {got} rows with that run_id"
                )
    source, params = _source(con, output, TABLES[0])
    if source:
        [(misplaced,)] = con.execute(
            f"SELECT count(*) FROM {source} WHERE list_contains(?, run_id) "
            "AND date IS DISTINCT FROM published_date",
            [*params, [m["run_id"] for m in runs]],
        ).fetchall()
        if misplaced:
            problems.append(f"{misplaced} articles sit in a date= folder other than their date")
    if problems:
        raise LoadError(
            "the dataset disagrees with its manifests (a compaction or run in progress?); "
            "nothing was loaded:\n  " + "\n  ".join(problems)
        )


def load_duckdb(output: str, database: str, verify: bool = True) -> LoadResult:
    """Inserts the dataset's committed runs not yet in ``database``, in one transaction.

    Args:
        output: the dataset root (``newsingest run --output``).
        database: DuckDB database file; created when missing.
        verify: check each run's rows against its manifest before committing.

    Raises:
        DatasetNotFoundError: no dataset at ``output``.
        LoadError: rows disagree with manifests (rolled back).
    """
    output = output.rstrip("/")
    manifests, other = committed_runs(output)
    con = duckdb.connect(database)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            _ensure_tables(con)
            loaded = {r[0] for r in con.execute(f"SELECT run_id FROM {LOADS_TABLE}").fetchall()}
            pending = [m for m in manifests if m["run_id"] not in loaded]
            if not pending:
                con.execute("COMMIT")
                return LoadResult(already_loaded=len(manifests), skipped=other)
            run_ids = [m["run_id"] for m in pending]
            for table in TABLES:
                _insert(con, output, table, run_ids)
            rows = {run_id: {t.schema.name: 0 for t in TABLES} for run_id in run_ids}
            for table in TABLES:
                for run_id, count in con.execute(
                    f"SELECT run_id, count(*) FROM {_quote(table.schema.name)} "
                    "WHERE list_contains(?, run_id) GROUP BY run_id",
                    [run_ids],
                ).fetchall():
                    rows[run_id][table.schema.name] = count
            if verify:
                _verify(con, output, pending, rows)
            now = dt.datetime.now(dt.timezone.utc)
            con.executemany(
                f"INSERT INTO {LOADS_TABLE} VALUES (?, ?, ?, ?, ?)",
                [
                    [r, now, rows[r]["articles"], rows[r]["duplicates"], rows[r]["quarantine"]]
                    for r in run_ids
                ],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return LoadResult(
        loaded=[RunLoad(run_id=r, rows=rows[r]) for r in run_ids],
        already_loaded=len(manifests) - len(pending),
        skipped=other,
    )


def format_result(result: LoadResult, database: str) -> str:
    """A human-readable account of a load."""
    lines = []
    if result.loaded:
        lines.append(f"loaded {len(result.loaded)} run(s) into {database}")
        for run in result.loaded:
            lines.append(
                f"  {run.run_id}: articles {run.rows['articles']}, "
                f"duplicates {run.rows['duplicates']}, quarantine {run.rows['quarantine']}"
            )
        total = {t.schema.name: sum(r.rows[t.schema.name] for r in result.loaded) for t in TABLES}
        lines.append("  total: " + ", ".join(f"{k} {v}" for k, v in total.items()))
    else:
        lines.append(
            f"nothing to load: all {result.already_loaded} committed run(s) are in {database}"
        )
    if result.loaded and result.already_loaded:
        lines.append(f"  ({result.already_loaded} run(s) were already loaded)")
    if result.skipped:
        lines.append(f"  not committed, skipped: {', '.join(result.skipped)}")
    return "\n".join(lines)


_DESCRIPTION = """\
Load a newsingest dataset into a warehouse, incrementally.

Each committed run (_runs/<run_id>.json) not yet recorded in the warehouse's
newsingest_loads table is inserted, selected by the run_id column of the Parquet
rows, in one transaction. Re-running loads nothing new.
"""

_DUCKDB_EPILOG = """\
tables (created on first load, from schemas/tables.py):
  articles          one row per kept article; the Hive date= folder is not copied,
                    published_date (DATE) carries it
  duplicates        one row per dropped duplicate (duplicate_of = kept article_id)
  quarantine        rejected inputs, without raw_content
  newsingest_loads  run_id, loaded_at, articles, duplicates, quarantine (row counts)

example:
  newsingest load duckdb --output /data/news --database /data/news.duckdb
  duckdb /data/news.duckdb "select published_date, count(*) from articles group by 1"
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsingest load",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    duck = targets.add_parser(
        "duckdb",
        help="load into a DuckDB database file",
        description="Insert the dataset's not-yet-loaded runs into a DuckDB database file.",
        epilog=_DUCKDB_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    duck.add_argument("--output", required=True, metavar="DIR", help="Dataset root directory.")
    duck.add_argument(
        "--database",
        required=True,
        metavar="FILE",
        help="DuckDB database file (created if missing).",
    )
    duck.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="Do not check rows per run against the manifests' counts before committing.",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """``newsingest load``."""
    args = _parser().parse_args(list(argv))
    try:
        result = load_duckdb(args.output, args.database, verify=args.verify)
    except DatasetNotFoundError as error:
        print(f"newsingest load: error: {error}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    except (LoadError, duckdb.Error) as error:
        print(f"newsingest load: failed: {error}", file=sys.stderr)
        return ExitCode.FAILED
    print(format_result(result, args.database))
    return 0
