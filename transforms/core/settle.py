"""When a landed file is complete enough to read: the settle rule (Beam-free)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Observation", "observe"]


class Observation(NamedTuple):
    """What was last seen of a file: its size, mtime and since when (wall seconds)."""

    size: int
    mtime: float
    since: float


def observe(
    previous: Observation | None, size: int, mtime: float, now: float, settle_s: float
) -> tuple[Observation, bool]:
    """The settle rule: is a file of this size and mtime complete enough to read?

    A file is *settled* once its size and mtime have not changed for
    ``settle_s`` seconds: either its mtime is already that old, or we have
    seen the same size and mtime since at least that long ago (which also
    covers a writer whose clock runs ahead). Writers that pause for longer
    than ``settle_s`` mid-file must write under an ignored name (``.name``,
    ``_name``, ``*.tmp``, ``*.part``, ``*.partial``) and rename when done.

    Returns the observation to remember and whether the file is settled.
    """
    if previous is None or (previous.size, previous.mtime) != (size, mtime):
        previous = Observation(size, mtime, now)
    settled = now - mtime >= settle_s or now - previous.since >= settle_s
    return previous, settled
