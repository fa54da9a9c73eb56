"""The deployment files parse, agree with the CLI, and the wrappers actually run."""

from __future__ import annotations

import argparse
import configparser
import importlib.util
import json
import os
import py_compile
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import apache_beam
import pytest

import newsingest.pipeline.cli
from newsingest.pipeline.options import add_run_arguments
from tests.conftest import ROOT, SAMPLE_DIR

DEPLOY = ROOT / "deploy"
METADATA = DEPLOY / "dataflow" / "metadata.json"
MAIN_PY = DEPLOY / "dataflow" / "main.py"
BATCH = DEPLOY / "bin" / "newsingest-batch"
SYSTEMD = DEPLOY / "systemd"
PARAM_TYPES = {
    "TEXT",
    "BOOLEAN",
    "GCS_READ_FILE",
    "GCS_READ_FOLDER",
    "GCS_WRITE_FILE",
    "GCS_WRITE_FOLDER",
}


def _run_defaults() -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    return {action.dest: action.default for action in parser._actions if action.dest != "help"}


def _load_main_py():
    spec = importlib.util.spec_from_file_location("newsingest_flex_main", MAIN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Dataflow Flex Template


def test_metadata_has_required_fields_and_types():
    metadata = json.loads(METADATA.read_text())
    assert isinstance(metadata["name"], str) and metadata["name"]
    assert isinstance(metadata["description"], str) and len(metadata["description"]) > 20
    params = {p["name"]: p for p in metadata["parameters"]}
    assert len(params) == len(metadata["parameters"]), "duplicate parameter names"
    assert {"input", "output", "run_id", "chunk_size", "num_shards"} <= set(params)
    assert any(name.startswith("dedup_") for name in params)
    for name, param in params.items():
        assert isinstance(param["label"], str) and param["label"], name
        assert isinstance(param["helpText"], str) and len(param["helpText"]) > 20, name
        assert isinstance(param.get("isOptional", False), bool), name
        assert param["paramType"] in PARAM_TYPES, name
        assert param["regexes"] and all(isinstance(r, str) for r in param["regexes"]), name
        for regex in param["regexes"]:
            re.compile(regex)
    assert params["input"]["isOptional"] is False
    assert params["output"]["isOptional"] is False


def test_metadata_parameters_are_run_options_and_accept_their_defaults():
    params = json.loads(METADATA.read_text())["parameters"]
    defaults = _run_defaults()
    for param in params:
        assert param["name"] in defaults, f"{param['name']} is not a `newsingest run` option"
        default = defaults[param["name"]]
        if default is None or param["name"] in ("input", "output"):
            continue
        text = str(default).lower() if isinstance(default, bool) else str(default)
        assert all(re.fullmatch(r, text) for r in param["regexes"]), (param["name"], text)


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("input", "gs://news-landing/2024/03/28/**", True),
        ("input", "gs://news-landing/one-file.txt.gz", True),
        ("input", "/srv/news/landing", False),
        ("output", "gs://news-lake/dataset", True),
        ("output", "s3://news-lake/dataset", False),
        ("run_id", "20240328T090000Z", True),
        ("run_id", "../escape", False),
        ("run_id", "has space", False),
        ("chunk_size", "0", False),
        ("num_shards", "128", True),
        ("num_shards", "-4", False),
        ("dedup_near_threshold", "0.85", True),
        ("dedup_near_threshold", "1", True),
        ("dedup_near_threshold", "0", False),
        ("dedup_near_threshold", "1.5", False),
        ("dedup_story_enabled", "false", True),
        ("dedup_story_enabled", "maybe", False),
    ],
)
def test_metadata_regexes(name, value, valid):
    params = {p["name"]: p for p in json.loads(METADATA.read_text())["parameters"]}
    assert all(re.fullmatch(r, value) for r in params[name]["regexes"]) is valid


def test_flex_main_compiles_and_delegates_to_the_cli(monkeypatch, tmp_path):
    py_compile.compile(str(MAIN_PY), cfile=str(tmp_path / "main.pyc"), doraise=True)
    module = _load_main_py()
    assert module.cli_main is newsingest.pipeline.cli.main
    calls = []
    monkeypatch.setattr(module, "cli_main", lambda argv: calls.append(argv) or 7)
    assert module.main(["--input=gs://b/x/**", "--output=gs://b/out"]) == 7
    monkeypatch.setattr(sys, "argv", ["main.py", "--run_id=r1"])
    assert module.main() == 7
    assert calls == [
        ["run", "--input=gs://b/x/**", "--output=gs://b/out", "--commit-in-pipeline"],
        ["run", "--run_id=r1", "--commit-in-pipeline"],
    ]


def test_flex_main_runs_the_sample_as_the_launcher_would(tmp_path):
    out = tmp_path / "out"
    args = [f"--input={SAMPLE_DIR}", f"--output={out}", "--run_id=flex", "--num_shards=4"]
    result = subprocess.run(
        [sys.executable, str(MAIN_PY), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "run flex committed" in result.stdout
    assert json.loads((out / "_runs" / "flex.json").read_text())["counts"]["read"] == 12


# Dockerfiles


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _final_stage(instructions):
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[-1] :]


def test_dockerfile_is_a_slim_non_root_beam_sdk_container_with_the_package():
    instructions = _instructions(DEPLOY / "Dockerfile")
    args = dict(
        rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest
    )
    assert args["BEAM_VERSION"] == apache_beam.__version__
    assert args["PYTHON_VERSION"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    final = _final_stage(instructions)
    assert final[0] == ("FROM", "python:${PYTHON_VERSION}-slim")
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert "apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION} AS beam_sdk" in froms
    assert ("COPY", "--from=beam_sdk /opt/apache/beam /opt/apache/beam") in final
    runs = " ".join(rest for keyword, rest in final if keyword == "RUN")
    assert re.search(r"pip install \"\.\[gcp\]\" \"apache-beam\[gcp\]==\$\{BEAM_VERSION\}\"", runs)
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, "no USER in the final stage"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert final[-1] == ("ENTRYPOINT", '["/opt/apache/beam/boot"]')


def test_dockerfile_copies_only_what_its_dockerignore_sends():
    instructions = _instructions(DEPLOY / "Dockerfile")
    allowed = {
        line.lstrip("!").rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = [
        rest.split()[0]
        for keyword, rest in instructions
        if keyword == "COPY" and not rest.startswith("--from")
    ]
    assert sources and set(sources) <= allowed
    assert all((ROOT / source).exists() for source in sources)


def test_dataflow_dockerfile_points_the_launcher_at_main_py():
    instructions = _instructions(DEPLOY / "dataflow" / "Dockerfile")
    copies = dict(
        rest.split()[:2]
        for keyword, rest in instructions
        if keyword == "COPY" and "--from" not in rest
    )
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    target = copies["deploy/dataflow/main.py"]
    assert f"FLEX_TEMPLATE_PYTHON_PY_FILE={target}" in env
    assert any(
        "/opt/google/dataflow/python_template_launcher" in rest
        for keyword, rest in instructions
        if keyword == "COPY"
    )


# systemd


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    assert parser.read(SYSTEMD / name) == [str(SYSTEMD / name)]
    return parser


@pytest.mark.parametrize("name", ["newsingest-batch.service", "newsingest-watch.service"])
def test_services_run_newsingest_as_a_service_user(name):
    unit = _unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    assert unit["Unit"]["Description"]
    exec_start = unit["Service"]["ExecStart"]
    assert exec_start.startswith("/") and "newsingest" in exec_start
    assert unit["Service"]["User"] not in ("root", "0")
    assert unit["Install"]["WantedBy"]


def test_batch_service_is_oneshot_and_its_timer_starts_it():
    service, timer = _unit("newsingest-batch.service"), _unit("newsingest-batch.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert "newsingest-batch" in service["Service"]["ExecStart"]
    assert {"Unit", "Timer", "Install"} <= set(timer.sections())
    assert timer["Timer"]["OnCalendar"]
    assert timer["Timer"]["Unit"] == "newsingest-batch.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_watch_service_restarts_on_failure_and_stops_gracefully():
    service = _unit("newsingest-watch.service")["Service"]
    assert " watch " in service["ExecStart"]
    assert "--input" in service["ExecStart"] and "--output" in service["ExecStart"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] in ("SIGINT", "SIGTERM")
    assert re.fullmatch(r"\d+(s|min)?", service["TimeoutStopSec"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_units_pass_systemd_analyze_verify():
    units = sorted(str(p) for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer"))
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert not problems, "\n".join(problems)


# cron

_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _cron_jobs() -> list[str]:
    lines = (DEPLOY / "cron" / "newsingest.cron").read_text().splitlines()
    return [
        line
        for line in lines
        if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^[A-Z_]+=", line)
    ]


def test_cron_line_has_five_valid_time_fields_and_a_locked_command():
    [job] = _cron_jobs()
    fields = job.split()
    for field, (low, high) in zip(fields[:5], _CRON_RANGES, strict=True):
        assert _CRON_FIELD.match(field), field
        for number in re.findall(r"\d+", field.split("/")[0]):
            assert low <= int(number) <= high, field
    command = " ".join(fields[5:])
    assert command.startswith("flock -n ") and "newsingest-batch" in command
    assert "%" not in command, "cron turns an unescaped % into a newline"


# Airflow


def test_airflow_dag_compiles(tmp_path):
    dag = DEPLOY / "airflow" / "newsingest_dag.py"
    py_compile.compile(str(dag), cfile=str(tmp_path / "dag.pyc"), doraise=True)


def test_airflow_dag_imports_with_the_beam_operator():
    pytest.importorskip("airflow")
    pytest.importorskip("airflow.providers.apache.beam")
    spec = importlib.util.spec_from_file_location(
        "newsingest_dag", DEPLOY / "airflow/newsingest_dag.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    task = module.dag.get_task("newsingest_run")
    assert type(task).__name__ == "BeamRunPythonPipelineOperator"
    assert task.py_file.endswith("deploy/dataflow/main.py")
    assert task.runner == "DirectRunner"
    assert {"input", "output", "run_id"} <= set(task.pipeline_options)


# The scheduled batch wrapper


def _fake_newsingest(tmp_path: Path, exit_code: int) -> Path:
    log = tmp_path / "calls.log"
    fake = tmp_path / f"fake-newsingest-{exit_code}"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexit {exit_code}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _batch(tmp_path: Path, fake: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NEWSINGEST=str(fake))
    return subprocess.run(
        ["bash", str(BATCH), str(tmp_path / "inbox"), str(tmp_path / "work"), "/data/out", "--x=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_batch_wrapper_is_valid_bash():
    subprocess.run(["bash", "-n", str(BATCH)], check=True)
    assert BATCH.stat().st_mode & stat.S_IXUSR


def test_batch_wrapper_moves_ready_files_retries_failures_and_archives(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt.gz", "c.txt.part", ".hidden", "_meta"):
        (inbox / name).write_text(name)

    failed = _batch(tmp_path, _fake_newsingest(tmp_path, 3))
    assert failed.returncode == 3
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file()) == [
        ".hidden",
        "_meta",
        "c.txt.part",
    ]
    [pending] = list((tmp_path / "work" / "pending").iterdir())
    assert sorted(str(p.relative_to(pending)) for p in pending.rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt.gz",
    ]

    (inbox / "d.txt").write_text("d")
    done = _batch(tmp_path, _fake_newsingest(tmp_path, 0))
    assert done.returncode == 0, done.stderr
    assert not list((tmp_path / "work" / "pending").iterdir())
    archived = sorted(p.name for p in (tmp_path / "work" / "done").iterdir())
    assert archived[0] == pending.name and len(archived) == 2
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert (
        calls[0]
        == calls[1]
        == f"run --input {pending} --output /data/out --run-id {pending.name} --x=1"
    )
    assert len(calls) == 3 and calls[2].endswith(f"--run-id {archived[1]} --x=1")


# README


def test_readme_mentions_every_deploy_file():
    readme = (DEPLOY / "README.md").read_text()
    files = [
        p.relative_to(DEPLOY).as_posix()
        for p in DEPLOY.rglob("*")
        if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts
    ]
    # warehouse/ is maintained with the warehouse loader and documented in its own files.
    files = [f for f in files if not f.startswith("warehouse/")]
    missing = [f for f in files if f not in readme]
    assert not missing, f"deploy/README.md does not mention {missing}"
