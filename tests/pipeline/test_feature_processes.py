"""Profiles in pool processes beside the local runner's one worker: same dataset."""

from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from newsingest.pipeline.exitcodes import ExitCode
from newsingest.pipeline.options import NewsIngestOptions, feature_processes
from tests.helpers import dataset_snapshot, manifests, run_cli


def _chosen(*args: str) -> int:
    options = PipelineOptions(list(args))
    options.view_as(NewsIngestOptions)
    return feature_processes(options)


def test_the_local_runner_uses_every_core_and_distributed_runners_one_process():
    assert _chosen() == len(os.sched_getaffinity(0))
    assert _chosen("--runner=DataflowRunner") == 1
    assert _chosen("--feature-processes=3") == 3


def test_pool_processes_give_the_same_dataset(sample_dir, tmp_path):
    runs = {}
    for processes in ("1", "2"):
        out = tmp_path / f"p{processes}"
        args = ("--input", str(sample_dir), "--output", str(out), "--run-id", "r")
        assert run_cli(*args, "--feature-processes", processes, "--quiet") == 0
        runs[processes] = out
        assert manifests(out)[0]["settings"]["feature_processes"] == int(processes)
    assert dataset_snapshot(runs["1"]) == dataset_snapshot(runs["2"])


def test_zero_feature_processes_is_a_usage_error(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_cli("--input", str(sample_dir), "--output", str(out), "--feature-processes=0")
    assert code == ExitCode.USAGE
    assert "--feature_processes must be >= 1" in capsys.readouterr().err
