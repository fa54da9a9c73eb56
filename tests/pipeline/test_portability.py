"""The sample run gives the same dataset on Beam's portable path as on the default runner.

The reference is the default runner (in-process FnApiRunner). The portable run goes through
Beam's Python job service with a LOOPBACK worker, the same Job API path as the Flink and Spark
job servers. Several local workers are refused (``test_misconfiguration``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from tests.helpers import articles, manifests, run_cli, table

RUN_ID = "portability"
_VOLATILE = ("ingested_at",)
_STARTUP_TIMEOUT_S = 30.0


def _rows(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in _VOLATILE} for row in rows]


def _dataset(out: Path) -> dict:
    """Everything a run writes that must not depend on the runner."""
    [manifest] = manifests(out)
    return {
        "articles": _rows(articles(out)),
        "duplicates": _rows(table(out, "duplicates")),
        "quarantine": _rows(table(out, "quarantine")),
        "counts": manifest["counts"],
        "files": manifest["files"],
    }


def _run(out: Path, *beam_args: str) -> dict:
    args = ["--input", str(SAMPLE_DIR), "--output", str(out), "--run-id", RUN_ID, *beam_args]
    assert run_cli(*args) == 0
    return _dataset(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    dataset = _run(tmp_path_factory.mktemp("default") / "out")
    assert len(dataset["articles"]) == 7
    assert len(dataset["duplicates"]) == 3
    assert len(dataset["quarantine"]) == 2
    return dataset


def _wait_for_port(proc: subprocess.Popen, port_file: Path, log: Path) -> int:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"job service exited with {proc.returncode}:\n{log.read_text()}")
        if port_file.exists():
            port = int(port_file.read_text())
            try:
                with socket.create_connection(("localhost", port), timeout=1):
                    return port
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(
        f"job service did not accept connections in {_STARTUP_TIMEOUT_S} s:\n{log.read_text()}"
    )


@pytest.fixture
def job_endpoint(tmp_path) -> str:
    """A Beam Python job service on a free localhost port, stopped when the test ends."""
    port_file, log = tmp_path / "job_service.port", tmp_path / "job_service.log"
    command = [
        sys.executable,
        "-m",
        "apache_beam.runners.portability.local_job_service_main",
        "--port=0",
        f"--port_file={port_file}",
    ]
    with log.open("wb") as log_handle:
        proc = subprocess.Popen(command, stdout=log_handle, stderr=subprocess.STDOUT)
        try:
            yield f"localhost:{_wait_for_port(proc, port_file, log)}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_portable_runner_with_loopback_worker_matches_default(reference, job_endpoint, tmp_path):
    portable = _run(
        tmp_path / "out",
        "--runner=PortableRunner",
        f"--job_endpoint={job_endpoint}",
        "--environment_type=LOOPBACK",
    )
    assert portable == reference
