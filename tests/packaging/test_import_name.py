"""The distribution installs one import name, ``newsingest``, and runs as ``python -m``."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_repository_folder_names_do_not_import():
    with pytest.raises(ModuleNotFoundError, match="newsingest.pipeline"):
        __import__("pipeline")


def test_python_dash_m_newsingest_is_the_cli(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "newsingest", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: newsingest COMMAND" in result.stdout


def test_installed_code_comes_from_the_package_mapping():
    import newsingest
    import newsingest.pipeline.cli
    import newsingest.schemas
    import newsingest.transforms.core.similarity

    assert Path(newsingest.pipeline.cli.__file__).parent == ROOT / "pipeline"
    assert Path(newsingest.transforms.core.similarity.__file__).parent == ROOT / "transforms/core"
    assert Path(newsingest.schemas.__file__).parent == ROOT / "schemas"
    assert newsingest.__version__ != "0+unknown"


def test_wheel_has_one_top_level_package(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("newsingest-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {
        name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")
    }
    assert top_level == {"newsingest"}
    assert "newsingest/__main__.py" in names
    assert "newsingest/pipeline/cli.py" in names
    assert "newsingest/transforms/core/similarity.py" in names
    assert "newsingest/schemas/SCHEMAS.md" in names
    assert "newsingest/transforms/core/story_model.json" in names
    assert not any("package_root" in name for name in names)
