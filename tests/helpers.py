"""Test helpers that read a dataset back with real readers."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import duckdb

from newsingest.pipeline.cli import main
from newsingest.transforms.core.file_selection import escape_glob


def run_cli(*args: str) -> int:
    return main(["run", *args])


def articles(out: Path) -> list[dict]:
    """Kept articles via DuckDB with Hive partitioning, sorted by source_uri."""
    return (
        duckdb.sql(
            f"select * from read_parquet('{escape_glob(str(out))}/articles/**/*.parquet', "
            "hive_partitioning=true) "
            "order by source_uri"
        )
        .to_arrow_table()
        .to_pylist()
    )


def table(out: Path, name: str) -> list[dict]:
    """Rows of a flat table (duplicates, quarantine) via DuckDB, or [] if none written."""
    if not glob.glob(f"{out}/{name}/*.parquet"):
        return []
    return (
        duckdb.sql(
            f"select * from read_parquet('{escape_glob(str(out))}/{name}/*.parquet') "
            "order by source_uri"
        )
        .to_arrow_table()
        .to_pylist()
    )


def manifests(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))]


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {Path(r["source_uri"]).name: r for r in rows}


VOLATILE_COLUMNS = frozenset({"run_id", "ingested_at"})


def dataset_snapshot(out: Path) -> dict:
    """Every table of a dataset without run-specific columns, for equality checks."""

    def strip(rows):
        return sorted(
            tuple(sorted((k, v) for k, v in row.items() if k not in VOLATILE_COLUMNS))
            for row in rows
        )

    index = duckdb.sql(
        f"select article_id, kept, rank from read_parquet('{out}/_index/*.parquet') order by 1"
    ).fetchall()
    return {
        "articles": strip(articles(out)),
        "duplicates": strip(table(out, "duplicates")),
        "quarantine": strip(table(out, "quarantine")),
        "index": index,
    }
