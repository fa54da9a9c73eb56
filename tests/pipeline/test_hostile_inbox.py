"""A hostile inbox: FIFOs, device and outside symlinks, dangling links and loops, names
that are not UTF-8, hidden folders, the output inside the input, glob characters in
paths. Every run is a real ``newsingest run`` subprocess with a timeout (a FIFO that is
opened hangs forever) and is read back with DuckDB: each input is counted exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from newsingest.transforms.core.file_selection import uri_to_path
from tests.helpers import articles, manifests, table

BODY = " date 2024-03-28 {} reported on river levels along the Danube near Vienna today.\n"
TIMEOUT_S = 180


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsingest", "run", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=cwd,
    )


def _write(path: Path, who: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BODY.format(who))


def _outcomes(out: Path) -> dict[str, str]:
    """source_uri -> kept / duplicate / quarantine reason, from the dataset itself."""
    found: dict[str, str] = {}
    for row in articles(out):
        found[row["source_uri"]] = "kept"
    for row in table(out, "duplicates"):
        found[row["source_uri"]] = "duplicate"
    for row in table(out, "quarantine"):
        assert row["source_uri"] not in found, row["source_uri"]
        found[row["source_uri"]] = row["reason"]
    return found


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
def test_hostile_inbox_is_recorded_not_read(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "inbox" / "dataset"
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    _write(inbox / "alpha.txt", "Alpha News")
    _write(inbox / "ok" / "beta.txt", "Beta Daily")
    _write(inbox / "_drafts" / "gamma.txt", "Gamma")
    _write(inbox / ".git" / "delta.txt", "Delta")
    _write(inbox / "_x.txt", "X")
    _write(inbox / ".x", "Y")
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    (inbox / "passwd.txt").symlink_to(outside)
    (inbox / "dangling.txt").symlink_to(inbox / "gone.txt")
    (inbox / "loop.txt").symlink_to(inbox / "loop.txt")
    (inbox / "ok" / "again.txt").symlink_to(inbox / "alpha.txt")
    latin1 = os.path.join(os.fsencode(str(inbox)), b"caf\xe9.txt")
    with open(latin1, "wb") as handle:
        handle.write(BODY.format("Caf\u00e9 Zeitung").encode())

    first = _run("--input", str(inbox), "--output", str(out))
    assert first.returncode == 0, first.stderr
    found = _outcomes(out)
    by_name = {os.path.basename(uri_to_path(uri)): what for uri, what in found.items()}
    assert by_name == {
        "alpha.txt": "kept",
        "beta.txt": "kept",
        os.fsdecode(b"caf\xe9.txt"): "kept",
        "pipe.txt": "not_a_regular_file",
        "zero.txt": "symlink_not_followed",
        "passwd.txt": "symlink_not_followed",
        "again.txt": "symlink_not_followed",
        "dangling.txt": "dangling_symlink",
        "loop.txt": "symlink_loop",
    }
    assert not any("root:x" in (row["text"] or "") for row in articles(out))
    quarantine = {os.path.basename(r["source_uri"]): r for r in table(out, "quarantine")}
    assert str(outside) in quarantine["passwd.txt"]["detail"]
    assert quarantine["pipe.txt"]["raw_content"] is None
    [uri] = [u for u in found if u.startswith("file://")]
    assert os.fsencode(uri_to_path(uri)) == latin1

    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert counts["read"] == len(found) == 9
    assert counts["ignored_by_rule"] == {"hidden": 2, "output": 1, "underscore": 2}

    # The output lies inside the input: the second run never reads it back.
    _write(inbox / "epsilon.txt", "Epsilon Post")
    second = _run("--input", str(inbox), "--output", str(out))
    assert second.returncode == 0, second.stderr
    second_counts = manifests(out)[-1]["counts"]
    assert second_counts["ignored_by_rule"] == {"hidden": 2, "output": 1, "underscore": 2}
    assert second_counts["kept"] == 1 and second_counts["read"] == 10
    assert not any("/dataset/" in uri for uri in _outcomes(out))


def test_one_file_has_one_source_uri_whatever_the_path_spelling(tmp_path):
    _write(tmp_path / "in" / "a.txt", "Alpha News")
    out = tmp_path / "out"
    assert _run("--input", "in/./", "--output", str(out), cwd=tmp_path).returncode == 0
    again = _run("--input", str(tmp_path / "in" / "a.txt"), "--output", str(out))
    assert again.returncode == 0, again.stderr
    [row] = articles(out)
    assert row["source_uri"] == os.path.realpath(tmp_path / "in" / "a.txt")
    assert manifests(out)[-1]["counts"]["skipped_already_ingested"] == 1


def test_glob_characters_in_input_and_output_paths(tmp_path):
    inbox, out = tmp_path / "in[1]*?", tmp_path / "out[1]*?"
    _write(inbox / "a.txt", "Alpha News")
    assert _run("--input", str(inbox), "--output", str(out)).returncode == 0
    assert len(articles(out)) == 1
    _write(inbox / "b.txt", "Beta Daily with another story entirely about trains")
    again = _run("--input", str(inbox), "--output", str(out))
    assert again.returncode == 0, again.stderr
    counts = manifests(out)[-1]["counts"]
    assert (counts["read"], counts["kept"], counts["skipped_already_ingested"]) == (2, 1, 1)
    listing = subprocess.run(
        [sys.executable, "-m", "newsingest", "runs", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert listing.returncode == 0 and len(listing.stdout.splitlines()) == 3
    compacted = subprocess.run(
        [sys.executable, "-m", "newsingest", "compact", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert compacted.returncode == 0, compacted.stderr
    assert len(articles(out)) == 2
    index_files = [str(p) for p in (out / "_index").iterdir() if p.suffix == ".parquet"]
    rows = duckdb.sql(f"select count(*) from read_parquet({index_files!r})").fetchall()
    assert rows == [(2,)]


def test_one_huge_single_line_file_keeps_memory_bounded(tmp_path):
    """An 8.9 MB article on one line peaked at 2.3 GB (MinHash held a num_perm x shingles
    matrix); it is now signed a block at a time. The bound (1 GiB for the whole process,
    interpreter and Beam included) is a regression guard, the figures are in
    ``bench/long_line.py``."""
    from bench.long_line import peak_rss_mb, write_long_line

    inbox = tmp_path / "in"
    inbox.mkdir()
    write_long_line(inbox / "one-line.txt", 8.9)
    command = [sys.executable, "-m", "newsingest", "run", "--quiet", "--input", str(inbox),
               "--output", str(tmp_path / "out")]  # fmt: skip
    peak_mib, _, code = peak_rss_mb(command)
    assert code == 0
    assert len(articles(tmp_path / "out")) == 1
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
