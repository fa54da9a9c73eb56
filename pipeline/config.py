"""RunConfig: every setting of one ``newsingest run``, validated once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_version import feature_version
from newsingest.transforms.core.structured import FieldMapping
from newsingest.transforms.progress import ProgressSettings

__all__ = ["RunConfig"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class RunConfig:
    """Settings of one run.

    Attributes:
        inputs: files, directories or globs to ingest.
        output: dataset root; staging, manifests and the index live under it.
        run_id: names the run's files and manifest (``[A-Za-z0-9._-]``).
        ingested_at: the run's start time (UTC), stored with every row.
        chunk_size: input files per work item.
        max_file_bytes: larger inputs are quarantined as ``too_large``.
        num_shards: keys of the dedup shuffles.
        max_rows_per_file: split output files above this many rows.
        dedup: dedup tiers and thresholds.
        progress: progress lines on stderr (off with ``--quiet``).
        commit_in_pipeline: the pipeline's last step commits the run (for
            launchers that submit and exit, like Dataflow Flex Templates).
        json_fields: which fields of JSON/JSON Lines records hold the body,
            title, date and id (``--json-fields``).
        follow_symlinks: read symbolic links to regular files (default: links are
            quarantined as ``symlink_not_followed``).
        slice_files: ingest more input files than this as consecutive slices, each
            one pipeline and one committed run (``pipeline.slices``); 0 runs one
            pipeline whatever the size.
        feature_processes: processes of the worker that compute the same-story
            profiles of each batch (1: in the worker itself); results are the same.
        lease: the dataset lock's owner string this run must still hold at its commit
            point (``pipeline.lock.verify_lease``); None only in tests and tools that
            commit without a lock.
    """

    inputs: tuple[str, ...]
    output: str
    run_id: str
    ingested_at: dt.datetime
    chunk_size: int = 500
    max_file_bytes: int = 10 << 20
    num_shards: int = 16
    max_rows_per_file: int = 1_000_000
    dedup: DedupConfig = dataclasses.field(default_factory=DedupConfig)
    progress: ProgressSettings = dataclasses.field(default_factory=ProgressSettings)
    commit_in_pipeline: bool = False
    json_fields: FieldMapping = dataclasses.field(default_factory=FieldMapping)
    follow_symlinks: bool = False
    slice_files: int = 0
    feature_processes: int = 1
    lease: str | None = None

    def validate(self) -> None:
        """Raises ValueError naming the first bad setting."""
        if not self.inputs:
            raise ValueError("--input is required")
        if not self.output:
            raise ValueError("--output is required")
        if not _RUN_ID.match(self.run_id):
            raise ValueError(f"--run_id {self.run_id!r} must match {_RUN_ID.pattern}")
        if self.ingested_at.tzinfo is None:
            raise ValueError("ingested_at must be timezone-aware")
        for name in ("chunk_size", "max_file_bytes", "num_shards", "max_rows_per_file"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.feature_processes < 1:
            raise ValueError(f"--feature_processes must be >= 1, got {self.feature_processes}")
        if self.slice_files < 0:
            raise ValueError(f"--slice_files must be >= 0, got {self.slice_files}")
        self.dedup.validate()
        self.json_fields.validate()
        if self.progress.log_format not in ("text", "json"):
            raise ValueError(f"--log-format must be text or json, got {self.progress.log_format!r}")

    @property
    def staging(self) -> str:
        """Where the run writes before it commits."""
        return f"{self.output}/_staging/{self.run_id}"

    def settings(self) -> dict:
        """JSON-ready settings for the run manifest."""
        return {
            "inputs": list(self.inputs),
            "chunk_size": self.chunk_size,
            "max_file_bytes": self.max_file_bytes,
            "num_shards": self.num_shards,
            "max_rows_per_file": self.max_rows_per_file,
            "follow_symlinks": self.follow_symlinks,
            "slice_files": self.slice_files,
            "feature_processes": self.feature_processes,
            "dedup": dataclasses.asdict(self.dedup),
            "dedup_decisions": self.dedup.decision_settings(),
            "feature_version": feature_version(self.dedup),
            "json_fields": self.json_fields.describe(),
        }
