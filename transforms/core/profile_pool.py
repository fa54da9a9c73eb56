"""Same-story profiles of a batch, optionally computed in worker processes (Beam-free).

A profile (:func:`story_signals.profile`) is per-article Python (language id, tokens,
rarity, lemmas, sub-vectors): most of a run's CPU when the story tier is on. Beam's
local runner runs one worker (several lose elements, see ``pipeline.options``), so
:class:`ProfileRows` can hand the profiles of a batch to a pool of ``processes``
spawned processes while the calling process computes the batch's other features.

Guarantees:
  * The rows are those of the in-process computation, in input order, whatever the
    number of processes: each is a pure function of (title, text, day).
  * ``processes`` <= 1 never starts a process.
  * One pool per process count lives for the whole interpreter (shared by the
    consecutive pipelines of a sliced run) and is shut down at exit; a pool whose
    process died is replaced on the next batch, the failing batch raises.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from newsingest.transforms.core.story_columns import row_fields
from newsingest.transforms.core.story_signals import profile

__all__ = ["PROFILE_CHARS", "ProfileRows", "profile_rows"]

# A profile reads at most this many characters of a text: a news story is told well
# before that, and it bounds the time and memory of huge inputs.
PROFILE_CHARS = 100_000
# A batch is cut into parts of at least this many texts: a small batch goes to one pool
# process, so a small run starts (and loads the embedding model in) one process, not all.
MIN_PART_TEXTS = 64

_PR_SET_PDEATHSIG = 1
_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def profile_rows(
    titles: Sequence[str | None], texts: Sequence[str], days: Sequence[int | None]
) -> list[dict]:
    """The ``Features.story_*`` row fields of each article, in order (in this process)."""
    return [
        row_fields(profile(title, text[:PROFILE_CHARS], None if day is None else int(day)))
        for title, text, day in zip(titles, texts, days, strict=True)
    ]


def _die_with_parent() -> None:
    """Pool initializer: the kernel kills this process when its parent dies (Linux), so a
    killed run leaves no worker behind holding its output streams."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)


def _pool(processes: int) -> ProcessPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(processes)
        if pool is None:
            # spawn, not fork: the caller is a Beam worker with threads (gRPC, logging)
            context = multiprocessing.get_context("spawn")
            pool = _POOLS[processes] = ProcessPoolExecutor(
                processes, mp_context=context, initializer=_die_with_parent
            )
        return pool


def _discard(processes: int, pool: ProcessPoolExecutor) -> None:
    with _POOLS_LOCK:
        if _POOLS.get(processes) is pool:
            del _POOLS[processes]
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown_pools() -> None:
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


class ProfileRows:
    """The profiles of one batch, started now and collected by :meth:`result`.

    With ``processes`` > 1 the batch is cut into at most ``processes`` consecutive parts
    of at least :data:`MIN_PART_TEXTS` texts (one part for a small batch), each computed
    in a pool process; otherwise :meth:`result` computes them here.
    """

    def __init__(
        self,
        titles: Sequence[str | None],
        texts: Sequence[str],
        days: Sequence[int | None],
        processes: int = 1,
    ):
        if not len(titles) == len(texts) == len(days):
            raise ValueError("titles, texts and days differ in length")
        self._args = (list(titles), list(texts), list(days))
        self._processes = processes
        self._futures: list[Future] = []
        parts = min(processes, -(-len(texts) // MIN_PART_TEXTS))
        if processes > 1 and len(texts) > 1:
            self._pool = _pool(processes)
            step = -(-len(texts) // parts)
            self._futures = [
                self._pool.submit(profile_rows, *(c[start : start + step] for c in self._args))
                for start in range(0, len(texts), step)
            ]

    def result(self) -> list[dict]:
        """The rows, in input order (raises what a profile raised)."""
        if not self._futures:
            return profile_rows(*self._args)
        try:
            return [row for future in self._futures for row in future.result()]
        except BrokenProcessPool:
            _discard(self._processes, self._pool)
            raise
