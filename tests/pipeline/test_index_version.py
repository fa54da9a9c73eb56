"""Index versioning: thresholds change freely between runs, shaping settings are refused."""

from __future__ import annotations

import orjson
import pytest

from newsingest.pipeline.dataset import IncompatibleIndexError, check_feature_version
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_version import feature_version
from tests.helpers import manifests, run_cli


def test_settings_split_into_shaping_and_deciding():
    config = DedupConfig()
    shaping, deciding = config.index_settings(), config.decision_settings()
    assert {"num_perm", "ngram", "seed", "lsh_threshold", "story_window_days"} <= set(shaping)
    assert {"near_threshold", "story_threshold", "story_group_threshold"} <= set(deciding)
    assert not set(shaping) & set(deciding)
    assert len(shaping) + len(deciding) == len(DedupConfig.__dataclass_fields__)


@pytest.mark.parametrize("change", [{"seed": 2}, {"num_perm": 64}, {"lsh_threshold": 0.6}])
def test_a_shaping_setting_changes_the_feature_version(change):
    assert feature_version(DedupConfig(**change)) != feature_version(DedupConfig())


@pytest.mark.parametrize(
    "change", [{"near_threshold": 0.9}, {"story_threshold": 0.95}, {"story_group_threshold": 0.8}]
)
def test_a_threshold_keeps_the_feature_version(change):
    assert feature_version(DedupConfig(**change)) == feature_version(DedupConfig())
    assert DedupConfig().with_decisions(**change) == DedupConfig(**change)


def test_with_decisions_refuses_a_shaping_setting():
    with pytest.raises(ValueError, match="reindex"):
        DedupConfig().with_decisions(seed=3)


def test_a_changed_threshold_runs_on_an_existing_index(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "tram.txt").write_text(
        " date 2024-04-02 Tram drivers in Linz will strike for two hours on Friday morning "
        "over pay, the transport union vida said, advising commuters to plan other routes.\n"
    )
    args = ("--input", str(fresh), "--output", str(out), "--run-id", "b")
    assert run_cli(*args, "--dedup-near-threshold", "0.85") == 0
    first, second = manifests(out)
    assert first["settings"]["dedup_decisions"]["near_threshold"] == 0.7
    assert second["settings"]["dedup_decisions"]["near_threshold"] == 0.85
    assert first["settings"]["feature_version"] == second["settings"]["feature_version"]
    stored = orjson.loads((out / "_index" / "_settings.json").read_bytes())
    assert stored["feature_version"] == first["settings"]["feature_version"]


def test_another_feature_version_is_refused_with_the_rebuild_hint(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--input", str(sample_dir), "--output", str(out), "--run-id", "a") == 0
    before = sorted(p.name for p in (out / "_index").iterdir())
    capsys.readouterr()
    args = ("--input", str(sample_dir), "--output", str(out), "--run-id", "b")
    assert run_cli(*args, "--dedup-seed", "7") == 1
    error = capsys.readouterr().err
    assert "feature version" in error and "seed 1 -> 7" in error
    assert f"newsingest reindex {out}" in error
    assert sorted(p.name for p in (out / "_index").iterdir()) == before
    assert [m["run_id"] for m in manifests(out)] == ["a"]
    with pytest.raises(IncompatibleIndexError, match="thresholds need no rebuild"):
        check_feature_version(str(out), DedupConfig(story_max_terms=100))
    check_feature_version(str(out), DedupConfig(story_threshold=0.99))
