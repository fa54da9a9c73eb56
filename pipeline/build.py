"""Pipeline assembly: the whole ``newsingest run`` graph, as a diagram."""

from __future__ import annotations

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems

from pipeline.config import RunConfig
from transforms.dedup import FindDuplicates
from transforms.normalize import NormalizeArticles
from transforms.read import ReadArticles
from transforms.signatures import ComputeSignatures
from transforms.write import WriteDataset, WrittenFile

__all__ = ["build_pipeline", "RUN_REPORT"]

RUN_REPORT = "_written.json"


def _write_run_report(written: list[WrittenFile], matched: int, staging: str) -> str:
    """Writes the staged run report the driver commits from; returns its path."""
    files = sorted(
        (
            {
                "table": f.table,
                "partition": f.partition,
                "path": f.path,
                "rows": f.rows,
                "counts": dict(f.counts),
            }
            for f in written
        ),
        key=lambda f: f["path"],
    )
    path = f"{staging}/{RUN_REPORT}"
    with FileSystems.create(path) as handle:
        handle.write(orjson.dumps({"matched": matched, "files": files}))
    return path


def build_pipeline(p: beam.Pipeline, config: RunConfig) -> None:
    """Adds the batch ingestion graph for ``config`` to ``p``.

    Everything is written under ``config.staging``; nothing is visible in the
    dataset until ``pipeline.commit.commit_run`` moves it into place.
    """
    read = p | "ReadArticles" >> ReadArticles(
        list(config.inputs), config.chunk_size, config.max_file_bytes
    )
    normalized = read.articles | "NormalizeArticles" >> NormalizeArticles()
    features = normalized.articles | "ComputeSignatures" >> ComputeSignatures(config.dedup)
    decisions = features | "FindDuplicates" >> FindDuplicates(config.dedup, config.num_shards)
    quarantine = (read.quarantine, normalized.quarantine) | "AllQuarantine" >> beam.Flatten()
    written = {
        "articles": normalized.articles,
        "decisions": decisions,
        "quarantine": quarantine,
    } | "WriteDataset" >> WriteDataset(
        config.staging, config.run_id, config.ingested_at, config.max_rows_per_file
    )
    matched = read.matched | "CountMatched" >> beam.CombineGlobally(sum)
    _ = (
        written
        | "CollectWritten" >> beam.combiners.ToList()
        | "WriteRunReport"
        >> beam.Map(_write_run_report, beam.pvalue.AsSingleton(matched), config.staging)
    )
