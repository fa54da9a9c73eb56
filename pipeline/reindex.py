"""``newsingest reindex DIR``: rebuild the index's features from the stored articles.

Needed when the feature version changes (other shaping ``--dedup-*`` settings, or a
newsingest version with another ``FEATURE_VERSION``): the old index is refused
because its features and keys are not comparable with new ones. Reindexing reads
every kept article back (``articles/``: stored text, content hash, dates), computes
its features and bucket keys with the given settings, and carries every removed
article over from ``duplicates/`` with its decision. Removed articles' texts are not
stored, so their bucket keys are their content key only: identical copies still
follow them, but after a reindex parity with one run over everything holds for the
kept articles' buckets only.

The new ``_index/`` (one file plus ``_settings.json``) is written under
``_staging/`` and swapped in: locally with one atomic ``renameat2(RENAME_EXCHANGE)``
of the folder, elsewhere through a write-ahead plan (``recover`` finishes it after a
crash). Holds the dataset lock. Articles and duplicates are not modified.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from newsingest.pipeline.commit import COMMIT_PLAN, apply_plan, recover, write_json
from newsingest.pipeline.dataset import INDEX_SETTINGS, index_settings
from newsingest.pipeline.fsutil import ExchangeUnsupported, delete_tree, exchange_paths, is_local
from newsingest.pipeline.lock import DatasetLock, LockedError
from newsingest.pipeline.options import to_run_config
from newsingest.schemas import INDEX
from newsingest.transforms.core.candidate_keys import candidate_keys, content_only_keys
from newsingest.transforms.core.canonical import content_key, epoch_days, rank
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.stories import Resolution
from newsingest.transforms.core.text import strip_boilerplate
from newsingest.transforms.index import index_table
from newsingest.transforms.records import FeatureBatch
from newsingest.transforms.write import INDEX_ROW_GROUP_ROWS, write_parquet

__all__ = ["main", "reindex"]

_CHUNK = 2_000


def _tables(glob: str, columns: list[str]):
    for result in FileSystems.match([glob]):
        for meta in sorted(result.metadata_list, key=lambda m: m.path):
            with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                parquet = pq.ParquetFile(f)
                present = [c for c in columns if c in parquet.schema_arrow.names]
                table = parquet.read(columns=present)
            for name in columns:
                if name not in present:
                    table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
            yield table


def _kept_rows(root: str, config: DedupConfig):
    """Index rows of every kept article, recomputed from its stored text."""
    columns = [
        "article_id",
        "published_date",
        "published_at",
        "title",
        "text",
        "content_hash",
        "run_id",
        "story_id",
    ]
    for table in _tables(f"{root}/articles/*/*.parquet", columns):
        for start in range(0, table.num_rows, _CHUNK):
            rows = table.slice(start, _CHUNK).to_pylist()
            features = compute_features(
                [strip_boilerplate(r["text"]) for r in rows],
                [r["content_hash"] for r in rows],
                [epoch_days(r["published_date"]) for r in rows],
                config,
                titles=[r["title"] for r in rows],
            )
            batch = FeatureBatch(
                doc_keys=np.array([int(r["article_id"], 16) for r in rows], np.uint64),
                ranks=np.array(
                    [rank(r["published_date"], r["published_at"]) for r in rows], np.int64
                ),
                features=features,
                keys=candidate_keys(features, config),
            )
            stories = {
                int(r["article_id"], 16): int(r["story_id"], 16) for r in rows if r["story_id"]
            }
            built = index_table(batch, Resolution({}, stories), "")
            runs = pa.array([r["run_id"] for r in rows], pa.string())
            yield built.set_column(
                built.schema.get_field_index("run_id"), INDEX.arrow.field("run_id"), runs
            )


def _removed_rows(root: str, config: DedupConfig, old_ranks: dict[int, int]) -> pa.Table:
    """Index rows of every removed article: content-only keys and its decision."""
    columns = [
        "article_id",
        "duplicate_of",
        "method",
        "similarity",
        "published_date",
        "content_hash",
        "run_id",
        "story_id",
    ]
    rows = [
        row
        for table in _tables(f"{root}/duplicates/*.parquet", columns)
        for row in table.to_pylist()
    ]
    doc_keys = [int(r["article_id"], 16) for r in rows]
    keys = content_only_keys([r["content_hash"] for r in rows], config)
    width = config.num_keys
    return pa.table(
        {
            "article_id": [r["article_id"] for r in rows],
            "doc_key": pa.array(doc_keys, pa.uint64()),
            "content_key": pa.array([content_key(r["content_hash"]) for r in rows], pa.uint64()),
            "kept": [False] * len(rows),
            "rank": pa.array(
                [
                    old_ranks.get(k, rank(r["published_date"], None))
                    for k, r in zip(doc_keys, rows, strict=True)
                ],
                pa.int64(),
            ),
            "band_keys": pa.ListArray.from_arrays(
                pa.array((np.arange(len(rows) + 1) * width).astype(np.int32)),
                pa.array(keys.ravel(), pa.uint64()),
            ),
            "features": pa.nulls(len(rows), pa.binary()),
            "run_id": [r["run_id"] for r in rows],
            "duplicate_of": pa.array([int(r["duplicate_of"], 16) for r in rows], pa.uint64()),
            "method": [r["method"] for r in rows],
            "similarity": pa.array([r["similarity"] for r in rows], pa.float32()),
            "story_key": pa.array(
                [int(r["story_id"] or r["duplicate_of"], 16) for r in rows], pa.uint64()
            ),
        },
        schema=INDEX.arrow,
    )


def _old_ranks(root: str) -> dict[int, int]:
    ranks: dict[int, int] = {}
    for table in _tables(f"{root}/_index/*.parquet", ["doc_key", "rank"]):
        ranks.update(
            zip(table.column("doc_key").to_pylist(), table.column("rank").to_pylist(), strict=True)
        )
    return ranks


def _index_files(root: str) -> list[str]:
    return sorted(
        meta.path
        for result in FileSystems.match([f"{root}/_index/*"])
        for meta in result.metadata_list
    )


def reindex(root: str, config: DedupConfig) -> dict:
    """Rebuilds ``root``'s index with ``config`` under the dataset lock; returns counts."""
    root = root.rstrip("/")
    config.validate()
    stamp = f"reindex-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%fZ}"
    staging = f"{root}/_staging/{stamp}"
    with DatasetLock(root, owner=stamp):
        recover(root)
        if not FileSystems.match([f"{root}/_runs/*.json"])[0].metadata_list:
            raise FileNotFoundError(f"{root} has no committed runs: nothing to reindex")
        kept = list(_kept_rows(root, config))
        removed = _removed_rows(root, config, _old_ranks(root))
        table = pa.concat_tables([*kept, removed]).sort_by("article_id")
        target = f"{staging}/_index"
        write_parquet(f"{target}/part-{stamp}-00000.parquet", table, INDEX_ROW_GROUP_ROWS)
        write_json(f"{target}/_settings.json", index_settings(config))
        _swap(root, target, staging, stamp)
        delete_tree(staging)
    return {"kept": sum(t.num_rows for t in kept), "removed": removed.num_rows}


def _swap(root: str, target: str, staging: str, stamp: str) -> None:
    folder = f"{root}/_index"
    if is_local(folder) and FileSystems.exists(folder):
        try:
            exchange_paths(target, folder)
        except ExchangeUnsupported:
            pass
        else:
            return
    new = [f"{target}/part-{stamp}-00000.parquet", f"{target}/_settings.json"]
    plan = {
        "run_id": stamp,
        "moves": [[path, f"{folder}/{path.rsplit('/', 1)[-1]}"] for path in new],
        "deletes": [
            p for p in _index_files(root) if not p.endswith(INDEX_SETTINGS.rsplit("/", 1)[-1])
        ],
        "manifest_path": f"{staging}/_done.json",
        "manifest": {"reindex": stamp},
        "staging": target,
    }
    write_json(f"{staging}/{COMMIT_PLAN}", plan)
    apply_plan(plan)


def main(argv: list[str]) -> int:
    """``newsingest reindex DIR [--dedup-KNOB VALUE ...]``."""
    parser = argparse.ArgumentParser(
        prog="newsingest reindex",
        description="Rebuild a dataset's dedup index (features and bucket keys) from its stored "
        "articles, with this version's code and the given --dedup-* settings. Atomic; holds "
        "the dataset lock.",
        epilog="Dedup settings (--dedup-*) are accepted as for `newsingest run`.",
    )
    parser.add_argument("output", help="dataset root")
    args, rest = parser.parse_known_args(argv)
    try:
        options = PipelineOptions([*rest, "--input", args.output, "--output", args.output])
        config = to_run_config(options).dedup
    except (ValueError, SystemExit) as error:
        print(f"newsingest reindex: error: {error}", file=sys.stderr)
        return 2
    try:
        counts = reindex(args.output, config)
    except (LockedError, OSError, RuntimeError, ValueError) as error:
        print(f"newsingest reindex: failed: {error}", file=sys.stderr)
        return 1
    print(f"reindexed {args.output}: {counts['kept']} kept, {counts['removed']} removed articles")
    return 0
