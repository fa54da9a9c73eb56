"""The index in memory, for in-process drivers (``newsingest watch``): an ``IndexReader``.

``LiveIndex`` loads ``DIR/_index`` (and the quarantine fingerprints) once and is
extended after each committed micro-batch, so a batch costs time in proportion to
its own size, not to the dataset's. Lookups go through sorted key segments, merged
LSM-style (``O(log n)`` per key, amortised appends). It answers what the Beam graph
reads from the index files: which doc keys are ingested, and which indexed articles
(kept with features, removed with their decision) share a bucket key with new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsingest.transforms.core import feature_codec
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.engine import RemovedPrior
from newsingest.transforms.core.feature_table import FeatureTable
from newsingest.transforms.core.file_selection import escape_glob
from newsingest.transforms.core.resolution import Decision
from newsingest.transforms.index import (
    quarantine_fingerprint,
    quarantine_fingerprints,
    stored_story_keys,
)
from newsingest.transforms.records import FeatureBatch, QuarantineRecord

__all__ = ["LiveIndex"]


@dataclass
class _Segment:
    """Indexed articles of some runs: keys sorted for lookup, features still encoded."""

    doc_keys: np.ndarray
    ranks: np.ndarray
    content_keys: np.ndarray
    kept: np.ndarray
    story_keys: np.ndarray
    keys: np.ndarray  # (n, k) bucket keys
    features: list  # encoded features (kept) or None
    decisions: list  # Decision (removed) or None
    sorted_keys: np.ndarray  # every bucket key, sorted
    rows: np.ndarray  # row of each sorted key

    @staticmethod
    def build(
        doc_keys, ranks, content_keys, kept, story_keys, keys, features, decisions
    ) -> _Segment:
        flat = keys.ravel()
        order = np.argsort(flat, kind="stable")
        return _Segment(
            doc_keys=doc_keys,
            ranks=ranks,
            content_keys=content_keys,
            kept=kept,
            story_keys=story_keys,
            keys=keys,
            features=features,
            decisions=decisions,
            sorted_keys=flat[order],
            rows=(order // max(keys.shape[1], 1)).astype(np.int64),
        )

    @staticmethod
    def merge(segments: list[_Segment]) -> _Segment:
        return _Segment.build(
            *(np.concatenate([getattr(s, n) for s in segments]) for n in _ARRAYS),
            np.vstack([s.keys for s in segments]),
            [f for s in segments for f in s.features],
            [d for s in segments for d in s.decisions],
        )

    def __len__(self) -> int:
        return len(self.doc_keys)

    def hits(self, wanted: np.ndarray) -> np.ndarray:
        """Rows having at least one of the sorted, distinct ``wanted`` keys."""
        left = np.searchsorted(self.sorted_keys, wanted, "left")
        right = np.searchsorted(self.sorted_keys, wanted, "right")
        lengths = right - left
        if not lengths.any():
            return np.empty(0, np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        positions = np.repeat(left - offsets[:-1], lengths) + np.arange(offsets[-1])
        return np.unique(self.rows[positions])


_ARRAYS = ("doc_keys", "ranks", "content_keys", "kept", "story_keys")


class LiveIndex:
    """Everything a micro-batch is checked against, kept in memory between batches.

    Implements ``transforms.core.engine.IndexReader``, plus the fingerprints of
    quarantined inputs (an identical bad input is skipped).
    """

    def __init__(self, config: DedupConfig):
        self._config = config
        self._ingested: set[int] = set()
        self._quarantined: set[str] = set()
        self._segments: list[_Segment] = []

    @classmethod
    def load(cls, root: str, config: DedupConfig) -> LiveIndex:
        """Reads ``root``'s index and quarantine tables (any filesystem)."""
        index = cls(config)
        for table in _read_tables(f"{escape_glob(root)}/_index/*.parquet", None):
            index._add_index_rows(table)
        for table in _read_tables(
            f"{escape_glob(root)}/quarantine/*.parquet", ["source_uri", "sha256", "size_bytes"]
        ):
            index._quarantined.update(quarantine_fingerprints(table))
        return index

    def __len__(self) -> int:
        return len(self._ingested)

    @property
    def kept(self) -> int:
        return sum(int(s.kept.sum()) for s in self._segments)

    def is_ingested(self, doc_keys: np.ndarray) -> np.ndarray:
        return np.fromiter(
            (key in self._ingested for key in doc_keys.tolist()), bool, count=len(doc_keys)
        )

    def is_quarantined(self, record: QuarantineRecord) -> bool:
        return self._fingerprint(record) in self._quarantined

    def prior_candidates(self, keys: np.ndarray) -> tuple[FeatureBatch | None, RemovedPrior | None]:
        """Indexed articles sharing a bucket key with ``keys``: kept and removed."""
        wanted = np.unique(keys.ravel())
        kept, removed = [], []
        for segment in self._segments:
            rows = segment.hits(wanted)
            if len(rows):
                mask = segment.kept[rows]
                kept.append((segment, rows[mask]))
                removed.append((segment, rows[~mask]))
        return self._kept_batch(kept), RemovedPrior.concat(
            [
                RemovedPrior(
                    doc_keys=s.doc_keys[r],
                    ranks=s.ranks[r],
                    content_keys=s.content_keys[r],
                    keys=s.keys[r],
                    decisions=tuple(s.decisions[i] for i in r.tolist()),
                    story_keys=s.story_keys[r],
                )
                for s, r in removed
            ]
        )

    def _kept_batch(self, picked: list) -> FeatureBatch | None:
        picked = [(s, r) for s, r in picked if len(r)]
        if not picked:
            return None
        return FeatureBatch(
            doc_keys=np.concatenate([s.doc_keys[r] for s, r in picked]),
            ranks=np.concatenate([s.ranks[r] for s, r in picked]),
            features=FeatureTable.from_rows(
                [feature_codec.decode(s.features[i]) for s, r in picked for i in r.tolist()],
                self._config.num_perm,
            ),
            keys=np.vstack([s.keys[r] for s, r in picked]),
            prior=True,
            story_keys=np.concatenate([s.story_keys[r] for s, r in picked]),
        )

    def extend(self, index_rows: pa.Table | None, quarantine: list) -> None:
        """Adds a committed batch: its index rows (if any) and quarantined inputs."""
        if index_rows is not None:
            self._add_index_rows(index_rows)
        self._quarantined.update(self._fingerprint(r) for r in quarantine)

    def _add_index_rows(self, table: pa.Table) -> None:
        if not len(table):
            return
        doc_keys = table.column("doc_key").to_numpy()
        kept = table.column("kept").to_numpy(zero_copy_only=False)
        self._ingested.update(doc_keys.tolist())
        band_keys = table.column("band_keys").combine_chunks()
        width = self._config.num_keys
        values = band_keys.values.to_numpy()
        if len(values) != width * len(table):
            raise ValueError("index rows without one bucket key per column: rebuild the index")
        decisions = [
            None
            if keep
            else Decision(row["doc_key"], row["duplicate_of"], row["method"], row["similarity"])
            for keep, row in zip(
                kept.tolist(),
                table.select(["doc_key", "duplicate_of", "method", "similarity"]).to_pylist(),
                strict=True,
            )
        ]
        self._add_segment(
            _Segment.build(
                doc_keys,
                table.column("rank").to_numpy(),
                table.column("content_key").to_numpy(),
                kept,
                stored_story_keys(table),
                values.reshape(len(table), width),
                table.column("features").to_pylist(),
                decisions,
            )
        )

    def _add_segment(self, segment: _Segment) -> None:
        self._segments.append(segment)
        while len(self._segments) > 1 and 2 * len(self._segments[-1]) >= len(self._segments[-2]):
            last = self._segments.pop()
            self._segments[-1] = _Segment.merge([self._segments[-1], last])

    @staticmethod
    def _fingerprint(record: QuarantineRecord) -> str:
        return quarantine_fingerprint(record.uri, record.sha256, record.size_bytes)


def _read_tables(glob: str, columns: list[str] | None):
    for result in FileSystems.match([glob]):
        for meta in sorted(result.metadata_list, key=lambda m: m.path):
            with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                yield pq.read_table(f, columns=columns)
