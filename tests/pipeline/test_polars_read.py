"""Other readers of a real run: Polars with Hive partitioning agrees with DuckDB."""

from __future__ import annotations

import py_compile
from pathlib import Path

import polars as pl

from tests.helpers import articles, run_cli

WAREHOUSE = Path(__file__).resolve().parents[2] / "deploy" / "warehouse"


def test_polars_hive_read_equals_duckdb(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "r1") == 0

    frame = pl.read_parquet(f"{out}/articles/**/*.parquet", hive_partitioning=True)
    assert frame.schema["date"] == pl.Date and frame.schema["published_date"] == pl.Date
    # The partition folder and the stored column agree, including the null partition.
    assert frame.filter(pl.col("date").eq_missing(pl.col("published_date"))).height == 7
    assert frame.filter(pl.col("date").is_null()).height == 2

    from_polars = frame.sort("source_uri").to_dicts()
    from_duckdb = articles(out)
    assert len(from_polars) == len(from_duckdb) == 7
    assert from_polars == from_duckdb


def test_spark_reader_compiles():
    py_compile.compile(str(WAREHOUSE / "spark_read.py"), doraise=True)


def test_warehouse_ddl_names_the_layout():
    bigquery = (WAREHOUSE / "bigquery.sql").read_text()
    assert "hive_partition_uri_prefix = 'gs://BUCKET/PATH/articles'" in bigquery
    assert "require_hive_partition_filter = false" in bigquery
    assert bigquery.count("format = 'PARQUET'") == 3
    snowflake = (WAREHOUSE / "snowflake.sql").read_text()
    assert "METADATA$FILENAME" in snowflake and "__HIVE_DEFAULT_PARTITION__" in snowflake
    assert "PARTITION BY (date)" in snowflake
