"""bench/peers/folder.py: the files the bare loop and the peer runners read, and how."""

from __future__ import annotations

import gzip
import json

from bench.peers.folder import article_paths, iter_articles, print_summary


def test_reads_plain_and_gzip_files_sorted_and_skips_hidden_and_corrupt(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("second story", encoding="utf-8")
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"first story"))
    (tmp_path / "c.gz").write_bytes(b"not gzip at all")
    (tmp_path / "d.txt").write_bytes(b"caf\xe9 latin-1")
    (tmp_path / "_manifest.json").write_text("{}")
    (tmp_path / ".partial").write_text("half")

    assert [path.name for path in article_paths(tmp_path)] == ["a.txt.gz", "2.txt", "c.gz", "d.txt"]
    assert list(iter_articles(tmp_path)) == [
        ("a.txt.gz", "first story"),
        ("b/2.txt", "second story"),
        ("d.txt", "caf\ufffd latin-1"),
    ]


def test_summary_is_one_json_line(capsys):
    print_summary(3, 1, version="9.9", config="x")
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"docs": 3, "duplicates": 1, "version": "9.9", "config": "x"}
    ]
