"""Silent misconfiguration becomes an error with an exit code from one table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsingest.pipeline.cli import main
from newsingest.pipeline.exitcodes import ExitCode
from tests.conftest import ROOT
from tests.helpers import articles, manifests, run_cli

GOOD = " date 2024-03-28 A perfectly ordinary article about river levels on the Danube.\n"


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    return folder


@pytest.mark.parametrize(
    "typo,value,closest",
    [
        ("--dedup-near-treshold", "0.5", "--dedup-near-threshold"),
        ("--max-file-byte", "10", "--max-file-bytes"),
        ("--direct_num_worker", "2", "--direct_num_workers"),
    ],
)
def test_a_mistyped_option_is_an_error_naming_the_closest(
    inbox, tmp_path, capsys, typo, value, closest
):
    out = tmp_path / "out"
    code = run_cli("--input", str(inbox), "--output", str(out), typo, value)
    assert code == ExitCode.USAGE == 2
    err = capsys.readouterr().err
    assert f"unknown option {typo}" in err and f"did you mean {closest}?" in err
    assert not out.exists()


def test_real_beam_options_still_pass_through(inbox, tmp_path):
    out = tmp_path / "out"
    code = run_cli(
        "--input", str(inbox), "--output", str(out), "--direct_num_workers=1",
        "--runner", "DirectRunner", "--dedup-near-threshold", "0.8", "--max-file-bytes=5000",
    )  # fmt: skip
    assert code == 0
    [manifest] = manifests(out)
    assert manifest["settings"]["max_file_bytes"] == 5000
    assert manifest["settings"]["dedup"]["near_threshold"] == 0.8


@pytest.mark.parametrize("mode", ["multi_processing", "multi_threading"])
def test_several_local_workers_are_refused_before_anything_is_read(inbox, tmp_path, capsys, mode):
    out = tmp_path / "out"
    code = run_cli(
        "--input", str(inbox), "--output", str(out),
        "--direct_num_workers=2", f"--direct_running_mode={mode}",
    )  # fmt: skip
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "--direct_num_workers=2 is refused" in err and "beam_parallel_loss" in err
    assert not out.exists()


def test_several_workers_are_accepted_on_a_distributed_runner():
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsingest.pipeline.options import check_local_parallelism

    check_local_parallelism(PipelineOptions(["--runner=DataflowRunner", "--direct_num_workers=4"]))
    check_local_parallelism(PipelineOptions(["--direct_num_workers=1"]))
    with pytest.raises(ValueError, match="refused"):
        check_local_parallelism(PipelineOptions(["--direct_num_workers=0"]))


def test_existing_but_empty_input_commits_nothing_and_says_so(tmp_path, capsys):
    inbox, out = tmp_path / "in", tmp_path / "out"
    (inbox / "_drafts").mkdir(parents=True)
    (inbox / "_drafts" / "a.txt").write_text(GOOD)
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    err = capsys.readouterr().err
    assert "nothing to ingest" in err and "underscore 1" in err and "nothing was committed" in err
    assert not out.exists()
    assert run_cli("--input", str(inbox / "*.txt"), "--output", str(out)) == 0
    assert "nothing to ingest" in capsys.readouterr().err and not out.exists()


def test_a_glob_under_a_missing_folder_is_a_missing_input(tmp_path, capsys):
    code = run_cli("--input", str(tmp_path / "nowhere" / "*.txt"), "--output", str(tmp_path / "o"))
    assert code == ExitCode.NOT_FOUND
    assert "nowhere" in capsys.readouterr().err


def test_watch_on_a_missing_input_fails_fast(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "newsingest", "watch", "--input", str(tmp_path / "nowhere"),
         "--output", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == ExitCode.NOT_FOUND
    assert "nowhere" in done.stderr and "does not exist" in done.stderr
    assert not (tmp_path / "out").exists()


def test_watch_refuses_a_mistyped_option(inbox, tmp_path, capsys):
    code = main(["watch", "--input", str(inbox), "--output", str(tmp_path / "o"), "--setle", "1"])
    assert code == ExitCode.USAGE
    assert "did you mean --settle?" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [["runs", "{d}"], ["runs", "{d}", "--json"], ["compact", "{d}"], ["report", "{d}"],
     ["load", "duckdb", "--output", "{d}", "--database", "{tmp}/w.duckdb"]],
    ids=["runs", "runs-json", "compact", "report", "load"],
)  # fmt: skip
def test_dataset_commands_on_a_non_dataset_exit_non_zero_and_write_nothing(
    tmp_path, capsys, monkeypatch, command
):
    folder = tmp_path / "not-a-dataset"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = [part.format(d=folder, tmp=tmp_path) for part in command]
    assert main(argv) == ExitCode.NOT_FOUND
    assert "not a newsingest dataset" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert list(work.iterdir()) == [] and not (tmp_path / "w.duckdb").exists()
    missing = [part.format(d=tmp_path / "missing", tmp=tmp_path) for part in command]
    assert main(missing) == ExitCode.NOT_FOUND
    assert not (tmp_path / "missing").exists()


def test_the_readme_documents_one_exit_code_table_matching_the_code():
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `(\d)` \| `(\w+)` \|", readme, flags=re.MULTILINE)
    assert [(int(code), name) for code, name in rows] == [(c.value, c.name) for c in ExitCode]


def test_run_exit_codes_are_those_of_the_table(inbox, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--input", str(inbox), "--output", str(out)) == ExitCode.OK
    assert len(articles(out)) == 1
    assert run_cli("--input", str(inbox), "--output", str(out), "--chunk-size", "0") == 2
    assert run_cli("--input", str(tmp_path / "missing"), "--output", str(out)) == 3
    assert main(["runs", str(out)]) == ExitCode.OK
    capsys.readouterr()
