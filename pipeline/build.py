"""Pipeline assembly: the whole ``newsingest run`` graph, as a diagram."""

from __future__ import annotations

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.commit import RUN_REPORT, commit_in_pipeline
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.dataset import DatasetState
from newsingest.transforms.core.file_selection import Selection
from newsingest.transforms.dedup import FindDuplicates
from newsingest.transforms.index import (
    FindIngested,
    ReadQuarantinedKeys,
    SkipIngested,
    SkipQuarantined,
)
from newsingest.transforms.normalize import NormalizeArticles
from newsingest.transforms.prior import ReadPriorCandidates
from newsingest.transforms.read import ReadArticles
from newsingest.transforms.signatures import ComputeSignatures
from newsingest.transforms.write import WriteDataset, WrittenFile

__all__ = ["build_pipeline", "skip_ingested_before", "write_run_report"]


def write_run_report(
    written: list[WrittenFile],
    matched: int,
    skipped: int,
    staging: str,
    ignored: dict[str, int] | None = None,
) -> str:
    """Writes the staged run report the driver commits from; returns its path.

    ``ignored`` counts the input names not read, per selection rule.
    """
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
        handle.write(
            orjson.dumps(
                {"matched": matched, "skipped": skipped, "ignored": ignored or {}, "files": files}
            )
        )
    return path


def skip_ingested_before(
    p: beam.Pipeline, articles, quarantine, state: DatasetState, num_shards: int = 16
):
    """Drops articles and quarantine records that earlier runs already ingested.

    Returns ``(articles, quarantine, skipped)``: the remaining collections and a
    list of ``PCollection[int]`` counts of what was skipped (empty on a new dataset).
    """
    skipped = []
    if state.has_index:
        known = articles | "IngestedKeys" >> FindIngested(state.index_glob, num_shards)
        fresh = articles | "SkipIngested" >> SkipIngested(known)
        articles = fresh.articles
        skipped.append(fresh.skipped)
    if state.has_quarantine:
        known_bad = p | "QuarantinedKeys" >> ReadQuarantinedKeys(state.quarantine_glob)
        fresh_bad = quarantine | "SkipQuarantined" >> SkipQuarantined(known_bad)
        quarantine = fresh_bad.records
        skipped.append(fresh_bad.skipped)
    return articles, quarantine, skipped


def build_pipeline(
    p: beam.Pipeline,
    config: RunConfig,
    state: DatasetState,
    selection: Selection | None = None,
) -> None:
    """Adds the batch ingestion graph for ``config`` to ``p``.

    ``selection``, when given, is the input files to read (a slice the launcher
    selected, see ``pipeline.slices``); otherwise ``config.inputs`` are listed in the
    pipeline.

    New articles are checked against each other and, through the index, against
    everything ``state`` says earlier runs ingested. Everything is written under
    ``config.staging``; nothing is visible in the dataset until
    ``pipeline.commit.commit_run`` moves it into place.
    """
    read = p | "ReadArticles" >> ReadArticles(
        list(config.inputs),
        config.chunk_size,
        config.max_file_bytes,
        config.progress,
        config.json_fields,
        exclude=(config.output,),
        follow_symlinks=config.follow_symlinks,
        selection=selection,
    )
    normalized = read.articles | "NormalizeArticles" >> NormalizeArticles(config.progress)
    articles = normalized.articles
    quarantine = (read.quarantine, normalized.quarantine) | "AllQuarantine" >> beam.Flatten()
    articles, quarantine, skipped = skip_ingested_before(
        p, articles, quarantine, state, config.num_shards
    )
    skipped.append(p | "NothingSkipped" >> beam.Create([0]))
    features = articles | "ComputeSignatures" >> ComputeSignatures(
        config.dedup, config.progress, config.feature_processes
    )
    candidates, removed = features, None
    if state.has_index:
        prior = features | "PriorCandidates" >> ReadPriorCandidates(
            state.index_glob, config.num_shards
        )
        candidates = (features, prior.kept) | "WithPrior" >> beam.Flatten()
        removed = prior.removed
    decisions = candidates | "FindDuplicates" >> FindDuplicates(
        config.dedup, config.num_shards, removed=removed
    )
    written = {
        "articles": articles,
        "features": features,
        "decisions": decisions,
        "quarantine": quarantine,
    } | "WriteDataset" >> WriteDataset(
        config.staging,
        config.run_id,
        config.ingested_at,
        config.max_rows_per_file,
        writer_shards=config.num_shards,
    )
    matched = read.matched | "CountMatched" >> beam.CombineGlobally(sum)
    skipped_total = (
        skipped | "AllSkipped" >> beam.Flatten() | "CountSkipped" >> beam.CombineGlobally(sum)
    )
    report = (
        written
        | "CollectWritten" >> beam.combiners.ToList()
        | "WriteRunReport"
        >> beam.Map(
            write_run_report,
            beam.pvalue.AsSingleton(matched),
            beam.pvalue.AsSingleton(skipped_total),
            config.staging,
            beam.pvalue.AsSingleton(read.ignored),
        )
    )
    if config.commit_in_pipeline:
        _ = report | "CommitRun" >> beam.Map(lambda _, c: commit_in_pipeline(c), config)
