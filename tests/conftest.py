"""Shared fixtures: bundled sample data, optional shared corpora, a local runner."""

from __future__ import annotations

from pathlib import Path

import pytest

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
