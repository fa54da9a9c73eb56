"""Per-stage CPU time as Beam counters (``newsingest_stage_us`` namespace).

The run manifest reports them as ``stage_cpu_s``: the time spent inside each
stage's own code, summed over workers (runner overhead excluded).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from apache_beam.metrics import Metrics

__all__ = ["STAGE_NAMESPACE", "stage_timer"]

STAGE_NAMESPACE = "newsingest_stage_us"
_COUNTERS: dict = {}


@contextmanager
def stage_timer(stage: str):
    """Adds the wall time of the ``with`` body, in microseconds, to the stage's counter."""
    counter = _COUNTERS.get(stage)
    if counter is None:
        counter = _COUNTERS[stage] = Metrics.counter(STAGE_NAMESPACE, stage)
    started = time.perf_counter()
    try:
        yield
    finally:
        counter.inc(int((time.perf_counter() - started) * 1e6))
