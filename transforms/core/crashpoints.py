"""Named crash points for fault-injection tests (Beam-free).

``crash_point(name)`` kills the current process with SIGKILL when the
environment variable ``NEWSINGEST_CRASH_AT`` equals ``name``; otherwise it does
nothing. Tests use it to stop a run at a precise stage (reading, dedup,
writing, commit) and check that the next run recovers. It never fires in
normal operation.

``NEWSINGEST_FAIL_AT == name`` instead raises ``OSError(ENOSPC)`` there: a full
disk at that precise point (the process lives on and must report it).
"""

from __future__ import annotations

import errno
import os
import signal

__all__ = ["ENV_VAR", "FAIL_ENV_VAR", "crash_point"]

ENV_VAR = "NEWSINGEST_CRASH_AT"
FAIL_ENV_VAR = "NEWSINGEST_FAIL_AT"


def crash_point(name: str) -> None:
    """SIGKILLs this process if ``NEWSINGEST_CRASH_AT == name``; raises a disk-full
    ``OSError`` if ``NEWSINGEST_FAIL_AT == name``."""
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV_VAR) == name:
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {name})")
