"""Named crash points for fault-injection tests (Beam-free).

``crash_point(name)`` kills the current process with SIGKILL when the
environment variable ``NEWSINGEST_CRASH_AT`` equals ``name``; otherwise it does
nothing. Tests use it to stop a run at a precise stage (reading, dedup,
writing, commit) and check that the next run recovers. It never fires in
normal operation.

``NEWSINGEST_FAIL_AT == name`` instead raises ``OSError(ENOSPC)`` there: a full
disk at that precise point (the process lives on and must report it).
``NEWSINGEST_PAUSE_AT == "name=PATH"`` creates ``PATH.reached`` and waits there while
``PATH`` exists (at most 120 s), so a test can act while a writer is mid-run.
"""

from __future__ import annotations

import errno
import os
import signal
import time

__all__ = ["ENV_VAR", "FAIL_ENV_VAR", "PAUSE_ENV_VAR", "crash_point"]

ENV_VAR = "NEWSINGEST_CRASH_AT"
FAIL_ENV_VAR = "NEWSINGEST_FAIL_AT"
PAUSE_ENV_VAR = "NEWSINGEST_PAUSE_AT"
_MAX_PAUSE_S = 120.0


def crash_point(name: str) -> None:
    """SIGKILLs this process if ``NEWSINGEST_CRASH_AT == name``; raises a disk-full
    ``OSError`` if ``NEWSINGEST_FAIL_AT == name``."""
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV_VAR) == name:
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {name})")
    pause, _, path = os.environ.get(PAUSE_ENV_VAR, "").partition("=")
    if pause == name and path:
        with open(f"{path}.reached", "w"):
            pass
        deadline = time.monotonic() + _MAX_PAUSE_S
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
