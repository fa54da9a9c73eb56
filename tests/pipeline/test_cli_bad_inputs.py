"""Bad inputs are quarantined with a reason, never dropped, and the accounting holds."""

from __future__ import annotations

import bz2
import gzip

from tests.helpers import articles, by_name, manifests, run_cli, table

GOOD = " date 2024-03-28 A perfectly ordinary article about river levels on the Danube.\n"


def _write_inputs(folder):
    folder.mkdir()
    files = {
        "good.txt": GOOD.encode(),
        "good-bom.txt": b"\xef\xbb\xbf" + GOOD.replace("ordinary", "regular").encode(),
        "good-utf16.txt": GOOD.replace("ordinary", "common").encode("utf-16"),
        "good.txt.bz2": bz2.compress(GOOD.replace("ordinary", "boring").encode()),
        "empty.txt": b"",
        "blank.txt": b" \n\t \n",
        "nul-bytes.bin": bytes(range(256)) * 4,
        "truncated.txt.gz": gzip.compress(GOOD.encode() * 50)[:40],
        "bomb.txt.gz": gzip.compress(b"a" * 5_000_000),
        "huge.txt": (GOOD * 400).encode(),
        "damaged-utf8.txt": "Zürich Straße € ".encode() * 3 + b"\xff\xfe\xfa broken",
        "header-only.txt": b" date 2024-03-28 ",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / ".hidden-in-progress.txt").write_bytes(GOOD.encode())


def test_bad_files_are_quarantined_with_reasons(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    _write_inputs(inputs)
    code = run_cli("--input", str(inputs), "--output", str(out), "--max-file-bytes", "20000")
    assert code == 0

    quarantine = by_name(table(out, "quarantine"))
    assert {name: row["reason"] for name, row in quarantine.items()} == {
        "empty.txt": "empty",
        "blank.txt": "empty",
        "nul-bytes.bin": "binary",
        "truncated.txt.gz": "corrupt_compression",
        "bomb.txt.gz": "too_large",
        "huge.txt": "too_large",
        "damaged-utf8.txt": "undecodable",
        "header-only.txt": "no_text",
    }
    for name, row in quarantine.items():
        assert row["detail"], name
        if name == "huge.txt":
            assert row["raw_content"] is None and row["size_bytes"] > 20000
        else:
            assert row["raw_content"] == (inputs / name).read_bytes(), name
            assert len(row["sha256"]) == 64

    kept = by_name(articles(out))
    assert set(kept) == {"good.txt", "good-bom.txt", "good-utf16.txt", "good.txt.bz2"}
    assert kept["good-bom.txt"]["text"].startswith("A perfectly regular")
    assert kept["good-utf16.txt"]["encoding"].startswith("utf-16")

    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert counts["read"] == 12
    assert counts["kept"] + counts["duplicates"] + counts["quarantined"] == 12
    assert counts["quarantined"] == 8


def test_missing_input_fails_clearly(tmp_path, capsys):
    code = run_cli("--input", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out"))
    assert code == 3
    assert "nowhere" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
