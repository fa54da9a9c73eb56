"""Which local files are inputs, what they are called, and how they are opened (Beam-free).

Selection rules (``newsingest run`` and ``newsingest watch`` alike):

* A name (file *or folder*) below an input root is **ignored** when it starts with ``.``
  (rule ``hidden``) or ``_`` (rule ``underscore``), or ends in ``.tmp``, ``.part`` or
  ``.partial`` (rule ``temporary``). An ignored folder is not entered and counts once.
  The input roots themselves are never ignored: ``--input /data/_inbox`` is read.
* The dataset being written (``--output``) is never read as input, even when it lies
  inside an input folder (rule ``output``).
* Ignored names are counted per rule (the run manifest's ``ignored`` counts).

Opening rules (:func:`read_local`): only regular files are opened, with ``O_NOFOLLOW``
and ``O_NONBLOCK`` and a re-check of the opened descriptor, and at most
``max_bytes + 1`` bytes are ever read. Everything else is an :class:`Unopened` with a
quarantine reason:

* ``not_a_regular_file``: FIFO, socket, character or block device (never opened, so a
  FIFO cannot hang a run and ``/dev/zero`` cannot fill memory);
* ``symlink_not_followed``: a symbolic link (its target is in the detail). Links are
  followed only with ``follow_symlinks`` (``--follow-symlinks``) and only to regular files;
* ``dangling_symlink`` and ``symlink_loop``: links that resolve to nothing;
* ``too_large`` when the file holds more than ``max_bytes`` (checked while reading);
* ``unreadable``: any other ``OSError``.

URI encoding (:func:`path_to_uri`): a local file's ``source_uri`` is its absolute,
normalised path (input roots resolved with ``realpath``, names below them as listed).
A path that is not valid UTF-8 (POSIX names are bytes) is written as a ``file://`` URI
whose path is percent-encoded byte by byte (RFC 3986/8089, e.g. ``file:///in/caf%E9.txt``).
Plain paths never start with ``file://``, so the mapping is lossless and reversible
(:func:`uri_to_path`); remote URIs (``gs://``, ``s3://``) are kept as given.
"""

from __future__ import annotations

import errno
import os
import stat
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "FILE_URI_PREFIX",
    "IGNORE_RULES",
    "UNOPENED_REASONS",
    "Listed",
    "Selection",
    "Unopened",
    "canonical_root",
    "escape_glob",
    "ignore_rule",
    "list_local",
    "path_to_uri",
    "read_local",
    "uri_to_path",
]

FILE_URI_PREFIX = "file://"
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial")
IGNORE_RULES = ("hidden", "underscore", "temporary", "output")
UNOPENED_REASONS = {
    "not_a_regular_file": "A FIFO, socket or device: never opened.",
    "symlink_not_followed": "A symbolic link (target in the detail); see --follow-symlinks.",
    "dangling_symlink": "A symbolic link whose target does not exist.",
    "symlink_loop": "A symbolic link that resolves to itself (too many levels of links).",
}
# Bytes kept literal in an encoded path: RFC 3986 unreserved characters and "/".
_URI_SAFE = "/-._~"
_READ_CHUNK = 1 << 20


def ignore_rule(name: str) -> str | None:
    """The rule that ignores a file or folder ``name`` (no slashes), or None."""
    if name.startswith("."):
        return "hidden"
    if name.startswith("_"):
        return "underscore"
    if name.endswith(_TEMPORARY_SUFFIXES):
        return "temporary"
    return None


def escape_glob(path: str) -> str:
    """``path`` as a Beam glob matching only itself: ``[``, ``*`` and ``?`` become
    ``[[]``, ``[*]`` and ``[?]`` (Beam's patterns have no other quoting)."""
    return "".join(f"[{c}]" if c in "[*?" else c for c in path)


def path_to_uri(path: str) -> str:
    """The ``source_uri`` of a local path (already absolute): the path itself, or,
    when its bytes are not valid UTF-8, a ``file://`` URI percent-encoded byte by byte."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return FILE_URI_PREFIX + urllib.parse.quote(os.fsencode(path), safe=_URI_SAFE)
    return path


def uri_to_path(uri: str) -> str:
    """Inverse of :func:`path_to_uri` (the OS path to open, undecodable bytes included)."""
    if uri.startswith(FILE_URI_PREFIX):
        return os.fsdecode(urllib.parse.unquote_to_bytes(uri[len(FILE_URI_PREFIX) :]))
    return uri


def canonical_root(path: str) -> str:
    """An input root as an absolute, normalised path with its own symlinks resolved."""
    return os.path.realpath(os.path.abspath(uri_to_path(path)))


@dataclass(frozen=True)
class Listed:
    """A selected input: its ``source_uri``, size in bytes (from ``lstat``) and mtime."""

    uri: str
    size: int
    mtime: float


@dataclass
class Selection:
    """The selected inputs (sorted by URI, unique) and the ignored names per rule."""

    files: list[Listed] = field(default_factory=list)
    ignored: Counter = field(default_factory=Counter)

    def merge(self, other: Selection) -> None:
        known = {f.uri for f in self.files}
        self.files.extend(f for f in other.files if f.uri not in known)
        self.files.sort(key=lambda f: f.uri)
        self.ignored.update(other.ignored)


def _walk(folder: str, exclude: frozenset[str], selection: Selection) -> Iterator[Listed]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rule = ignore_rule(entry.name)
        if rule is None and entry.path in exclude:
            rule = "output"
        if rule is not None:
            selection.ignored[rule] += 1
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(entry.path, exclude, selection)
        else:
            yield Listed(path_to_uri(entry.path), info.st_size, info.st_mtime)


def list_local(roots: Iterable[str], exclude: Iterable[str] = ()) -> Selection:
    """Everything selected under the local ``roots`` (files or folders, walked without
    following symlinked folders); ``exclude`` lists folders never entered (the output).

    Raises FileNotFoundError for a root that does not exist.
    """
    excluded = frozenset(canonical_root(p) for p in exclude)
    selection = Selection()
    files: dict[str, Listed] = {}
    for given in roots:
        root = canonical_root(given)
        try:
            info = os.stat(root)
        except FileNotFoundError:
            raise FileNotFoundError(f"input {given!r} does not exist") from None
        if stat.S_ISDIR(info.st_mode):
            if root in excluded:
                selection.ignored["output"] += 1
                continue
            for listed in _walk(root, excluded, selection):
                files.setdefault(listed.uri, listed)
        else:
            uri = path_to_uri(root)
            files.setdefault(uri, Listed(uri, info.st_size, info.st_mtime))
    selection.files = [files[uri] for uri in sorted(files)]
    return selection


class Unopened(Exception):
    """An input that is not read: ``reason`` (a quarantine reason) and ``detail``."""

    def __init__(self, reason: str, detail: str, size: int | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.size = size

    def __reduce__(self):
        return (type(self), (self.reason, self.detail, self.size))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _resolve_link(path: str, follow: bool) -> str:
    """The path to open for the symlink ``path``, or Unopened saying why not."""
    target = os.fsencode(os.readlink(path)).decode("utf-8", "backslashreplace")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise Unopened("dangling_symlink", f"link to {target}, which does not exist") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Unopened("symlink_loop", f"link to {target}: {error.strerror}") from None
        raise
    if not follow:
        raise Unopened(
            "symlink_not_followed",
            f"symbolic link to {target} (links are not followed; see --follow-symlinks)",
        )
    if not stat.S_ISREG(info.st_mode):
        raise Unopened("not_a_regular_file", f"link to {target}, which is {_kind(info.st_mode)}")
    return os.path.realpath(path)


def read_local(path: str, max_bytes: int, follow_symlinks: bool = False) -> bytes:
    """The bytes of the local regular file ``path``, reading at most ``max_bytes + 1``.

    Raises:
        Unopened: the path is not a regular file (FIFO, device, socket), a symlink (not
            followed, dangling or looping), larger than ``max_bytes`` while read
            (``too_large``), or unreadable (``unreadable``).
    """
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            path = _resolve_link(path, follow_symlinks)
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Unopened("not_a_regular_file", f"{_kind(info.st_mode)}: not opened")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except Unopened:
        raise
    except OSError as error:
        raise Unopened("unreadable", f"{type(error).__name__}: {error.strerror}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or opened.st_ino != info.st_ino:
            raise Unopened("not_a_regular_file", "replaced by a non-regular file while opened")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise Unopened("unreadable", f"{type(error).__name__}: {error.strerror}") from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise Unopened(
            "too_large",
            f"more than {max_bytes} bytes while reading (--max-file-bytes); "
            "the source file is the durable copy",
            size=max(total, opened.st_size),
        )
    return b"".join(chunks)
