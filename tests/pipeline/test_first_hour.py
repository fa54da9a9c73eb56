"""The first hour: the run summary says where the data is and what to run next, the
progress ends at the final count, and the report lands next to the dataset with tables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from newsingest.pipeline.cli import main
from tests.helpers import manifests

STRUCTURED = Path(__file__).resolve().parents[2] / "sample_data" / "structured"


def _run(*args: str, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "newsingest.pipeline.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_summary_names_the_dataset_and_runnable_next_steps(sample_dir, tmp_path):
    done = _run(
        "--input", str(sample_dir), "--input", str(STRUCTURED), "--output", "out",
        "--run-id", "r1", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    lines = done.stdout.splitlines()
    assert "  read         25 from 17 files" in lines
    assert f"dataset        {out}" in lines  # a relative --output is shown absolute
    assert f"  newsingest report {out}" in lines
    assert f"      -> {out}/_reports/report-r1.html" in lines
    assert f"  newsingest load duckdb --output {out} --database news.duckdb" in lines

    # The query is printed ready to paste: run it as printed.
    [query] = [line.strip() for line in lines if line.strip().startswith("SELECT")]
    rows = duckdb.sql(query.rstrip(";")).fetchall()
    per_date = manifests(out)[0]["counts"]["per_date"]
    assert {str(day) if day else "__HIVE_DEFAULT_PARTITION__": n for day, n in rows} == per_date

    # The commands printed run as printed.
    assert main(["report", str(out)]) == 0
    assert (out / "_reports" / "report-r1.html").is_file()
    database = tmp_path / "news.duckdb"
    assert main(["load", "duckdb", "--output", str(out), "--database", str(database)]) == 0


def test_the_summary_quotes_paths_with_spaces(sample_dir, tmp_path):
    out = tmp_path / "my data" / "news"
    done = _run("--input", str(sample_dir), "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert f"  newsingest report '{out}'" in done.stdout.splitlines()


def test_progress_ends_at_the_final_count(sample_dir, tmp_path):
    done = _run(
        "--input", str(sample_dir), "--input", str(STRUCTURED), "--output", str(tmp_path / "o"),
        "--progress-interval", "3600",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("newsingest:")]
    final = progress[-1]
    assert final.startswith("newsingest: read 17/17 files (25 records) | kept 15 | duplicates 4")
    assert "| quarantined 6 | skipped 0 |" in final and final.endswith("| done")


def test_json_progress_ends_with_a_final_event(sample_dir, tmp_path):
    done = _run(
        "--input", str(sample_dir), "--output", str(tmp_path / "o"), "--log-format", "json",
        "--progress-interval", "3600",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    final = events[-1]
    assert final["event"] == "progress" and final["final"] is True
    assert (final["read"], final["records"], final["kept"], final["quarantined"]) == (12, 12, 7, 2)
    [summary] = [json.loads(line) for line in done.stdout.splitlines()]
    assert summary["dataset"] == str(tmp_path / "o")


def test_quiet_prints_no_final_progress(sample_dir, tmp_path):
    done = _run("--input", str(sample_dir), "--output", str(tmp_path / "o"), "--quiet")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_report_defaults_next_to_the_data_and_shows_tables_not_reprs(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--input", str(sample_dir), "--output", str(out), "--run-id", "r1"]) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    target = out / "_reports" / "report-r1.html"
    assert f"wrote {target} (run r1)" in capsys.readouterr().out
    html = target.read_text(encoding="utf-8")
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    assert "{" not in body and "}" not in body, "a Python dict was rendered"

    def table_after(heading: str) -> list[list[str]]:
        start = body.index(f"<h3>{heading}</h3>")
        table = body[start : body.index("</table>", start)]
        return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:]]

    stages = table_after("CPU per stage")
    manifest = manifests(out)[0]
    assert {row[0] for row in stages} == {*manifest["timings_s"]["stage_cpu"], "total"}
    assert all(re.fullmatch(r"\d+\.\d{3}", row[1]) and row[2].endswith("%") for row in stages)
    counters = dict(table_after("Counters"))
    assert counters["files_read"] == "12" and counters["records_read"] == "12"
    phases = dict(table_after("Timings"))
    assert set(phases) == {"pipeline", "wall"}
    assert dict(table_after("Duplicates by method")) == {"exact": "1", "near": "1", "story": "1"}
    assert dict(table_after("Quarantined by reason")) == {"binary": "1", "empty": "1"}

    # Readers of the data never see the report.
    rows = duckdb.sql(
        f"select count(*) from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true)"
    ).fetchall()
    assert rows == [(7,)]


def test_report_out_still_chooses_the_path(sample_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--input", str(sample_dir), "--output", str(out), "--quiet"]) == 0
    target = tmp_path / "elsewhere" / "r.html"
    assert main(["report", str(out), "--out", str(target)]) == 0
    assert target.is_file() and not (out / "_reports").exists()
