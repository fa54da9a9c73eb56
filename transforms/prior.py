"""ReadPriorCandidates: the index's articles that share a bucket key with new ones.

A key join, not a broadcast: the index's bucket keys (one row-group scan of the
``band_keys`` column per file) and the new articles' keys meet in a
``CoGroupByKey`` by ``key % num_shards``; each index row group then reads the other
columns of its hit rows only. Kept hits carry their decoded features, removed hits
their stored decision. Everything goes through Beam's Parquet and FileSystems I/O,
so it runs unchanged on distributed runners.
"""

from __future__ import annotations

from collections.abc import Iterator

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.engine import RemovedPrior
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.index import stored_decisions, stored_story_keys
from newsingest.transforms.records import FeatureBatch

__all__ = ["PRIOR_COLUMNS", "REMOVED_TAG", "ReadPriorCandidates", "split_prior"]

REMOVED_TAG = "removed"


def _open(path: str):
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def _band_columns(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    band_keys = table.column("band_keys").combine_chunks()
    return band_keys.values.to_numpy(), band_keys.offsets.to_numpy()


class _IndexKeysFn(beam.DoFn):
    """One index file -> ``(shard, ((path, row group), keys, rows))`` per shard and group."""

    def __init__(self, num_shards: int):
        self._num_shards = num_shards

    def process(self, path: str) -> Iterator:
        with _open(path) as handle:
            parquet = pq.ParquetFile(handle)
            for group in range(parquet.num_row_groups):
                values, offsets = _band_columns(parquet.read_row_group(group, ["band_keys"]))
                rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
                shards = (values % np.uint64(self._num_shards)).astype(np.int64)
                for shard in np.unique(shards).tolist():
                    mask = shards == shard
                    yield shard, ((path, group), values[mask], rows[mask])


def _new_keys_by_shard(batch: FeatureBatch, num_shards: int) -> Iterator:
    keys = np.unique(batch.keys.ravel())
    shards = (keys % np.uint64(num_shards)).astype(np.int64)
    for shard in np.unique(shards).tolist():
        yield shard, keys[shards == shard]


def _in_sorted(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_unique)`` by binary search: the set is sorted once per
    shard instead of once per row group."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_unique, values)
    at[at == len(sorted_unique)] = 0
    return sorted_unique[at] == values


def _hits_in_shard(element) -> Iterator:
    """Per index row group, the rows with a bucket key of a new article."""
    _, grouped = element
    if not grouped["new"] or not grouped["index"]:
        return
    new = np.unique(np.concatenate(grouped["new"]))
    for location, values, rows in grouped["index"]:
        hits = np.unique(rows[_in_sorted(values, new)])
        if len(hits):
            yield location, hits


class _ReadHitsFn(beam.DoFn):
    """``((path, group), [rows])`` -> kept ``FeatureBatch`` and ``REMOVED_TAG`` removed rows."""

    def __init__(self):
        self._candidates = Metrics.counter("newsingest", "prior_candidates")

    def process(self, element) -> Iterator:
        (path, group), parts = element
        rows = np.unique(np.concatenate(list(parts)))
        with _open(path) as handle:
            parquet = pq.ParquetFile(handle)
            values, offsets = _band_columns(parquet.read_row_group(group, ["band_keys"]))
            details = parquet.read_row_group(group, PRIOR_COLUMNS)
        width = int(offsets[rows[0] + 1] - offsets[rows[0]])
        keys = np.stack([values[offsets[i] : offsets[i] + width] for i in rows.tolist()])
        self._candidates.inc(len(rows))
        kept, removed = split_prior(details, rows, keys)
        if kept is not None:
            yield kept
        if removed is not None:
            yield beam.pvalue.TaggedOutput(REMOVED_TAG, removed)


PRIOR_COLUMNS = [
    "doc_key",
    "content_key",
    "kept",
    "rank",
    "features",
    "duplicate_of",
    "method",
    "similarity",
    "story_key",
]


def split_prior(
    table: pa.Table, rows: np.ndarray, keys: np.ndarray
) -> tuple[FeatureBatch | None, RemovedPrior | None]:
    """Rows ``rows`` of an index table (with their bucket ``keys``): kept and removed."""
    picked = table.take(pa.array(rows))
    is_kept = picked.column("kept").to_numpy(zero_copy_only=False)
    kept = removed = None
    if is_kept.any():
        part = picked.filter(pa.array(is_kept))
        kept = FeatureBatch(
            doc_keys=part.column("doc_key").to_numpy(),
            ranks=part.column("rank").to_numpy(),
            features=FeatureTable.from_rows(
                [feature_codec.decode(b) for b in part.column("features").to_pylist()]
            ),
            keys=keys[is_kept],
            prior=True,
            story_keys=stored_story_keys(part),
        )
    if not is_kept.all():
        part = picked.filter(pa.array(~is_kept))
        removed = RemovedPrior(
            doc_keys=part.column("doc_key").to_numpy(),
            ranks=part.column("rank").to_numpy(),
            content_keys=part.column("content_key").to_numpy(),
            keys=keys[~is_kept],
            decisions=tuple(stored_decisions(part)),
            story_keys=stored_story_keys(part),
        )
    return kept, removed


def _match_paths(glob: str) -> Iterator[str]:
    for result in FileSystems.match([glob]):
        yield from sorted(meta.path for meta in result.metadata_list)


class ReadPriorCandidates(beam.PTransform):
    """``PCollection[FeatureBatch]`` (new articles) -> the indexed articles sharing at
    least one bucket key with them: ``.kept``, a ``PCollection[FeatureBatch]``
    (``prior=True``), and ``.removed``, a ``PCollection[RemovedPrior]``.

    Deterministic: each indexed article comes out once, whatever the sharding.
    """

    def __init__(self, index_glob: str, num_shards: int = 16):
        super().__init__()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        self._glob = index_glob
        self._num_shards = num_shards

    def expand(self, features):
        shards = self._num_shards
        index_keys = (
            features.pipeline
            | "IndexGlob" >> beam.Create([self._glob])
            | "MatchIndex" >> beam.FlatMap(_match_paths)
            | "Distribute" >> beam.Reshuffle()
            | "IndexKeys" >> beam.ParDo(_IndexKeysFn(shards))
        )
        new_keys = features | "NewKeys" >> beam.FlatMap(_new_keys_by_shard, shards)
        return (
            {"index": index_keys, "new": new_keys}
            | "JoinBandKeys" >> beam.CoGroupByKey()
            | "Hits" >> beam.FlatMap(_hits_in_shard)
            | "ByRowGroup" >> beam.GroupByKey()
            | "ReadHits" >> beam.ParDo(_ReadHitsFn()).with_outputs(REMOVED_TAG, main="kept")
        )
