"""Parity: date-ordered input gives the same clusters as one run, three runs and ``watch``.

The input is split in canonical (publication) order into three folders under one root,
so every file keeps its URI (and article id) whichever way it is ingested: one
``newsingest run`` over the root, three incremental runs (one per folder), and the
watcher's micro-batch driver over the same three folders.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bench.corpora import load_reuters, write_reuters
from bench.generate_corpus import CorpusConfig, generate_corpus
from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.microbatch import InputFile, batch_config, ingest_batch
from newsingest.transforms.core.canonical import rank
from newsingest.transforms.live_index import LiveIndex
from newsingest.transforms.normalize import normalize_batch
from newsingest.transforms.read import is_ignored_name, read_file
from newsingest.transforms.records import FileRef, QuarantineRecord, RawBatch
from tests.conftest import CORPORA_DIR
from tests.helpers import articles, run_cli, table

PARTS = 3
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not is_ignored_name(str(p)))


def _rank_of(path: Path) -> int:
    """The canonical rank the pipeline gives the file (unreadable files rank first)."""
    raw = read_file(FileRef(uri=str(path), size=path.stat().st_size), 10 << 20)
    if isinstance(raw, QuarantineRecord):
        return -1
    batch, _ = normalize_batch(RawBatch(articles=[raw]))
    if not len(batch):
        return -1
    return rank(batch.published_dates[0], batch.published_ats[0])


def _tie(ordered: list, position: int) -> bool:
    return ordered[position][0][0] == ordered[position - 1][0][0]


def split_in_date_order(source: Path, root: Path, parts: int = PARTS) -> list[Path]:
    """Moves ``source``'s files into ``root/part-K/`` in canonical order; returns the parts.

    Cuts fall only where the rank changes, so no tie spans two parts.
    """
    ordered = sorted(((_rank_of(p), p.relative_to(source).as_posix()), p) for p in _files(source))
    cuts, position = [], 0
    for k in range(1, parts):
        position = max(position, len(ordered) * k // parts)
        while 0 < position < len(ordered) and _tie(ordered, position):
            position += 1
        cuts.append(position)
    bounds = [0, *cuts, len(ordered)]
    folders = []
    for k in range(parts):
        folder = root / f"part-{k}"
        for (_, rel), path in ordered[bounds[k] : bounds[k + 1]]:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, folder / rel)
        folders.append(folder)
    return folders


def clusters(out: Path) -> dict[str, tuple[str, str | None]]:
    """``{source_uri: (canonical source_uri, method)}`` of every kept or removed article."""
    kept = {row["article_id"]: row["source_uri"] for row in articles(out)}
    result = {uri: (uri, None) for uri in kept.values()}
    for row in table(out, "duplicates"):
        result[row["source_uri"]] = (kept[row["duplicate_of"]], row["method"])
    return result


def _watch(folders: list[Path], out: Path) -> None:
    """The watcher's driver: one committed micro-batch per folder, against the live index."""
    base = RunConfig(inputs=(str(out),), output=str(out), run_id="watch", ingested_at=NOW)
    index = LiveIndex.load(str(out), base.dedup)
    for sequence, folder in enumerate(folders, 1):
        files = [InputFile(str(p), p.stat().st_size, p.stat().st_mtime) for p in _files(folder)]
        config = batch_config(base, NOW + dt.timedelta(seconds=sequence), sequence)
        result = ingest_batch(files, index, config)
        index.extend(result.index_rows, result.quarantine)


def differences(root: Path, folders: list[Path], work: Path) -> dict[str, int]:
    """Clusters that differ from one run's: after three runs, and through ``watch``."""
    one, three, watched = work / "one", work / "three", work / "watch"
    assert run_cli("--quiet", "--input", str(root), "--output", str(one)) == 0
    for folder in folders:
        assert run_cli("--quiet", "--input", str(folder), "--output", str(three)) == 0
    _watch(folders, watched)
    expected = clusters(one)
    return {
        name: sum(1 for uri, value in clusters(out).items() if expected.get(uri) != value)
        + len(set(expected) - set(clusters(out)))
        for name, out in (("three_runs", three), ("watch", watched))
    } | {"articles": len(expected), "merged": sum(1 for v in expected.values() if v[1])}


def test_generated_corpus_gives_the_same_clusters_every_way(tmp_path):
    source = tmp_path / "generated"
    generate_corpus(CorpusConfig(count=900, seed=11, days=20, per_folder=300), str(source), 1)
    root = tmp_path / "inbox"
    folders = split_in_date_order(source, root)
    found = differences(root, folders, tmp_path)
    assert found["merged"] > 50
    assert (found["three_runs"], found["watch"]) == (0, 0), found


REUTERS = CORPORA_DIR / "reuters21578"


@pytest.mark.skipif(not REUTERS.is_dir(), reason="../shared/corpora/reuters21578 is not present")
def test_reuters_subset_gives_the_same_clusters_every_way(tmp_path):
    source = tmp_path / "reuters"
    write_reuters(load_reuters(REUTERS)[:1900], source)
    root = tmp_path / "inbox"
    folders = split_in_date_order(source, root)
    found = differences(root, folders, tmp_path)
    print("parity", found)
    assert found["merged"] > 50
    assert (found["three_runs"], found["watch"]) == (0, 0), found
