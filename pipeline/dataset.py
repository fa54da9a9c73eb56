"""Paths and prior state of a dataset root (local or bucket)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.file_selection import escape_glob
from newsingest.transforms.core.similarity import DedupConfig

__all__ = [
    "DatasetState",
    "IncompatibleIndexError",
    "NotADatasetError",
    "index_settings",
    "inspect",
    "is_dataset",
    "require_dataset",
]

INDEX_SETTINGS = "_index/_settings.json"


class IncompatibleIndexError(ValueError):
    """The dataset's index was built with other dedup settings."""


class NotADatasetError(FileNotFoundError):
    """The path does not exist or holds no newsingest dataset (exit code 3)."""


def _has_files(glob: str) -> bool:
    return any(result.metadata_list for result in FileSystems.match([glob]))


def is_dataset(root: str) -> bool:
    """True when ``root`` holds a committed run manifest or the index settings."""
    root = root.rstrip("/")
    return FileSystems.exists(f"{root}/{INDEX_SETTINGS}") or _has_files(
        f"{escape_glob(root)}/_runs/*.json"
    )


def require_dataset(root: str) -> None:
    """Raises NotADatasetError unless ``root`` is a dataset; reads only, writes nothing."""
    if not FileSystems.exists(root.rstrip("/") or "/"):
        raise NotADatasetError(f"dataset {root!r} does not exist")
    if not is_dataset(root):
        raise NotADatasetError(
            f"{root!r} is not a newsingest dataset (no _runs/*.json and no "
            f"{INDEX_SETTINGS}); nothing was written"
        )


def index_settings(dedup: DedupConfig) -> dict:
    """What the index's keys and features depend on; stored beside the index."""
    return {"dedup": dataclasses.asdict(dedup), "features": feature_codec.fields_fingerprint()}


@dataclass(frozen=True)
class DatasetState:
    """What earlier runs left under ``root``."""

    root: str
    has_index: bool
    has_quarantine: bool

    @property
    def index_glob(self) -> str:
        return f"{escape_glob(self.root)}/_index/*.parquet"

    @property
    def quarantine_glob(self) -> str:
        return f"{escape_glob(self.root)}/quarantine/*.parquet"


def inspect(root: str, dedup: DedupConfig) -> DatasetState:
    """The state of ``root``; raises IncompatibleIndexError on other dedup settings."""
    from newsingest.pipeline.commit import read_json

    state = DatasetState(
        root=root,
        has_index=False,
        has_quarantine=False,
    )
    state = dataclasses.replace(
        state,
        has_index=_has_files(state.index_glob),
        has_quarantine=_has_files(state.quarantine_glob),
    )
    settings_path = f"{root}/{INDEX_SETTINGS}"
    if state.has_index and FileSystems.exists(settings_path):
        stored = read_json(settings_path)
        wanted = index_settings(dedup)
        if stored != wanted:
            changed = sorted(
                key
                for key in set(stored["dedup"]) | set(wanted["dedup"])
                if stored["dedup"].get(key) != wanted["dedup"].get(key)
            )
            raise IncompatibleIndexError(
                f"{root} was indexed with other dedup settings (differences: "
                f"{', '.join(changed) or 'feature layout'}); run with the dataset's settings "
                f"(see {settings_path}) or ingest into a new output"
            )
    return state
