"""Filesystem helpers the commit and compaction protocols rely on."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil

from apache_beam.io.filesystems import FileSystems

from newsingest.transforms.core.file_selection import escape_glob

__all__ = ["is_local", "delete_paths", "delete_tree", "exchange_paths", "ExchangeUnsupported"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class ExchangeUnsupported(OSError):
    """This platform or filesystem cannot swap two paths atomically."""


def is_local(path: str) -> bool:
    """True for paths on the local filesystem (no scheme or ``file://``)."""
    return FileSystems.get_scheme(path) in (None, "file")


def delete_paths(paths: list[str]) -> None:
    """Deletes files (or folders, recursively) by their exact paths.

    Locally without Beam's ``LocalFileSystem.delete``, which treats ``[``, ``*`` and
    ``?`` in a path as a glob; elsewhere through ``FileSystems.delete``.
    """
    remote = [p for p in paths if not is_local(p)]
    for path in (p for p in paths if is_local(p)):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    if remote:
        FileSystems.delete(remote)


def delete_tree(path: str) -> None:
    """Deletes a folder and everything under it, locally or in a bucket (a no-op if absent).

    On object stores a "folder" is a prefix: every object under ``path/`` is
    deleted.
    """
    if is_local(path):
        if os.path.exists(path):
            delete_paths([path])
        return
    objects = [
        meta.path
        for result in FileSystems.match([f"{escape_glob(path)}/**"])
        for meta in result.metadata_list
    ]
    if objects:
        FileSystems.delete(objects)


def exchange_paths(first: str, second: str) -> None:
    """Atomically swaps two existing local paths (Linux ``renameat2(RENAME_EXCHANGE)``).

    A reader resolving either path sees the old or the new directory, never a
    mix or nothing. Raises ExchangeUnsupported where the call is unavailable.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError) as error:
        raise ExchangeUnsupported("renameat2 is not available") from error
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result != 0:
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EXDEV):
            raise ExchangeUnsupported(os.strerror(code))
        raise OSError(code, os.strerror(code), first)
