"""Read a newsingest dataset with PySpark (Hive partition discovery on ``articles/``).

Usage::

    spark-submit deploy/warehouse/spark_read.py --output gs://BUCKET/PATH [--run ID] [--dates GLOB]

``basePath`` makes Spark discover ``date`` from ``articles/date=YYYY-MM-DD/`` folders; the
``date=__HIVE_DEFAULT_PARTITION__`` folder becomes ``date IS NULL``. The files carry the same
value as the typed column ``published_date``. Rows are selected by ``run_id``, never by file
name (compaction may merge several runs into one file).
"""

from __future__ import annotations

import argparse
import sys


def read_articles(spark, output: str, dates: str | None = None):
    """The articles table with its ``date`` partition column (DATE, null when undated).

    ``dates`` (a glob such as ``2024-03-*``) reads only those partitions; ``basePath`` keeps
    ``date`` discovered as a column either way.
    """
    base = f"{output.rstrip('/')}/articles"
    return (
        spark.read.option("basePath", base)
        .option("mergeSchema", "true")  # columns only ever get added within a schema version
        .parquet(f"{base}/date={dates}" if dates else base)
    )


def read_flat(spark, output: str, table: str):
    """``duplicates`` or ``quarantine`` (flat folders of Parquet files)."""
    return spark.read.option("mergeSchema", "true").parquet(f"{output.rstrip('/')}/{table}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="Dataset root (newsingest run --output).")
    parser.add_argument("--run", help="Only rows of this run_id.")
    parser.add_argument("--dates", help="Only these date= partitions, a glob such as 2024-03-*.")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.appName("newsingest-read")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "true")
        .getOrCreate()
    )
    articles = read_articles(spark, args.output, args.dates)
    duplicates = read_flat(spark, args.output, "duplicates")
    if args.run:
        articles = articles.where(F.col("run_id") == args.run)
        duplicates = duplicates.where(F.col("run_id") == args.run)
    articles.printSchema()
    articles.groupBy("date").count().orderBy("date").show(100, truncate=False)
    duplicates.groupBy("method").count().orderBy("method").show(truncate=False)
    misplaced = articles.where(~F.col("date").eqNullSafe(F.col("published_date"))).count()
    print(f"articles whose date= folder differs from published_date: {misplaced}")
    spark.stop()
    return 1 if misplaced else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
