"""Consecutive slices of one large ``newsingest run`` (bounded local memory).

Beam's local runner holds every collection of a pipeline in memory, so one local
pipeline over N files needs memory proportional to N. ``newsingest run`` therefore
cuts a large selection into consecutive slices of ``slice_files`` files, in sorted
URI order, and runs and commits them one after another under the one dataset lock:
each slice is checked against the index of everything committed before it, exactly
like a later run.

Guarantees:
  * The slices depend only on the sorted selection and ``slice_files``: the same
    inputs give the same slices, run ids and outcomes on every machine.
  * A sliced run equals consecutive runs over its slices (same run ids, same
    decisions): every input ends up kept, a duplicate of a named kept article,
    skipped or quarantined, and an article committed by one slice is never
    re-decided by a later one.
  * One slice (``slice_files`` 0, or fewer files than one slice) keeps the run id
    unchanged; several get ``<run_id>.<k>of<n>`` (``k`` zero-padded, so they sort).
"""

from __future__ import annotations

from collections import Counter

from newsingest.transforms.core.file_selection import Selection

__all__ = ["combine_manifests", "cut_selection", "slice_run_ids"]


def cut_selection(selection: Selection, slice_files: int) -> list[Selection]:
    """Consecutive slices of ``selection`` of at most ``slice_files`` files (0: one slice).

    The ignored-name counts belong to the first slice, so they are reported once.
    """
    if slice_files < 0:
        raise ValueError(f"slice_files must be >= 0, got {slice_files}")
    files = sorted(selection.files, key=lambda f: f.uri)
    if slice_files == 0 or len(files) <= slice_files:
        return [Selection(files, Counter(selection.ignored))]
    return [
        Selection(files[start : start + slice_files], Counter({} if start else selection.ignored))
        for start in range(0, len(files), slice_files)
    ]


def slice_run_ids(run_id: str, slices: int) -> list[str]:
    """The run id of each slice: ``run_id`` itself for one slice, else ``<run_id>.<k>of<n>``."""
    if slices < 1:
        raise ValueError(f"slices must be >= 1, got {slices}")
    if slices == 1:
        return [run_id]
    width = len(str(slices))
    return [f"{run_id}.{k:0{width}d}of{slices}" for k in range(1, slices + 1)]


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value


def _sorted(counts: dict) -> dict:
    return {k: _sorted(v) if isinstance(v, dict) else v for k, v in sorted(counts.items())}


def combine_manifests(run_id: str, manifests: list[dict], wall_s: float) -> dict:
    """One summary of the committed slices of a run: counts and CPU seconds summed.

    The result has the shape of a run manifest (``counts``, ``timings_s``) plus
    ``slices``, the committed run ids in order; ``timings_s.wall`` is ``wall_s``, the
    whole sliced run's wall time. A single manifest is returned as it is.
    """
    if len(manifests) == 1:
        return manifests[0]
    counts: dict = {}
    timings: dict = {}
    for manifest in manifests:
        _add(counts, manifest["counts"])
        _add(timings, manifest.get("timings_s") or {})
    timings = {k: round(v, 3) if isinstance(v, float) else v for k, v in timings.items()}
    timings["stage_cpu"] = {k: round(v, 3) for k, v in timings.get("stage_cpu", {}).items()}
    timings["wall"] = round(wall_s, 3)
    return {
        "run_id": run_id,
        "status": "committed",
        "slices": [m["run_id"] for m in manifests],
        "counts": _sorted(counts),
        "timings_s": timings,
    }
