"""Paths and prior state of a dataset root (local or bucket)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import orjson
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_version import feature_identity, feature_version
from newsingest.transforms.core.file_selection import escape_glob

__all__ = [
    "DatasetState",
    "IncompatibleIndexError",
    "NotADatasetError",
    "check_feature_version",
    "index_settings",
    "inspect",
    "is_dataset",
    "rebuild_hint",
    "require_dataset",
]

INDEX_SETTINGS = "_index/_settings.json"


class IncompatibleIndexError(ValueError):
    """The dataset's index has another feature version than this run computes."""


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


def _read_json(path: str):
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return orjson.loads(handle.read())


def index_settings(dedup: DedupConfig) -> dict:
    """What is stored beside the index: its feature version and what it hashes."""
    return {"feature_version": feature_version(dedup), "identity": feature_identity(dedup)}


def rebuild_hint(root: str) -> str:
    """How to rebuild ``root``'s index for other shaping settings or another version."""
    return (
        f"rebuild it with `newsingest reindex {root} [--dedup-KNOB VALUE ...]` (the same "
        f"shaping --dedup options as this run; thresholds need no rebuild), or ingest into a "
        f"new output"
    )


def _differences(stored: dict, wanted: dict) -> list[str]:
    old, new = stored.get("identity", {}), wanted["identity"]
    changed = [
        f"{name} {old.get('settings', {}).get(name)!r} -> {value!r}"
        for name, value in new["settings"].items()
        if old.get("settings", {}).get(name) != value
    ]
    changed += [
        part for part in ("code", "fields", "word_lists", "libraries") if old.get(part) != new[part]
    ]
    return changed


@dataclass(frozen=True)
class DatasetState:
    """What earlier runs left under ``root``."""

    root: str
    has_index: bool
    has_quarantine: bool
    has_duplicates: bool = False

    @property
    def index_glob(self) -> str:
        return f"{escape_glob(self.root)}/_index/*.parquet"

    @property
    def quarantine_glob(self) -> str:
        return f"{escape_glob(self.root)}/quarantine/*.parquet"

    @property
    def duplicates_glob(self) -> str:
        return f"{escape_glob(self.root)}/duplicates/*.parquet"


def check_feature_version(root: str, dedup: DedupConfig) -> None:
    """Raises IncompatibleIndexError unless ``root``'s index has ``dedup``'s feature version.

    Only the settings that shape features and keys count: thresholds that only decide
    may differ from the runs that built the index. An index without settings is new.
    """
    settings_path = f"{root}/{INDEX_SETTINGS}"
    if not FileSystems.exists(settings_path):
        return
    stored = _read_json(settings_path)
    wanted = index_settings(dedup)
    if stored.get("feature_version") != wanted["feature_version"]:
        raise IncompatibleIndexError(
            f"{root}'s index has feature version {stored.get('feature_version', 'unversioned')}, "
            f"this run computes {wanted['feature_version']} (differences: "
            f"{', '.join(_differences(stored, wanted)) or 'format'}); {rebuild_hint(root)}"
        )


def inspect(root: str, dedup: DedupConfig) -> DatasetState:
    """The state of ``root``; raises IncompatibleIndexError on another feature version."""
    state = DatasetState(
        root=root,
        has_index=False,
        has_quarantine=False,
    )
    state = dataclasses.replace(
        state,
        has_index=_has_files(state.index_glob),
        has_quarantine=_has_files(state.quarantine_glob),
        has_duplicates=_has_files(state.duplicates_glob),
    )
    if state.has_index:
        check_feature_version(root, dedup)
    return state
