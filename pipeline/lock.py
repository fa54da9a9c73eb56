"""One writer per dataset: an exclusive lock file with heartbeat and stale recovery."""

from __future__ import annotations

import datetime as dt
import errno
import os
import socket
import threading
import time

import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.fsutil import is_local

__all__ = ["DatasetLock", "LockedError"]


class LockedError(RuntimeError):
    """Another live run holds the dataset's lock."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DatasetLock:
    """``DIR/_lock``: held by one run (or watcher, or compaction) at a time.

    The lock file names its holder (host, pid, owner) and is touched every
    ``heartbeat_s`` seconds. It is stale, and is taken over, when its holder's
    process is gone (same host) or its heartbeat is older than
    ``stale_after_s``. On a local filesystem acquisition is atomic
    (``O_CREAT | O_EXCL`` and rename-based takeover); on object stores it is
    create-then-verify, which leaves a small race: schedule one writer per
    bucket prefix there.
    """

    def __init__(
        self, root: str, owner: str, stale_after_s: float = 300.0, heartbeat_s: float = 30.0
    ):
        if stale_after_s <= heartbeat_s:
            raise ValueError("stale_after_s must exceed heartbeat_s")
        self.path = f"{root.rstrip('/')}/_lock"
        self._owner = owner
        self._stale_after = stale_after_s
        self._heartbeat = heartbeat_s
        self._stop = threading.Event()
        self._lost = False
        self._thread: threading.Thread | None = None
        self._record = {
            "owner": owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "acquired_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        }

    def __enter__(self) -> DatasetLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Takes the lock or raises LockedError naming the live holder."""
        for _ in range(3):
            if self._try_create():
                self._start_heartbeat()
                return
            holder = self._read_holder()
            if holder is None and self._exists_fresh():
                raise LockedError(
                    f"{self.path} is being taken by another process; another run is active "
                    "on this output"
                )
            if holder is not None and not self._is_stale(holder):
                raise LockedError(
                    f"{self.path} is held by {holder.get('owner')} (host {holder.get('host')}, "
                    f"pid {holder.get('pid')}, since {holder.get('acquired_at')}); "
                    "another run is active on this output"
                )
            self._break_stale()
        raise LockedError(f"could not acquire {self.path}: it keeps changing hands")

    def assert_held(self) -> None:
        """Raises LockedError unless the lock is still ours (checked before committing)."""
        holder = self._read_holder()
        if self._lost or holder is None or holder.get("owner") != self._owner:
            raise LockedError(
                f"lost {self.path} while running (heartbeat failed or taken over); "
                "nothing was committed"
            )

    def _exists_fresh(self) -> bool:
        """A lock file exists but is unreadable (being written) and is not stale by age."""
        try:
            return self._age_s() <= self._stale_after
        except (OSError, IndexError):
            return False

    def release(self) -> None:
        """Stops the heartbeat and removes the lock if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        holder = self._read_holder()
        if holder is not None and holder.get("owner") == self._owner:
            FileSystems.delete([self.path])

    def _try_create(self) -> bool:
        data = orjson.dumps(self._record)
        if is_local(self.path):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except OSError as error:
                if error.errno == errno.EEXIST:
                    return False
                raise
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return True
        if FileSystems.exists(self.path):
            return False
        with FileSystems.create(self.path) as handle:
            handle.write(data)
        holder = self._read_holder()
        return holder is not None and holder.get("owner") == self._owner

    def _read_holder(self) -> dict | None:
        try:
            with FileSystems.open(self.path) as handle:
                return orjson.loads(handle.read())
        except Exception:  # noqa: BLE001 - a vanished or half-written lock reads as absent
            return None

    def _age_s(self) -> float:
        if is_local(self.path):
            return time.time() - os.stat(self.path).st_mtime
        [result] = FileSystems.match([self.path])
        return time.time() - result.metadata_list[0].last_updated_in_seconds

    def _is_stale(self, holder: dict) -> bool:
        same_host = holder.get("host") == socket.gethostname()
        if same_host and isinstance(holder.get("pid"), int) and not _pid_alive(holder["pid"]):
            return True
        try:
            return self._age_s() > self._stale_after
        except (OSError, IndexError):
            return True

    def _break_stale(self) -> None:
        if is_local(self.path):
            stale = f"{self.path}.stale-{time.time_ns()}"
            try:
                os.rename(self.path, stale)
            except FileNotFoundError:
                return
            os.remove(stale)
            return
        FileSystems.delete([self.path])

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self._heartbeat):
                holder = self._read_holder()
                if holder is None or holder.get("owner") != self._owner:
                    self._lost = True
                    return
                try:
                    if is_local(self.path):
                        os.utime(self.path)
                    else:
                        with FileSystems.create(self.path) as handle:
                            handle.write(orjson.dumps(self._record))
                except OSError:
                    self._lost = True
                    return

        self._thread = threading.Thread(target=beat, name="newsingest-lock-heartbeat", daemon=True)
        self._thread.start()
