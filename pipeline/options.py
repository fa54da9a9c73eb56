"""Command-line options: one PipelineOptions subclass, turned into RunConfig once."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import inspect
import os
import re
import secrets
from collections.abc import Callable, Sequence

from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    _BeamArgumentParser,
)

from newsingest.pipeline.config import RunConfig
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.structured import FieldMapping, parse_field_mapping
from newsingest.transforms.progress import ProgressSettings

__all__ = [
    "DEDUP_PREFIX",
    "NewsIngestOptions",
    "UsageError",
    "add_run_arguments",
    "check_arguments",
    "to_run_config",
]

DEDUP_PREFIX = "dedup_"
# Files per slice on the local runner: Beam's in-process runner holds every collection
# in memory (about 0.2 MB per article with the story tier), so this keeps a slice near
# 1 GB plus the index lookups; smaller slices measured no slower (README "Slices").
LOCAL_SLICE_FILES = 5_000


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds newsingest's own ``run`` options (Beam's options are accepted besides)."""
    parser.add_argument(
        "--input",
        action="append",
        help="Input file, directory (read recursively) or glob; local, gs:// or s3://. "
        "Repeatable. Required.",
    )
    parser.add_argument("--output", help="Dataset root directory (local or bucket). Required.")
    parser.add_argument(
        "--run_id",
        "--run-id",
        dest="run_id",
        default=None,
        help="Identifier of this run (default: UTC start time plus a random suffix).",
    )
    parser.add_argument(
        "--chunk_size",
        "--chunk-size",
        dest="chunk_size",
        type=int,
        default=500,
        help="Input files per work item (default 500).",
    )
    parser.add_argument(
        "--max_file_bytes",
        "--max-file-bytes",
        dest="max_file_bytes",
        type=int,
        default=10 << 20,
        help="Larger files (or larger after decompression) are quarantined (default 10 MiB).",
    )
    parser.add_argument(
        "--num_shards",
        "--num-shards",
        dest="num_shards",
        type=int,
        default=16,
        help="Shards of the dedup shuffles; raise on distributed runners (default 16).",
    )
    parser.add_argument(
        "--max_rows_per_file",
        "--max-rows-per-file",
        dest="max_rows_per_file",
        type=int,
        default=1_000_000,
        help="Rows per output Parquet file before it is split (default 1,000,000).",
    )
    parser.add_argument(
        "--json_fields",
        "--json-fields",
        dest="json_fields",
        default=None,
        help="Fields of JSON Lines/JSON records: ROLE=FIELD[|FIELD...],... with roles body, "
        "title, date, id; unnamed roles keep their defaults "
        f"({FieldMapping().describe()}). Dotted names reach into nested objects. "
        "Example: --json-fields body=maintext,title=headline,date=date_publish.",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        default=False,
        help="Print neither progress nor the run summary (errors still go to stderr).",
    )
    parser.add_argument(
        "--log_format",
        "--log-format",
        dest="log_format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json: progress, summary and log records as JSON lines.",
    )
    parser.add_argument(
        "--progress_interval",
        "--progress-interval",
        dest="progress_interval",
        type=float,
        default=5.0,
        help="Seconds between progress lines on stderr (default 5).",
    )
    parser.add_argument(
        "--commit_in_pipeline",
        "--commit-in-pipeline",
        dest="commit_in_pipeline",
        action="store_true",
        default=False,
        help="Commit as the pipeline's last step instead of in this process (for Dataflow "
        "Flex Templates, whose launcher submits and exits). The launcher holds the dataset "
        "lock while it waits; the commit step verifies that lease first and aborts, "
        "without touching the dataset, if another writer holds the output.",
    )
    parser.add_argument(
        "--slice_files",
        "--slice-files",
        dest="slice_files",
        type=int,
        default=None,
        help="Ingest more input files than this as consecutive slices, each one pipeline "
        "and one committed run checked against everything before it, so local memory stays "
        f"bounded (default {LOCAL_SLICE_FILES:,} on the local runner, 0 = never on "
        "distributed runners; 0 turns slicing off).",
    )
    parser.add_argument(
        "--feature_processes",
        "--feature-processes",
        dest="feature_processes",
        type=int,
        default=None,
        help="Processes that compute the same-story profiles of each batch beside the "
        "worker (same results): default the machine's cores on the local runner (its one "
        "worker leaves them idle), 1 on distributed runners (one worker per core already).",
    )
    parser.add_argument(
        "--follow_symlinks",
        "--follow-symlinks",
        dest="follow_symlinks",
        action="store_true",
        default=False,
        help="Read symbolic links to regular files (anywhere). By default a link is not "
        "followed: it is quarantined as symlink_not_followed with its target.",
    )
    defaults = DedupConfig()
    helps = knob_help()
    for field in dataclasses.fields(DedupConfig):
        default = getattr(defaults, field.name)
        flag = field.name.replace("_", "-")
        kind = _arg_type(default)
        parser.add_argument(
            f"--{DEDUP_PREFIX}{field.name}",
            f"--{DEDUP_PREFIX.replace('_', '-')}{flag}",
            dest=f"{DEDUP_PREFIX}{field.name}",
            type=kind,
            default=default,
            help=helps.get(field.name, f"Dedup knob (default {default})."),
        )


_KNOB_LINE = re.compile(r"^    (\w+(?:, \w+)*): (.*)$")


def knob_help() -> dict[str, str]:
    """One help text per ``DedupConfig`` field, read from its documented attribute list."""
    helps: dict[str, str] = {}
    names: list[str] = []
    for line in (inspect.getdoc(DedupConfig) or "").splitlines():
        match = _KNOB_LINE.match(line)
        if match:
            names = match.group(1).split(", ")
            for name in names:
                helps[name] = match.group(2).strip()
        elif line.startswith("        ") and names:
            for name in names:
                helps[name] += " " + line.strip()
        else:
            names = []
    return helps


def _arg_type(default):
    if isinstance(default, bool):
        return _parse_bool
    if default is None:
        return float
    return type(default)


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


class NewsIngestOptions(PipelineOptions):
    """newsingest's options, parsed beside every standard Beam option."""

    @classmethod
    def _add_argparse_args(cls, parser):
        add_run_arguments(parser)


def default_run_id(now: dt.datetime) -> str:
    """``YYYYMMDDTHHMMSSZ-<6 hex>``: sortable by start time, unique across hosts."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def to_run_config(options: PipelineOptions, now: dt.datetime | None = None) -> RunConfig:
    """The validated RunConfig for parsed ``options``; raises ValueError on bad values."""
    view = options.view_as(NewsIngestOptions)
    if not view.input:
        raise ValueError("--input is required")
    if not view.output:
        raise ValueError("--output is required")
    now = now or dt.datetime.now(dt.timezone.utc)
    dedup = DedupConfig(
        **{f.name: getattr(view, DEDUP_PREFIX + f.name) for f in dataclasses.fields(DedupConfig)}
    )
    config = RunConfig(
        inputs=tuple(view.input),
        output=view.output.rstrip("/"),
        run_id=view.run_id or default_run_id(now),
        ingested_at=now,
        chunk_size=view.chunk_size,
        max_file_bytes=view.max_file_bytes,
        num_shards=view.num_shards,
        max_rows_per_file=view.max_rows_per_file,
        dedup=dedup,
        commit_in_pipeline=view.commit_in_pipeline,
        json_fields=parse_field_mapping(view.json_fields),
        follow_symlinks=view.follow_symlinks,
        slice_files=slice_files(options),
        feature_processes=feature_processes(options),
        progress=ProgressSettings(
            enabled=not view.quiet,
            log_format=view.log_format,
            interval_s=view.progress_interval,
        ),
    )
    config.validate()
    check_local_parallelism(options)
    return config


LOCAL_RUNNERS = (None, "DirectRunner", "direct", "FnApiRunner")


def feature_processes(options: PipelineOptions) -> int:
    """``--feature_processes``, or its default: the usable cores on the local runner
    (whose single worker would leave the others idle), 1 on any other runner."""
    chosen = options.view_as(NewsIngestOptions).feature_processes
    if chosen is not None:
        return chosen
    if options.view_as(StandardOptions).runner not in LOCAL_RUNNERS:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def slice_files(options: PipelineOptions) -> int:
    """``--slice_files``, or its default: :data:`LOCAL_SLICE_FILES` on the local runner,
    0 (one pipeline, the cluster holds the data) on any other runner."""
    chosen = options.view_as(NewsIngestOptions).slice_files
    if chosen is not None:
        return chosen
    local = options.view_as(StandardOptions).runner in LOCAL_RUNNERS
    return LOCAL_SLICE_FILES if local else 0


def check_local_parallelism(options: PipelineOptions) -> None:
    """Refuses ``--direct_num_workers`` > 1 on the local runner (raises ValueError).

    Beam's local FnApiRunner drops elements when it runs a stage on several
    workers (both running modes; ``bench/beam_parallel_loss.py`` reproduces it
    with plain Beam transforms), so a run could keep duplicates or fail. One worker
    is exact; for more machines use a distributed runner.
    """
    runner = options.view_as(StandardOptions).runner
    workers = options.view_as(DirectOptions).direct_num_workers
    if runner in LOCAL_RUNNERS and workers not in (None, 1):
        raise ValueError(
            f"--direct_num_workers={workers} is refused: Beam's local runner loses elements "
            "when it runs stages on several workers (see bench/beam_parallel_loss.py), which "
            "would keep duplicates or fail the run; use one worker (the default) or a "
            "distributed runner (--runner=DataflowRunner, FlinkRunner, SparkRunner)"
        )


class UsageError(ValueError):
    """An unknown, mistyped or stray command-line argument (exit code 2)."""


def _all_option_classes() -> list[type]:
    """Every registered ``PipelineOptions`` subclass (Beam's and newsingest's), once each."""
    found: dict[str, type] = {}
    pending = list(PipelineOptions.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
        pending.extend(cls.__subclasses__())
    return list(found.values())


def check_arguments(
    argv: Sequence[str], extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> None:
    """Raises UsageError for any argument neither newsingest nor Beam defines.

    Beam's ``PipelineOptions`` silently discards what it does not know, so a typo such
    as ``--dedup-near-treshold 0.5`` would run with the default. Here every argument is
    parsed, without abbreviations, against the options of every registered
    ``PipelineOptions`` subclass (``_add_argparse_args``) plus ``extra``; the error
    names the first unknown option and the closest valid one (``difflib``).
    """
    parser = _BeamArgumentParser(allow_abbrev=False, add_help=False)
    for cls in _all_option_classes():
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:
            continue  # an option class re-registering a flag another one defines
    if extra is not None:
        extra(parser)
    _, unknown = parser.parse_known_args(list(argv))
    valid = sorted(o for o in parser._option_string_actions if o.startswith("--"))
    for argument in unknown:
        if argument == "--":
            break
        if not argument.startswith("-"):
            raise UsageError(f"unexpected argument {argument!r}")
        name = argument.split("=", 1)[0]
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(f"unknown option {name}{hint}")
