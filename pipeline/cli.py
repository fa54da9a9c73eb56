"""The ``newsingest`` command line: a thin entry point over pipeline assembly."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
import shlex
import sys
import time

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from newsingest.pipeline import BEAM_IMPORT_NOISE
from newsingest.pipeline.build import build_pipeline
from newsingest.pipeline.commit import commit_run, read_json, recover
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.dataset import inspect
from newsingest.pipeline.exitcodes import ExitCode, exit_code_for
from newsingest.pipeline.lock import DatasetLock
from newsingest.pipeline.options import (
    NewsIngestOptions,
    add_run_arguments,
    check_arguments,
    to_run_config,
)
from newsingest.pipeline.slices import combine_manifests, cut_selection, slice_run_ids
from newsingest.transforms.core.file_selection import Selection
from newsingest.transforms.progress import announce_slice, finish
from newsingest.transforms.read import select_inputs
from newsingest.transforms.timing import STAGE_NAMESPACE

__all__ = ["main", "run"]

# Sub-commands: name -> (module with ``main(argv) -> int``, one-line summary).
COMMANDS = {
    "run": ("newsingest.pipeline.cli", "ingest a batch of files into a dataset"),
    "watch": ("newsingest.pipeline.watch", "ingest files continuously as they land"),
    "runs": ("newsingest.pipeline.runs", "list a dataset's committed runs with their counts"),
    "compact": ("newsingest.pipeline.compact", "merge small files of a dataset, atomically"),
    "reindex": ("newsingest.pipeline.reindex", "rebuild a dataset's dedup index, atomically"),
    "load": ("newsingest.pipeline.load", "load a dataset into a warehouse (duckdb) incrementally"),
    "report": ("newsingest.pipeline.report", "write a self-contained HTML report of a run"),
}


def _description() -> str:
    lines = [
        "newsingest: ingest raw news-article files into deduplicated, Hive-partitioned Parquet.",
        "",
        "usage: newsingest COMMAND [options]   (newsingest COMMAND --help for details)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<8} {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


_RUN_EPILOG = """\
Any Apache Beam pipeline option is accepted as well, e.g. --runner=DataflowRunner
--project=... --region=... --temp_location=gs://... Without --runner the local
FnApiRunner (Beam's DirectRunner engine) is used, with one worker:
--direct_num_workers above 1 is refused (Beam's local runner loses elements
across workers; see bench/beam_parallel_loss.py). It holds every collection in
memory, so large inputs go through it in slices of --slice-files files (5,000),
each committed as its own run <run-id>.<k>of<n>.
"""


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsingest run",
        description="Read, normalise, deduplicate and write one batch of article files.",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_arguments(parser)
    parser.add_argument(
        "--verbose", action="store_true", help="Also show Beam's own log messages and tracebacks."
    )
    return parser


def _runner(options: PipelineOptions):
    name = options.view_as(StandardOptions).runner
    if name in (None, "DirectRunner", "direct"):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return FnApiRunner()
    return None


class NothingToIngest(Exception):
    """The inputs exist but select no file: nothing is committed (exit code 0)."""

    def __init__(self, selection: Selection):
        ignored = ", ".join(f"{rule} {n}" for rule, n in sorted(selection.ignored.items()))
        super().__init__(
            "nothing to ingest: the inputs hold no input file"
            + (f" ({sum(selection.ignored.values())} names ignored: {ignored})" if ignored else "")
            + "; nothing was committed"
        )
        self.selection = selection


def run(config: RunConfig, options: PipelineOptions) -> dict:
    """Runs the pipeline for ``config`` and commits it; returns the run manifest.

    More input files than ``config.slice_files`` (when not 0) are ingested as
    consecutive slices, each one pipeline and one committed run checked against
    everything committed before it (``pipeline.slices``); the returned summary
    then combines them and names them under ``slices``.

    The dataset lock is held from recovery to the last commit, also with
    ``--commit-in-pipeline`` (whose commit step verifies the lease before its commit
    point), so two writers never overlap on one output.

    Raises:
        FileNotFoundError: an input does not exist (nothing is written).
        NothingToIngest: the inputs select no file (nothing is written).
        LockedError: another writer holds the output; LeaseLostError when it took the
            output over during this run (nothing committed).
        CommittedButUnfinished: committed, finishing failed (the next run completes it).
    """
    selection = select_inputs(config.inputs, exclude=(config.output,))
    if not selection.files:
        raise NothingToIngest(selection)
    started = time.perf_counter()
    parts = cut_selection(selection, config.slice_files)
    run_ids = slice_run_ids(config.run_id, len(parts))
    with DatasetLock(config.output, owner=f"run {config.run_id}") as lock:
        config = dataclasses.replace(config, lease=lock.lease)
        recover(config.output)
        for run_id in run_ids:
            if FileSystems.exists(_manifest_path(config.output, run_id)):
                raise ValueError(f"run id {run_id!r} is already committed in {config.output}")
        manifests = []
        for number, (part, run_id) in enumerate(zip(parts, run_ids, strict=True), start=1):
            if len(parts) > 1:
                announce_slice(config.progress, number, len(parts), len(part.files), run_id)
            manifests.append(
                _run_slice(
                    dataclasses.replace(config, run_id=run_id),
                    options,
                    part if len(parts) > 1 else None,
                    lock,
                )
            )
    return combine_manifests(config.run_id, manifests, time.perf_counter() - started)


def _manifest_path(output: str, run_id: str) -> str:
    return f"{output}/_runs/{run_id}.json"


def _run_slice(
    config: RunConfig, options: PipelineOptions, selection: Selection | None, lock: DatasetLock
) -> dict:
    """One pipeline, committed as run ``config.run_id``; its manifest.

    It reads ``selection`` (a slice), or lists ``config.inputs`` itself when None (one
    slice: a distributed runner's workers list a bucket, the job graph stays small).
    """
    started = time.perf_counter()
    state = inspect(config.output, config.dedup)
    p = beam.Pipeline(runner=_runner(options), options=options)
    build_pipeline(p, config, state, selection)
    result = p.run()
    result.wait_until_finish()
    if config.commit_in_pipeline:
        manifest_path = _manifest_path(config.output, config.run_id)
        if not FileSystems.exists(manifest_path):
            raise RuntimeError(f"pipeline ended in state {result.state} without committing")
        return read_json(manifest_path)
    timings = {
        "pipeline": round(time.perf_counter() - started, 3),
        "stage_cpu": {
            k: round(v / 1e6, 3) for k, v in counter_values(result, STAGE_NAMESPACE).items()
        },
        "counters": counter_values(result, "newsingest"),
    }
    lock.assert_held()
    return commit_run(config, timings, started)


def counter_values(result, namespace: str) -> dict[str, int]:
    """The run's Beam counters of ``namespace`` (empty when the runner reports none)."""
    try:
        counters = result.metrics().query(MetricsFilter().with_namespace(namespace))
    except (NotImplementedError, AttributeError, RuntimeError):
        return {}
    values: dict[str, int] = {}
    for counter in counters["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        values[counter.key.metric.name] = values.get(counter.key.metric.name, 0) + value
    return dict(sorted(values.items()))


def files_read(manifest: dict) -> int | None:
    """Input files the run read (from its counters; None when the runner reports none)."""
    return (manifest.get("timings_s") or {}).get("counters", {}).get("files_read")


def dataset_location(output: str) -> str:
    """``output`` as a user can paste it: local paths absolute, bucket URIs as they are."""
    if FileSystems.get_scheme(output) in (None, "file"):
        return os.path.abspath(output.removeprefix("file://"))
    return output


def next_steps(output: str, run_id: str) -> list[str]:
    """What to run next on a dataset: report, warehouse load, a DuckDB query (ready to paste)."""
    from newsingest.pipeline.report import default_report_path

    where = dataset_location(output)
    quoted = shlex.quote(where)
    glob = f"{where}/articles/**/*.parquet".replace("'", "''")
    query = (
        "SELECT date, count(*) AS articles "
        f"FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY date ORDER BY date;"
    )
    return [
        f"  newsingest report {quoted}",
        f"      -> {default_report_path(where, run_id)}",
        f"  newsingest load duckdb --output {quoted} --database news.duckdb",
        "  query it in DuckDB (the duckdb CLI, or duckdb.sql(QUERY).show() in Python):",
        f"      {query}",
    ]


def format_summary(manifest: dict, output: str | None = None) -> str:
    """A human-readable run summary; with ``output``, where the dataset is and what next."""
    counts = manifest["counts"]
    wall = manifest["timings_s"].get("wall", 0.0)
    by_method = ", ".join(f"{k} {v}" for k, v in counts["duplicates_by_method"].items()) or "none"
    by_reason = ", ".join(f"{k} {v}" for k, v in counts["quarantined_by_reason"].items()) or "none"
    rate = counts["read"] / wall if wall else 0.0
    files = files_read(manifest)
    from_files = f" from {files} files" if files is not None and files != counts["read"] else ""
    slices = manifest.get("slices") or [manifest["run_id"]]
    committed = f"run {manifest['run_id']} committed"
    if len(slices) > 1:
        committed += f" as {len(slices)} slices ({slices[0]} ... {slices[-1]})"
    lines = [
        committed,
        f"  read         {counts['read']}{from_files}",
        f"  kept         {counts['kept']}",
        f"  duplicates   {counts['duplicates']} ({by_method})",
        f"  quarantined  {counts['quarantined']} ({by_reason})",
        f"  skipped      {counts['skipped_already_ingested']} (already ingested)",
        f"  ignored      {counts.get('ignored', 0)} names ({_ignored(counts)})",
        "  per date     " + _per_date(counts["per_date"]),
        f"  wall time    {wall:.2f} s ({rate:,.0f} docs/s)",
    ]
    stages = manifest["timings_s"].get("stage_cpu") or {}
    if stages:
        lines.append("  stage cpu    " + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    if output is not None:
        lines.append(f"dataset        {dataset_location(output)}")
        lines.append("next:")
        lines += next_steps(output, slices[-1])
    return "\n".join(lines)


class _JsonLogFormatter(logging.Formatter):
    """One JSON object per log record (for schedulers that parse logs)."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(event).decode()


def configure_logging(log_format: str, verbose: bool) -> None:
    """Our warnings on stderr (text or JSON); Beam's own logging only with ``--verbose``."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(_JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        root.removeFilter(BEAM_IMPORT_NOISE)
    logging.getLogger("apache_beam").setLevel(logging.INFO if verbose else logging.CRITICAL)
    # The HTML extractors log every page they give up on; its quarantine record says so.
    for name in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)


_PREFIXES = {
    ExitCode.FAILED: "failed (nothing committed)",
    ExitCode.USAGE: "error",
    ExitCode.NOT_FOUND: "error",
    ExitCode.BUSY: "busy (nothing committed)",
    ExitCode.COMMITTED_UNFINISHED: "committed, not finished",
}


def _fail(config: RunConfig | None, message: str, code: int) -> int:
    text = f"{_PREFIXES.get(code, 'failed')}: {message}"
    if config is not None and config.progress.log_format == "json":
        event = {"event": "error", "exit_code": int(code), "message": text}
        sys.stderr.write(orjson.dumps(event).decode() + "\n")
    else:
        print(f"newsingest run: {text}", file=sys.stderr)
    return code


def _ignored(counts: dict) -> str:
    rules = counts.get("ignored_by_rule") or {}
    return ", ".join(f"{k} {v}" for k, v in rules.items()) or "none"


def _per_date(per_date: dict[str, int], shown: int = 8) -> str:
    if not per_date:
        return "none"
    items = [f"{day}: {count}" for day, count in per_date.items()]
    if len(items) > shown:
        first, last = items[: shown // 2], items[-(shown // 2) :]
        items = [*first, f"... ({len(items) - shown} more dates) ...", *last]
    return ", ".join(items)


def _verbose_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", action="store_true")


def _run_command(argv: list[str]) -> int:
    known, _ = _run_parser().parse_known_args(argv)
    configure_logging(known.log_format, known.verbose)
    try:
        check_arguments(argv, extra=_verbose_flag)
        options = PipelineOptions([a for a in argv if a != "--verbose"])
        options.view_as(NewsIngestOptions)
        config = to_run_config(options)
    except ValueError as error:
        return _fail(None, str(error), ExitCode.USAGE)
    try:
        manifest = run(config, options)
    except NothingToIngest as nothing:
        if config.progress.log_format == "json":
            print(orjson.dumps({"event": "nothing_to_ingest", "message": str(nothing)}).decode())
        else:
            print(f"newsingest run: {nothing}", file=sys.stderr)
        return ExitCode.OK
    except Exception as error:  # noqa: BLE001 - every failure becomes a message and a code
        code = exit_code_for(error)
        return _fail(config, f"{type(error).__name__}: {error}", code)
    files = files_read(manifest)
    wall = manifest["timings_s"].get("wall", 0.0)
    finish(config.progress, files if files is not None else manifest["counts"]["read"],
           manifest["counts"], wall)  # fmt: skip
    if config.progress.log_format == "json":
        summary = {"event": "summary", "run_id": manifest["run_id"], **manifest["counts"]}
        summary |= {"dataset": dataset_location(config.output)}
        summary |= {"slices": manifest.get("slices") or [manifest["run_id"]]}
        print(orjson.dumps(summary | {"timings_s": manifest["timings_s"]}).decode())
    elif config.progress.enabled:
        print(format_summary(manifest, config.output))
    return ExitCode.OK


STREAMING_REMOVED = (
    "error: newsingest run --streaming was removed: it did not run the batch dedup engine and "
    "could not scale by key. Ingest continuously with `newsingest watch` (one machine) or "
    "schedule `newsingest run` batches (any runner, e.g. Dataflow every few minutes)."
)


def run_main(argv: list[str]) -> int:
    """``newsingest run``; ``--streaming`` is refused (removed, see README)."""
    if "--streaming" in argv:
        print(STREAMING_REMOVED, file=sys.stderr)
        return 2
    return _run_command(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``newsingest`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    configure_logging("text", verbose=False)
    if not argv or argv[0] in ("-h", "--help"):
        print(_description())
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"newsingest: unknown command {argv[0]!r}\n\n{_description()}", file=sys.stderr)
        return ExitCode.USAGE
    if argv[0] == "run":
        return run_main(argv[1:])
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
