"""Ragged columns: many variable-length rows as one flat array plus offsets (Beam-free).

Row ``i`` of ``(values, offsets)`` is ``values[offsets[i]:offsets[i + 1]]``; ``offsets``
is int64 with one more entry than there are rows and starts at 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["offsets_of", "take_ragged"]


def offsets_of(lengths: np.ndarray) -> np.ndarray:
    """int64 offsets of rows with these lengths (``[0, l0, l0 + l1, ...]``)."""
    return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


def take_ragged(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(values, offsets)`` of the given rows, in that order."""
    starts, ends = offsets[rows], offsets[rows + 1]
    lengths = ends - starts
    new_offsets = offsets_of(lengths)
    index = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(int(new_offsets[-1]))
    return values[index], new_offsets
