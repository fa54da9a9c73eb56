"""Shared fixtures: bundled sample data, optional shared corpora, a local runner.

The suite imports the code only under its installed name, ``newsingest``: the repository
root is on ``sys.path`` (for ``bench``), so the root folders would otherwise also import
as ``pipeline``, ``transforms`` and ``schemas`` and hide a broken package mapping.
"""

from __future__ import annotations

import importlib.abc
import sys
from pathlib import Path

import pytest

UNINSTALLED_NAMES = frozenset({"pipeline", "transforms", "schemas"})


class UninstalledNameBlocker(importlib.abc.MetaPathFinder):
    """Refuses the repository's folder names as top-level modules."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in UNINSTALLED_NAMES:
            raise ModuleNotFoundError(
                f"{fullname!r} is not an installed name: import newsingest.{fullname}",
                name=fullname,
            )
        return None


sys.meta_path.insert(0, UninstalledNameBlocker())

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data" / "articles"
SHARED_DIR = ROOT.parent / "shared"
SEEDS_DIR = SHARED_DIR / "seeds"
CORPORA_DIR = SHARED_DIR / "corpora"


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.skip("../shared/seeds is not present")
    return SEEDS_DIR


@pytest.fixture
def local_runner():
    """Beam's FnApiRunner (the DirectRunner's engine), without the Prism attempt."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    return FnApiRunner()
