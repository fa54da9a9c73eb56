"""Reading a folder of article files the way the bare datasketch loop does.

Standard library only: it is imported by the peer runners inside their own venvs,
where neither newsingest nor datasketch is installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def article_paths(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, sorted, except names starting ``_`` or ``.``."""
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(("_", "."))
    ]


def read_article(path: Path) -> str | None:
    """The text of one file (gunzipped for ``.gz``), or None for a corrupt ``.gz``.

    Bytes that are not UTF-8 become U+FFFD, as in ``bench/baseline_loop.py``.
    """
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    return data.decode("utf-8", "replace")


def iter_articles(folder: Path) -> Iterator[tuple[str, str]]:
    """``(relative path, text)`` for every readable article under ``folder``, sorted."""
    for path in article_paths(folder):
        text = read_article(path)
        if text is not None:
            yield str(path.relative_to(folder)), text


def print_summary(docs: int, duplicates: int, **extra: object) -> None:
    """The one JSON line ``bench/perf.py`` reads from a runner's output (its last line)."""
    print(json.dumps({"docs": docs, "duplicates": duplicates, **extra}), flush=True)


def peer_main(prog: str, run, argv: list[str] | None = None) -> int:
    """The command line of a peer runner: ``prog FOLDER [--workdir DIR]``.

    Calls ``run(folder, workdir)`` (a temporary workdir, removed afterwards, unless one
    is given) and prints its summary with :func:`print_summary`.
    """
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=prog.rsplit(".", 1)[-1] + "-"))
    try:
        summary = run(args.folder, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print_summary(**summary)
    return 0
