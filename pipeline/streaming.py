"""``newsingest run --streaming``: a Beam streaming pipeline for runners that stream.

Graph (each step a labelled transform)::

    MatchContinuously(has_deduplication=False)      every listing, every --poll-interval s
      -> DedupFiles                                 state per URI: each settled file once
      -> ReadFile -> Normalize                      the batch pipeline's read/normalize
      -> SkipIngested / SkipQuarantined             against the persistent index
      -> Features -> StreamDedup                    state per band shard / doc shard
      -> AttachDecisions                            state per article
      -> Stamp (processing time) -> FixedWindows(--window-s)
      -> GroupByKey -> CommitWindow                 one committed run per window

Every window becomes one run (``<run_id>-<window start>``) committed with the
batch protocol: files are staged under ``_staging/<run>``, the accounting is
checked, then the write-ahead plan moves them into place (retry-safe,
``commit_in_pipeline``). Windows without any file produce no run.

Local runs (the FnApiRunner) execute stage by stage, so nothing is written
before the source stops: use ``--stop-after S`` there (tests do); on Dataflow
or Flink the windows commit as they close. See README_STREAMING for what is
verified locally and what only on paper.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import sys
import time

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms import window
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp

from newsingest.pipeline.build import skip_ingested_before
from newsingest.pipeline.commit import commit_in_pipeline, recover
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.dataset import DatasetState, inspect
from newsingest.pipeline.exitcodes import ExitCode, exit_code_for
from newsingest.pipeline.fsutil import delete_paths
from newsingest.pipeline.lock import DatasetLock
from newsingest.pipeline.microbatch import stage
from newsingest.pipeline.options import NewsIngestOptions, check_arguments, to_run_config
from newsingest.transforms.index import (
    index_table,
)
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.read import input_pattern, read_file
from newsingest.transforms.records import QuarantineRecord, RawArticle, RawBatch
from newsingest.transforms.signatures import feature_batch
from newsingest.transforms.stream_dedup import DedupFiles, PriorIndex, StreamDedup

__all__ = ["StreamingSettings", "build_streaming_pipeline", "run_streaming"]

_LOG = logging.getLogger(__name__)
QUARANTINE = "quarantine"


@dataclasses.dataclass(frozen=True)
class StreamingSettings:
    """Streaming knobs.

    Attributes:
        window_s: length of the fixed (processing-time) windows; one run each.
        poll_s: seconds between listings of the input.
        settle_s: a file is read once unchanged this long (``observe``).
        stop_after_s: stop listing after this many seconds (None: never).
    """

    window_s: float = 10.0
    poll_s: float = 5.0
    settle_s: float = 1.0
    stop_after_s: float | None = None

    def validate(self) -> None:
        if self.window_s < 1:
            raise ValueError(
                "--window-s must be >= 1 (window runs are named by their start second)"
            )
        if self.poll_s <= 0:
            raise ValueError("--poll-interval must be > 0")
        if self.settle_s < 0:
            raise ValueError("--settle must be >= 0")
        if self.stop_after_s is not None and self.stop_after_s <= 0:
            raise ValueError("--stop-after must be > 0")


class _ReadFileFn(beam.DoFn):
    def __init__(self, max_file_bytes: int):
        self._max_file_bytes = max_file_bytes

    def process(self, ref):
        outcome = read_file(ref, self._max_file_bytes)
        if isinstance(outcome, QuarantineRecord):
            yield beam.pvalue.TaggedOutput(QUARANTINE, outcome)
        else:
            yield outcome


def _normalize(raw: RawArticle):
    articles, rejected = normalize_batch(RawBatch(articles=[raw]))
    for record in rejected:
        yield beam.pvalue.TaggedOutput(QUARANTINE, record)
    if len(articles):
        yield articles


class _AttachDecisionFn(beam.DoFn):
    """Keyed by article id: joins an article (and its features) with its decision."""

    HELD = ReadModifyWriteStateSpec("held", PickleCoder())

    def process(self, element, held=beam.DoFn.StateParam(HELD)):  # noqa: B008 - state idiom
        _, (kind, value) = element
        other = held.read()
        if other is None:
            held.write((kind, value))
            return
        held.clear()
        parts = dict([other, (kind, value)])
        articles, features = parts["article"]
        yield "article", (articles, features, parts["decision"])


class _CommitWindowFn(beam.DoFn):
    """Stages and commits everything of one window as one run (retry-safe)."""

    def __init__(self, config: RunConfig):
        self._config = config

    def process(self, element, win=beam.DoFn.WindowParam):  # noqa: B008 - window idiom
        _, outcomes = element
        start = win.start.to_utc_datetime().replace(tzinfo=dt.timezone.utc)
        config = dataclasses.replace(
            self._config,
            run_id=f"{self._config.run_id}-{start:%Y%m%dT%H%M%S}Z",
            ingested_at=dt.datetime.now(dt.timezone.utc),
        )
        if FileSystems.exists(f"{config.output}/_runs/{config.run_id}.json"):
            return
        if FileSystems.exists(config.staging):
            delete_paths([config.staging])
        parts, decisions, quarantine, skipped = [], {}, [], 0
        for kind, value in outcomes:
            if kind == "article":
                articles, features, decision = value
                doc = {int(features.doc_keys[0]): decision} if decision else {}
                decisions.update(doc)
                parts.append((articles, index_table(features, doc, config.run_id)))
            elif kind == QUARANTINE:
                quarantine.append(value)
            else:
                skipped += value
        matched = len(parts) + len(quarantine) + skipped
        stage(config, parts, decisions, quarantine, matched, skipped)
        yield commit_in_pipeline(config)


def build_streaming_pipeline(
    p: beam.Pipeline, config: RunConfig, state: DatasetState, settings: StreamingSettings
):
    """Adds the streaming ingestion graph; returns the ``PCollection`` of committed manifests."""
    stop = (
        Timestamp.of(time.time() + settings.stop_after_s)
        if settings.stop_after_s is not None
        else MAX_TIMESTAMP
    )
    listings = [
        p
        | f"Match{i}"
        >> fileio.MatchContinuously(
            input_pattern(path),
            interval=settings.poll_s,
            has_deduplication=False,
            stop_timestamp=stop,
        )
        for i, path in enumerate(config.inputs)
    ]
    read = (
        listings
        | "AllListings" >> beam.Flatten()
        | "DedupFiles" >> DedupFiles(settings.settle_s)
        | "ReadFile"
        >> beam.ParDo(_ReadFileFn(config.max_file_bytes)).with_outputs(QUARANTINE, main="raw")
    )
    normalized = read.raw | "Normalize" >> beam.FlatMap(_normalize).with_outputs(
        QUARANTINE, main="articles"
    )
    articles = normalized.articles
    quarantine = (read[QUARANTINE], normalized[QUARANTINE]) | "AllQuarantine" >> beam.Flatten()
    articles, quarantine, skipped = skip_ingested_before(p, articles, quarantine, state)
    with_features = articles | "Features" >> beam.Map(
        lambda a, dedup: (a, feature_batch(a, dedup)), config.dedup
    )
    prior = (None, None)
    if state.has_index:
        prior = p | "PriorIndex" >> PriorIndex(state.index_glob, config.dedup, config.num_shards)
    decisions = (
        with_features
        | "FeaturesOnly" >> beam.Map(lambda pair: pair[1])
        | "StreamDedup" >> StreamDedup(config.dedup, config.num_shards, *prior)
    )
    joined = (
        (
            with_features
            | "KeyArticles" >> beam.Map(lambda pair: (pair[0].article_ids[0], ("article", pair))),
            decisions
            | "KeyDecisions" >> beam.MapTuple(lambda doc, d: (f"{doc:016x}", ("decision", d))),
        )
        | "ToAttach" >> beam.Flatten()
        | "AttachDecisions" >> beam.ParDo(_AttachDecisionFn())
    )
    outcomes = [
        joined,
        quarantine | "QuarantineOutcomes" >> beam.Map(lambda r: (QUARANTINE, r)),
        *(
            s | f"SkippedOutcomes{i}" >> beam.Map(lambda n: ("skipped", n))
            for i, s in enumerate(skipped)
        ),
    ]
    return (
        outcomes
        | "AllOutcomes" >> beam.Flatten()
        | "Stamp" >> beam.Map(lambda o: window.TimestampedValue(o, time.time()))
        | "Windows" >> beam.WindowInto(window.FixedWindows(settings.window_s))
        | "OneKey" >> beam.Map(lambda o: (0, o))
        | "PerWindow" >> beam.GroupByKey()
        | "CommitWindow" >> beam.ParDo(_CommitWindowFn(config))
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--window-s", "--window_s", dest="window_s", type=float, default=10.0)
    parser.add_argument(
        "--poll-interval", "--poll_interval", dest="poll_s", type=float, default=5.0
    )
    parser.add_argument("--settle", dest="settle_s", type=float, default=1.0)
    parser.add_argument(
        "--stop-after", "--stop_after", dest="stop_after_s", type=float, default=None
    )
    return parser


def run_streaming(argv: list[str]) -> int:
    """``newsingest run --streaming [--window-s S] [--poll-interval S] [--settle S]
    [--stop-after S] ...``: builds and runs the streaming pipeline."""
    known, rest = _parser().parse_known_args(argv)
    try:
        check_arguments(
            rest, extra=lambda parser: parser.add_argument("--verbose", action="store_true")
        )
        options = PipelineOptions(rest)
        options.view_as(NewsIngestOptions)
        settings = StreamingSettings(
            known.window_s, known.poll_s, known.settle_s, known.stop_after_s
        )
        settings.validate()
        config = to_run_config(options)
    except ValueError as error:
        print(f"newsingest run --streaming: error: {error}", file=sys.stderr)
        return ExitCode.USAGE
    from newsingest.pipeline.cli import _runner

    try:
        for path in config.inputs:
            if FileSystems.get_scheme(path) in (None, "file") and not os.path.exists(path):
                raise FileNotFoundError(f"input {path!r} does not exist")
        with DatasetLock(config.output, owner=f"streaming {config.run_id}") as lock:
            config = dataclasses.replace(config, lease=lock.lease)
            recover(config.output)
            state = inspect(config.output, config.dedup)
            p = beam.Pipeline(runner=_runner(options), options=options)
            build_streaming_pipeline(p, config, state, settings)
            result = p.run()
            result.wait_until_finish()
    except Exception as error:  # noqa: BLE001 - every failure becomes a message and a code
        message = f"{type(error).__name__}: {error}"
        print(f"newsingest run --streaming: failed: {message}", file=sys.stderr)
        return exit_code_for(error)
    return ExitCode.OK
