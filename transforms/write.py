"""WriteDataset: kept articles, duplicates and quarantine as Hive-partitioned Parquet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
from apache_beam.io.filesystems import FileSystems

from newsingest.schemas import ARTICLES, DUPLICATES, INDEX, QUARANTINE
from newsingest.transforms.core.canonical import article_id
from newsingest.transforms.core.crashpoints import crash_point
from newsingest.transforms.core.stories import Resolution, story_id
from newsingest.transforms.index import index_table
from newsingest.transforms.records import ArticleBatch, FeatureBatch, quarantine_table
from newsingest.transforms.timing import stage_timer

__all__ = [
    "INDEX_ROW_GROUP_ROWS",
    "ROW_GROUP_ROWS",
    "WriteDataset",
    "WrittenFile",
    "NULL_PARTITION",
    "partition_name",
    "split_batch",
    "write_table_files",
]

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True)
class WrittenFile:
    """One Parquet file written by a run (path relative to the dataset root)."""

    table: str
    partition: str | None
    path: str
    rows: int
    counts: tuple[tuple[str, int], ...] = ()


def partition_name(day: dt.date | None) -> str:
    """Hive partition directory for a published date (null dates included)."""
    return f"date={NULL_PARTITION if day is None else day.isoformat()}"


def split_batch(
    batch: ArticleBatch,
    resolution: Resolution,
    run_id: str,
    ingested_at: dt.datetime,
) -> Iterator[tuple[tuple[str, str | None], pa.Table]]:
    """Splits a batch into ``(("articles", partition), kept rows)`` per date partition
    and ``(("duplicates", None), removed rows)``, applying ``resolution`` (decisions
    and every row's ``story_id``)."""
    decisions = resolution.decisions
    stories = [story_id(resolution.story_key(key)) for key in batch.doc_keys.tolist()]
    table = batch.to_table(run_id, ingested_at, stories)
    removed = [i for i, key in enumerate(batch.doc_keys.tolist()) if key in decisions]
    if removed:
        yield (
            ("duplicates", None),
            _duplicates_table(batch, removed, decisions, stories, run_id, ingested_at),
        )
        keep_mask = pa.array([key not in decisions for key in batch.doc_keys.tolist()])
        table = table.filter(keep_mask)
    for partition, rows in _partitions(table).items():
        yield ("articles", partition), table.take(rows)


_BY_SHARD = "-by-shard"
_ARTICLE_SHARD = "articles" + _BY_SHARD


def _partition_shard(partition: str, shards: int) -> int:
    return xxhash.xxh32_intdigest(partition.encode()) % shards


def _sharded_batch(
    batch: ArticleBatch,
    resolution: Resolution,
    run_id: str,
    ingested_at: dt.datetime,
    shards: int,
    flat_shards: int,
) -> Iterator[tuple[tuple[str, str | None], pa.Table]]:
    """``split_batch``, with a batch's date partitions gathered into ``shards`` tables.

    A partition always maps to the same shard, so one writer sees all its rows;
    the shuffle carries a few tables per batch instead of one per date.
    """
    by_shard: dict[int, list[pa.Table]] = {}
    for key, table in split_batch(batch, resolution, run_id, ingested_at):
        if key[0] != "articles":
            yield from _rows_by_shard(key[0], table, flat_shards)
            continue
        by_shard.setdefault(_partition_shard(key[1], shards), []).append(table)
    for shard, tables in sorted(by_shard.items()):
        yield (_ARTICLE_SHARD, str(shard)), pa.concat_tables(tables)


def _rows_by_shard(table_name: str, table: pa.Table, shards: int):
    """Rows of a flat table (duplicates, index) keyed by ``article key % shards``.

    Spreads the writing of a large run over ``shards`` writers (one file each).
    """
    keys = np.array([int(a, 16) for a in table.column("article_id").to_pylist()], dtype=np.uint64)
    owner = (keys % np.uint64(shards)).astype(np.int64)
    for shard in np.unique(owner).tolist():
        yield (f"{table_name}{_BY_SHARD}", str(shard)), table.filter(pa.array(owner == shard))


def _partitions(table: pa.Table) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, day in enumerate(table.column("published_date").to_pylist()):
        rows.setdefault(partition_name(day), []).append(i)
    return rows


def _index_rows(batch: FeatureBatch, resolution: Resolution, run_id: str, shards: int):
    yield from _rows_by_shard("index", index_table(batch, resolution, run_id), shards)


def _duplicates_table(batch, rows, decisions, stories, run_id, ingested_at) -> pa.Table:
    keys = batch.doc_keys.tolist()
    chosen = [decisions[keys[i]] for i in rows]
    return pa.table(
        {
            "article_id": [batch.article_ids[i] for i in rows],
            "source_uri": [batch.source_uris[i] for i in rows],
            "duplicate_of": [article_id(d.duplicate_of) for d in chosen],
            "similarity": [d.similarity for d in chosen],
            "method": [d.method for d in chosen],
            "published_date": [batch.published_dates[i] for i in rows],
            "content_hash": [batch.content_hashes[i] for i in rows],
            "run_id": [run_id] * len(rows),
            "ingested_at": [ingested_at] * len(rows),
            "story_id": [stories[i] for i in rows],
        },
        schema=DUPLICATES.arrow,
    )


_SCHEMAS = {
    "articles": ARTICLES,
    "duplicates": DUPLICATES,
    "quarantine": QUARANTINE,
    "index": INDEX,
}
_SORT_KEYS = {
    "articles": "article_id",
    "duplicates": "article_id",
    "quarantine": "source_uri",
    "index": "article_id",
}
FOLDERS = {
    "articles": "articles",
    "duplicates": "duplicates",
    "quarantine": "quarantine",
    "index": "_index",
}


ROW_GROUP_ROWS = 65_536
# The index reader (``transforms.prior``) reads the encoded features (~10 KB per row
# with the story tier) of each row group that holds a candidate: small groups bound
# that read and its memory to ~20 MB, and skip groups without a hit.
INDEX_ROW_GROUP_ROWS = 2_048


def write_parquet(path: str, table: pa.Table, row_group_rows: int = ROW_GROUP_ROWS) -> None:
    """Writes ``table`` to ``path`` through Beam's FileSystems (local or remote).

    zstd-compressed, row groups of at most ``row_group_rows`` rows (bounded
    memory for readers that scan group by group, like the index reader).
    """
    with FileSystems.create(path) as handle:
        pq.write_table(table, handle, compression="zstd", row_group_size=row_group_rows)


def write_table_files(
    root: str,
    run_id: str,
    max_rows_per_file: int,
    table_name: str,
    partition: str | None,
    tables: list[pa.Table],
    shard: int | None = None,
) -> list[WrittenFile]:
    """Writes one table's rows of one partition as sorted files under ``root``.

    ``table_name`` is ``articles``, ``duplicates``, ``quarantine`` or ``index``;
    rows are cast to its schema and sorted by id, so the bytes do not depend on
    the order of ``tables``. Files are split above ``max_rows_per_file`` rows;
    a ``shard`` number (one writer of several for the same folder) is part of
    the file names.
    """
    schema = _SCHEMAS[table_name]
    table = pa.concat_tables(tables).cast(schema.arrow)
    table = table.sort_by(_SORT_KEYS[table_name]).replace_schema_metadata(schema.arrow.metadata)
    folder = FOLDERS[table_name] if partition is None else f"{FOLDERS[table_name]}/{partition}"
    counts = _counts(table_name, table)
    written = []
    for index, start in enumerate(range(0, table.num_rows, max_rows_per_file)):
        part = table.slice(start, max_rows_per_file)
        shard_tag = "" if shard is None else f"s{shard:03d}-"
        relative = f"{folder}/part-{run_id}-{shard_tag}{index:05d}.parquet"
        write_parquet(
            f"{root.rstrip('/')}/{relative}",
            part,
            INDEX_ROW_GROUP_ROWS if table_name == "index" else ROW_GROUP_ROWS,
        )
        crash_point("write")
        written.append(
            WrittenFile(
                table_name, partition, relative, part.num_rows, counts if index == 0 else ()
            )
        )
    return written


class _WriteGroupFn(beam.DoFn):
    def __init__(self, root: str, run_id: str, max_rows_per_file: int):
        self._root = root
        self._run_id = run_id
        self._max_rows = max_rows_per_file

    def process(self, element) -> Iterator[WrittenFile]:
        (table_name, partition), tables = element
        with stage_timer("write"):
            if table_name == _ARTICLE_SHARD:
                merged = pa.concat_tables(list(tables))
                written = [
                    written_file
                    for name, rows in sorted(_partitions(merged).items())
                    for written_file in write_table_files(
                        self._root,
                        self._run_id,
                        self._max_rows,
                        "articles",
                        name,
                        [merged.take(rows)],
                    )
                ]
            elif table_name.endswith(_BY_SHARD):
                written = write_table_files(
                    self._root,
                    self._run_id,
                    self._max_rows,
                    table_name.removesuffix(_BY_SHARD),
                    None,
                    list(tables),
                    shard=int(partition),
                )
            else:
                written = write_table_files(
                    self._root, self._run_id, self._max_rows, table_name, partition, list(tables)
                )
        yield from written


def _counts(table_name: str, table: pa.Table) -> tuple[tuple[str, int], ...]:
    column = {"duplicates": "method", "quarantine": "reason"}.get(table_name)
    if column is None:
        return ()
    values = pc.value_counts(table.column(column)).to_pylist()
    return tuple(sorted((v["values"], v["counts"]) for v in values))


class WriteDataset(beam.PTransform):
    """Writes a run's output under ``root`` and returns ``PCollection[WrittenFile]``.

    Input: a dict with ``articles`` (``PCollection[ArticleBatch]``),
    ``features`` (their ``PCollection[FeatureBatch]``), ``decisions``
    (singleton ``Resolution`` from ``FindDuplicates``: removals and story ids) and
    ``quarantine`` (``PCollection[QuarantineRecord]``). Writes
    ``articles/date=YYYY-MM-DD/part-<run>-NNNNN.parquet`` (null dates under
    ``date=__HIVE_DEFAULT_PARTITION__``), ``duplicates/part-<run>-NNNNN.parquet``
    ``quarantine/part-<run>-NNNNN.parquet`` and the run's index rows
    ``_index/part-<run>-NNNNN.parquet``, each with its schema from
    ``schemas`` and rows sorted by id, so the bytes do not depend on batch
    order or worker count. Empty tables produce no file. Date partitions are
    spread over ``writer_shards`` writers (one file per partition); the flat
    tables (duplicates, index) over ``writer_shards // 16`` writers (at least
    one, so a default run writes one file each; ``--num-shards 256`` gives 16).
    """

    def __init__(
        self,
        root: str,
        run_id: str,
        ingested_at: dt.datetime,
        max_rows_per_file: int = 1_000_000,
        writer_shards: int = 16,
    ):
        super().__init__()
        if not root:
            raise ValueError("root is required")
        if max_rows_per_file < 1:
            raise ValueError(f"max_rows_per_file must be >= 1, got {max_rows_per_file}")
        if writer_shards < 1:
            raise ValueError(f"writer_shards must be >= 1, got {writer_shards}")
        if ingested_at.tzinfo is None:
            raise ValueError("ingested_at must be timezone-aware")
        self._root = root
        self._run_id = run_id
        self._ingested_at = ingested_at
        self._max_rows = max_rows_per_file
        self._writer_shards = writer_shards
        self._flat_shards = max(1, writer_shards // 16)

    def expand(self, inputs):
        run_id, ingested_at = self._run_id, self._ingested_at
        articles = inputs["articles"] | "ApplyDecisions" >> beam.FlatMap(
            _sharded_batch,
            beam.pvalue.AsSingleton(inputs["decisions"]),
            run_id,
            ingested_at,
            self._writer_shards,
            self._flat_shards,
        )
        quarantine = (
            inputs["quarantine"]
            | "KeyQuarantine" >> beam.Map(lambda record: (("quarantine", None), record))
            | "GroupQuarantine" >> beam.GroupByKey()
            | "QuarantineTable"
            >> beam.MapTuple(
                lambda key, records: (key, quarantine_table(list(records), run_id, ingested_at))
            )
        )
        index = inputs["features"] | "IndexRows" >> beam.FlatMap(
            _index_rows, beam.pvalue.AsSingleton(inputs["decisions"]), run_id, self._flat_shards
        )
        return (
            (articles, quarantine, index)
            | "AllTables" >> beam.Flatten()
            | "GroupFiles" >> beam.GroupByKey()
            | "WriteFiles" >> beam.ParDo(_WriteGroupFn(self._root, run_id, self._max_rows))
        )
