"""Large inputs as consecutive slices: one ``newsingest run``, several committed runs."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from newsingest.pipeline.exitcodes import ExitCode
from newsingest.pipeline.options import LOCAL_SLICE_FILES, NewsIngestOptions, slice_files
from newsingest.pipeline.slices import combine_manifests, cut_selection, slice_run_ids
from newsingest.transforms.core.file_selection import Listed, Selection
from newsingest.transforms.read import select_inputs
from tests.helpers import articles, dataset_snapshot, manifests, run_cli, table


def _selection(names: list[str], ignored: dict | None = None) -> Selection:
    return Selection([Listed(f"file:///in/{n}", 1, 0.0) for n in names], Counter(ignored or {}))


def test_slices_follow_the_sorted_uris_whatever_the_listing_order():
    names = [f"{i:02d}.txt" for i in range(7)]
    shuffled = names[:]
    random.Random(3).shuffle(shuffled)
    parts = cut_selection(_selection(shuffled, {"hidden": 2}), 3)
    assert [[f.uri.rsplit("/", 1)[1] for f in p.files] for p in parts] == [
        names[0:3], names[3:6], names[6:7],
    ]  # fmt: skip
    assert [dict(p.ignored) for p in parts] == [{"hidden": 2}, {}, {}]
    assert len(cut_selection(_selection(names), 0)) == 1
    assert len(cut_selection(_selection(names), 7)) == 1
    with pytest.raises(ValueError, match=">= 0"):
        cut_selection(_selection(names), -1)


def test_slice_run_ids_keep_a_single_run_id_and_sort_several():
    assert slice_run_ids("r", 1) == ["r"]
    ids = slice_run_ids("r", 12)
    assert ids[0] == "r.01of12" and ids[-1] == "r.12of12" and ids == sorted(ids)


def test_combined_manifest_sums_counts_and_cpu_but_takes_the_whole_wall_time():
    def manifest(run_id, kept, near, cpu):
        counts = {"read": kept + near, "kept": kept, "duplicates": near, "quarantined": 0,
                  "skipped_already_ingested": 0, "duplicates_by_method": {"near": near},
                  "quarantined_by_reason": {}, "per_date": {"2024-01-01": kept}}  # fmt: skip
        return {"run_id": run_id, "counts": counts,
                "timings_s": {"wall": 9.0, "stage_cpu": {"features": cpu}}}  # fmt: skip

    combined = combine_manifests(
        "r", [manifest("r.1of2", 5, 1, 1.25), manifest("r.2of2", 3, 2, 0.5)], 20.0
    )
    assert combined["slices"] == ["r.1of2", "r.2of2"]
    assert combined["counts"]["read"] == 11 and combined["counts"]["kept"] == 8
    assert combined["counts"]["duplicates_by_method"] == {"near": 3}
    assert combined["counts"]["per_date"] == {"2024-01-01": 8}
    assert combined["timings_s"]["stage_cpu"] == {"features": 1.75}
    assert combined["timings_s"]["wall"] == 20.0
    single = manifest("r", 1, 0, 0.1)
    assert combine_manifests("r", [single], 3.0) is single


def test_the_local_runner_slices_by_default_and_distributed_runners_do_not():
    def chosen(*args):
        options = PipelineOptions(list(args))
        options.view_as(NewsIngestOptions)
        return slice_files(options)

    assert chosen() == LOCAL_SLICE_FILES
    assert chosen("--runner=DataflowRunner") == 0
    assert chosen("--runner=FlinkRunner", "--slice-files=500") == 500
    assert chosen("--slice_files=0") == 0


def test_a_negative_slice_size_is_a_usage_error(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_cli("--input", str(sample_dir), "--output", str(out), "--slice-files=-1")
    assert code == ExitCode.USAGE
    assert "--slice_files must be >= 0" in capsys.readouterr().err
    assert not out.exists()


def test_a_sliced_run_equals_consecutive_runs_over_its_slices(sample_dir, tmp_path, capsys):
    sliced = tmp_path / "sliced"
    code = run_cli(
        "--input", str(sample_dir), "--output", str(sliced), "--run-id", "r",
        "--slice-files", "4", "--log-format", "json",
    )  # fmt: skip
    assert code == 0
    summary = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"summary"' in line
    ][-1]
    files = select_inputs([str(sample_dir)]).files
    slices = [files[i : i + 4] for i in range(0, len(files), 4)]
    ids = [f"r.{k}of{len(slices)}" for k in range(1, len(slices) + 1)]
    assert len(slices) >= 3 and summary["slices"] == ids
    assert [m["run_id"] for m in manifests(sliced)] == ids
    for manifest, part in zip(manifests(sliced), slices, strict=True):
        counts = manifest["counts"]
        assert manifest["accounting_ok"] and counts["read"] == len(part)
    outcomes = ("kept", "duplicates", "quarantined", "skipped_already_ingested")
    assert summary["read"] == len(files) == sum(summary[k] for k in outcomes)

    consecutive = tmp_path / "consecutive"
    for run_id, part in zip(ids, slices, strict=True):
        inputs = [a for f in part for a in ("--input", f.uri.removeprefix("file://"))]
        assert run_cli(*inputs, "--output", str(consecutive), "--run-id", run_id,
                       "--slice-files", "0", "--quiet") == 0  # fmt: skip
    assert dataset_snapshot(sliced) == dataset_snapshot(consecutive)
    kept_ids = {row["article_id"] for row in articles(sliced)}
    assert kept_ids and all(d["duplicate_of"] in kept_ids for d in table(sliced, "duplicates"))


def test_a_run_id_whose_slice_is_committed_is_refused_before_any_slice_runs(
    sample_dir, tmp_path, capsys
):
    out = tmp_path / "out"
    args = ("--input", str(sample_dir), "--output", str(out), "--slice-files", "4", "--quiet")
    assert run_cli(*args, "--run-id", "r") == 0
    committed = manifests(out)
    assert run_cli(*args, "--run-id", "r") != 0
    assert "already committed" in capsys.readouterr().err
    assert manifests(out) == committed
    assert run_cli(*args, "--run-id", "again") == 0
    again = [m for m in manifests(out) if m["run_id"].startswith("again.")]
    assert again and all(m["counts"]["kept"] == 0 for m in again)
    assert sum(m["counts"]["read"] for m in again) == sum(m["counts"]["read"] for m in committed)
