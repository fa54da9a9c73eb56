"""One exit-code table for every ``newsingest`` command (documented in README.md).

====  ====================  ========================================================
code  name                  meaning (and what happened to the dataset)
====  ====================  ========================================================
0     OK                    success, or nothing to do (committed, or unchanged)
1     FAILED                failed before the commit point: nothing committed
2     USAGE                 unknown or mistyped option, bad value: nothing touched
3     NOT_FOUND             an input path or the dataset is missing, or the path is
                            not a dataset: nothing touched
4     BUSY                  another writer holds the output (or took it over during
                            the run): nothing committed
5     COMMITTED_UNFINISHED  committed, but finishing failed after the commit point:
                            the next run, watch or compact completes it
====  ====================  ========================================================
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode(enum.IntEnum):
    """Process exit status of every command (see the module docstring's table)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    BUSY = 4
    COMMITTED_UNFINISHED = 5


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code of a command that stopped with ``error``."""
    from newsingest.pipeline.commit import CommittedButUnfinished
    from newsingest.pipeline.dataset import NotADatasetError
    from newsingest.pipeline.lock import LockedError
    from newsingest.pipeline.options import UsageError

    if isinstance(error, CommittedButUnfinished):
        return ExitCode.COMMITTED_UNFINISHED
    if isinstance(error, LockedError):
        return ExitCode.BUSY
    if isinstance(error, (FileNotFoundError, NotADatasetError)):
        return ExitCode.NOT_FOUND
    if isinstance(error, UsageError):
        return ExitCode.USAGE
    return ExitCode.FAILED
