"""Test helpers that read a dataset back with real readers."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import duckdb

from pipeline.cli import main


def run_cli(*args: str) -> int:
    return main(["run", *args])


def articles(out: Path) -> list[dict]:
    """Kept articles via DuckDB with Hive partitioning, sorted by source_uri."""
    return (
        duckdb.sql(
            f"select * from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true) "
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
        duckdb.sql(f"select * from read_parquet('{out}/{name}/*.parquet') order by source_uri")
        .to_arrow_table()
        .to_pylist()
    )


def manifests(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))]


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {Path(r["source_uri"]).name: r for r in rows}
