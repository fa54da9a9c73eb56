"""``newsingest watch``: ingest files continuously as they land, on one machine.

The watcher polls ``--input`` (a directory or bucket prefix, listed through
Beam's ``FileSystems``), reads every new file once it has *settled*, and
commits micro-batches into ``--output`` with the batch pipeline's functions
and commit protocol (``pipeline.microbatch``). It holds the dataset lock for
as long as it runs.

Which files are read (``transforms.read.select_inputs``, as for ``newsingest run``):
  * names that ``transforms.core.file_selection.ignore_rule`` ignores (``.name``,
    ``_name``, ``*.tmp``, ``*.part``, ``*.partial``, files or folders) never are:
    write under such a name and rename into place when done; the output dataset
    is never read, even inside the input;
  * FIFOs, devices, sockets and symlinks are never opened: they are committed to
    quarantine with their reason (``read_file``), so they cannot block the watcher;
  * any other file once its size and mtime have not changed for ``--settle``
    seconds (``transforms.core.settle.observe``);
  * a file is read again only if its size or mtime changes after it was
    committed (it is then a new input; identical content at the same URI is
    skipped as already ingested).

Stopping: SIGINT or SIGTERM lets the micro-batch in flight commit (each batch
holds at most ``--max-batch`` files), then the watcher exits with status 0.
After a crash, the next start rolls a planned commit forward or discards an
unplanned one; committed files are listed under ``DIR/_watch/`` inside each
batch's commit, so nothing is missed or read twice.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import time

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from newsingest.pipeline.commit import recover
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.dataset import inspect
from newsingest.pipeline.exitcodes import ExitCode, exit_code_for
from newsingest.pipeline.lock import DatasetLock, LeaseLostError
from newsingest.pipeline.microbatch import (
    InputFile,
    LiveIndex,
    batch_config,
    describe,
    ingest_batch,
    load_seen,
    quarantine_failed,
)
from newsingest.pipeline.options import check_arguments, to_run_config
from newsingest.transforms.core.settle import Observation, observe
from newsingest.transforms.read import select_inputs

__all__ = ["Watcher", "WatchSettings", "main"]

_LOG = logging.getLogger(__name__)


class WatchSettings:
    """Polling settings of a watcher (validated)."""

    def __init__(
        self,
        interval_s: float = 0.5,
        settle_s: float = 1.0,
        max_batch: int = 1000,
        max_wait_s: float = 0.0,
    ):
        if interval_s <= 0:
            raise ValueError(f"--interval must be > 0, got {interval_s}")
        if settle_s < 0:
            raise ValueError(f"--settle must be >= 0, got {settle_s}")
        if max_batch < 1:
            raise ValueError(f"--max-batch must be >= 1, got {max_batch}")
        if max_wait_s < 0:
            raise ValueError(f"--max-wait must be >= 0, got {max_wait_s}")
        self.interval_s = interval_s
        self.settle_s = settle_s
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s


class Watcher:
    """Polls one input location and commits micro-batches into ``base.output``.

    ``base`` carries the dataset, dedup and size settings; each micro-batch
    gets its own run id and ``ingested_at``.
    """

    def __init__(self, source: str, base: RunConfig, settings: WatchSettings):
        self._source = source
        self._base = base
        self._settings = settings
        self._observed: dict[str, Observation] = {}
        self._ready: dict[str, tuple[InputFile, float]] = {}
        self._seen: dict[str, tuple[int, float]] = {}
        self._index: LiveIndex | None = None
        self._failures: dict[str, int] = {}
        self._last_error: dict[str, str] = {}
        self._sequence = 0
        self.batches = 0

    def run(self, stop: threading.Event) -> int:
        """Watches until ``stop`` is set; returns the number of committed micro-batches."""
        owner = f"watch {socket.gethostname()} pid {os.getpid()}"
        with DatasetLock(self._base.output, owner=owner) as lock:
            self._base = dataclasses.replace(self._base, lease=lock.lease)
            self._load()
            while not stop.is_set():
                batch = self._next_batch()
                if not batch:
                    stop.wait(self._settings.interval_s)
                    continue
                self._ingest(batch)
        return self.batches

    def _load(self) -> None:
        output = self._base.output
        recover(output)
        inspect(output, self._base.dedup)
        started = time.perf_counter()
        self._index = LiveIndex.load(output, self._base.dedup)
        self._seen = load_seen(output)
        _LOG.info(
            "watching %s -> %s: index of %d articles (%d kept), %d files committed before "
            "(loaded in %.2f s)",
            self._source,
            output,
            len(self._index),
            self._index.kept,
            len(self._seen),
            time.perf_counter() - started,
        )

    def _poll(self) -> None:
        try:
            selection = select_inputs([self._source], exclude=(self._base.output,))
        except Exception as error:  # noqa: BLE001 - a flaky input is retried
            _LOG.warning("listing %s failed: %s", self._source, error)
            return
        now = time.time()
        listed = set()
        for entry in selection.files:
            uri = entry.uri
            if uri in self._ready:
                continue
            size, mtime = entry.size, entry.mtime
            if self._seen.get(uri) == (size, mtime):
                continue
            listed.add(uri)
            observation, settled = observe(
                self._observed.get(uri), size, mtime, now, self._settings.settle_s
            )
            if settled:
                self._observed.pop(uri, None)
                self._ready[uri] = (InputFile(uri, size, mtime), now)
            else:
                self._observed[uri] = observation
        for uri in set(self._observed) - listed:
            del self._observed[uri]

    def _next_batch(self) -> list[InputFile]:
        self._poll()
        if not self._ready:
            return []
        settings = self._settings
        oldest = min(since for _, since in self._ready.values())
        if len(self._ready) < settings.max_batch and time.time() - oldest < settings.max_wait_s:
            return []
        ordered = sorted(self._ready.values(), key=lambda item: (item[1], item[0].uri))
        suspects = [f for f, _ in ordered if f.uri in self._failures]
        if suspects:
            return suspects[:1]
        return [f for f, _ in ordered[: settings.max_batch]]

    def _ingest(self, files: list[InputFile]) -> None:
        """Ingests one micro-batch; failing inputs are retried alone, then quarantined.

        After a failed batch each of its files is retried in a batch of its own;
        a file that fails alone again is committed to quarantine with reason
        ``internal_error`` (and its raw bytes), so one bad input never blocks the
        others or the watcher.
        """
        now = dt.datetime.now(dt.timezone.utc)
        self._sequence += 1
        config = batch_config(self._base, now, self._sequence)
        isolated = len(files) == 1 and self._failures.get(files[0].uri, 0) >= 2
        try:
            if isolated:
                error = self._last_error.get(files[0].uri, "unknown error")
                result = quarantine_failed(files, error, config)
            else:
                result = ingest_batch(files, self._index, config)
            self._index.extend(result.index_rows, result.quarantine)
        except LeaseLostError:
            raise  # another writer owns the output now: never recover or commit into it
        except Exception as error:
            _LOG.exception("micro-batch %s failed; recovering", config.run_id)
            for f in files:
                self._failures[f.uri] = self._failures.get(f.uri, 0) + 1
                self._last_error[f.uri] = f"{type(error).__name__}: {error}"
            self._after_failure(config)
            return
        for f in files:
            self._failures.pop(f.uri, None)
            self._last_error.pop(f.uri, None)
        self._committed(files)
        _LOG.info("%s", describe(result))

    def _committed(self, files: list[InputFile]) -> None:
        for f in files:
            self._seen[f.uri] = (f.size, f.mtime)
            self._ready.pop(f.uri, None)
        self.batches += 1

    def _after_failure(self, config: RunConfig) -> None:
        """Finishes or discards the failed batch on disk, then re-reads the dataset's state."""
        recover(self._base.output)
        if FileSystems.exists(f"{self._base.output}/_runs/{config.run_id}.json"):
            _LOG.warning("micro-batch %s was committed by recovery", config.run_id)
            self.batches += 1
        self._ready.clear()
        self._load()
        time.sleep(self._settings.interval_s)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        prog="newsingest watch",
        description="Ingest article files continuously as they land in a folder or bucket.",
        epilog="Dedup settings (--dedup-*), --max-file-bytes, --json-fields and "
        "--max-rows-per-file are accepted as for `newsingest run`. Stop with SIGINT or SIGTERM.",
    )
    parser.add_argument("--input", required=True, help="Directory or bucket prefix to watch.")
    parser.add_argument("--output", required=True, help="Dataset root (local or bucket).")
    _add_polling_arguments(parser)
    return parser


def _add_polling_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval", type=float, default=0.5, help="Seconds between listings (default 0.5)."
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="A file is read once its size and mtime have been unchanged this long (default 1).",
    )
    parser.add_argument(
        "--max-batch",
        "--max_batch",
        dest="max_batch",
        type=int,
        default=1000,
        help="Most files per micro-batch (default 1000).",
    )
    parser.add_argument(
        "--max-wait",
        "--max_wait",
        dest="max_wait",
        type=float,
        default=0.0,
        help="Wait up to this long for more files before cutting a batch smaller than "
        "--max-batch (default 0: commit what is ready at every listing).",
    )


def _check_source(source: str) -> None:
    """Fails fast (FileNotFoundError) when a local input folder does not exist."""
    if FileSystems.get_scheme(source) in (None, "file") and not os.path.isdir(source):
        raise FileNotFoundError(f"input {source!r} does not exist or is not a folder")


def main(argv: list[str]) -> int:
    """``newsingest watch``: runs until SIGINT/SIGTERM; 0 on a clean stop (exit codes:
    ``pipeline.exitcodes``)."""
    args, rest = _parser().parse_known_args(argv)
    _LOG.setLevel(logging.INFO)
    logging.getLogger("newsingest.pipeline.microbatch").setLevel(logging.INFO)
    try:
        check_arguments(rest, extra=_add_polling_arguments)
        settings = WatchSettings(args.interval, args.settle, args.max_batch, args.max_wait)
        base = to_run_config(
            PipelineOptions([*rest, "--input", args.input, "--output", args.output])
        )
        _check_source(args.input)
    except FileNotFoundError as error:
        print(f"newsingest watch: error: {error}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    except ValueError as error:
        print(f"newsingest watch: error: {error}", file=sys.stderr)
        return ExitCode.USAGE
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        _LOG.info("%s received: finishing the batch in flight", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        batches = Watcher(args.input, base, settings).run(stop)
    except Exception as error:  # noqa: BLE001 - report and exit non-zero for the supervisor
        code = exit_code_for(error)
        print(f"newsingest watch: failed: {type(error).__name__}: {error}", file=sys.stderr)
        return code
    _LOG.info("stopped after %d micro-batches", batches)
    return ExitCode.OK
