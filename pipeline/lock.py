"""One writer per dataset: an exclusive lock file (a lease) with heartbeat and stale recovery.

Why not ``filelock``/``fasteners``: they wrap ``flock``/``fcntl`` locks, which belong to
one open file of one process. The dataset lock must also be checked by *another*
process (the last step of a ``--commit-in-pipeline`` job on a worker verifies that the
launcher's lease is still in force), name its holder in the refusal message, and work
on object stores (``gs://``, ``s3://``) where no OS lock exists; ``flock`` is also
unreliable on network filesystems. So the lease is a small JSON file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import secrets
import socket
import threading
import time

import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline.fsutil import delete_paths, is_local

__all__ = ["DatasetLock", "LeaseLostError", "LockedError", "verify_lease"]

_LOG = logging.getLogger(__name__)


class LockedError(RuntimeError):
    """Another live run holds the dataset's lock."""


class LeaseLostError(LockedError):
    """This writer no longer holds the dataset's lock: it must not commit."""


def _process_start(pid: int) -> str | None:
    """Start time of ``pid`` (Linux clock ticks since boot) and the boot id, or None.

    A pid that is alive but started at another time is a reused pid: its lock is stale.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        with open("/proc/sys/kernel/random/boot_id") as handle:
            boot = handle.read().strip()
    except (OSError, IndexError):
        return None
    return f"{boot}:{int(fields[19])}"


def _read_record(path: str) -> dict | None:
    try:
        with FileSystems.open(path) as handle:
            record = orjson.loads(handle.read())
    except Exception:  # noqa: BLE001 - a vanished, empty or torn lock reads as absent
        return None
    return record if isinstance(record, dict) else None


def verify_lease(root: str, lease: str) -> None:
    """Raises LeaseLostError unless ``root``'s lock still holds ``lease``.

    Called by every committing path just before its commit point; also from the
    pipeline's own commit step (``--commit-in-pipeline``), in another process.
    """
    path = f"{root.rstrip('/')}/_lock"
    holder = _read_record(path)
    if holder is None or holder.get("lease") != lease:
        who = "nobody" if holder is None else f"{holder.get('owner')} (host {holder.get('host')})"
        raise LeaseLostError(
            f"this writer no longer holds {path} (now held by {who}): another writer took "
            "the output over; nothing was committed by this run"
        )


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
        self.lease = secrets.token_hex(8)
        self._record = {
            "owner": owner,
            "lease": self.lease,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "pid_start": _process_start(os.getpid()),
            "acquired_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        }

    def __enter__(self) -> DatasetLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Takes the lock or raises LockedError naming the live holder and how to clear it.

        A lock file that is empty or torn (e.g. left by a full disk) is not a live
        lock: lock files are written whole (a temporary file hard-linked into place),
        so such a file was never a complete lock and is taken over.
        """
        for _ in range(3):
            if self._try_create():
                self._start_heartbeat()
                return
            raw = self._read_raw()
            holder = _read_record(self.path) if raw is not None else None
            if raw is None:
                continue  # vanished between the two calls: try again
            if holder is not None and not self._is_stale(holder):
                raise LockedError(self._held_message(holder))
            if holder is None:
                _LOG.warning("%s is empty or torn (not a live lock): taking it over", self.path)
            else:
                _LOG.warning("%s of %s is stale: taking it over", self.path, holder.get("owner"))
            self._break_stale(raw)
        raise LockedError(f"could not acquire {self.path}: it keeps changing hands")

    def _held_message(self, holder: dict) -> str:
        try:
            age = f"{self._age_s():.0f} s ago"
        except (OSError, IndexError):
            age = "at an unknown time"
        return (
            f"{self.path} is held by {holder.get('owner')} (host {holder.get('host')}, "
            f"pid {holder.get('pid')}, since {holder.get('acquired_at')}, last heartbeat "
            f"{age}); another run is active on this output. If that process is gone, the "
            f"lock is taken over automatically once its heartbeat is older than "
            f"{self._stale_after:.0f} s. To clear it now, first check on host "
            f"{holder.get('host')} that no newsingest process holds it (`ps -p "
            f"{holder.get('pid')} -o pid,lstart,cmd`), then delete {self.path}."
        )

    def assert_held(self) -> None:
        """Raises LeaseLostError unless the lock is still ours (checked before committing)."""
        if self._lost:
            raise LeaseLostError(
                f"lost {self.path} while running (heartbeat failed or taken over); "
                "nothing was committed"
            )
        try:
            verify_lease(self.path.rsplit("/", 1)[0], self.lease)
        except LeaseLostError as error:
            raise LeaseLostError(f"lost {self.path} while running: {error}") from None

    def release(self) -> None:
        """Stops the heartbeat and removes the lock if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        holder = _read_record(self.path)
        if holder is not None and holder.get("lease") == self.lease:
            delete_paths([self.path])

    def _try_create(self) -> bool:
        data = orjson.dumps(self._record)
        if is_local(self.path):
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            return self._create_local(data)
        if FileSystems.exists(self.path):
            return False
        with FileSystems.create(self.path) as handle:
            handle.write(data)
        holder = _read_record(self.path)
        return holder is not None and holder.get("lease") == self.lease

    def _create_local(self, data: bytes) -> bool:
        """Writes the whole record to a temporary file, then links it into place (atomic,
        fails if the lock exists); falls back to ``O_EXCL`` where hard links are missing."""
        temporary = f"{self.path}.{self.lease}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                return False
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                return self._create_exclusive(data)
            return True
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)

    def _create_exclusive(self, data: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def _read_raw(self) -> bytes | None:
        try:
            with FileSystems.open(self.path) as handle:
                return handle.read()
        except Exception:  # noqa: BLE001 - a vanished lock reads as absent
            return None

    def _age_s(self) -> float:
        if is_local(self.path):
            return time.time() - os.stat(self.path).st_mtime
        [result] = FileSystems.match([self.path])
        return time.time() - result.metadata_list[0].last_updated_in_seconds

    def _is_stale(self, holder: dict) -> bool:
        same_host = holder.get("host") == socket.gethostname()
        pid = holder.get("pid")
        if same_host and isinstance(pid, int):
            if not _pid_alive(pid):
                return True
            recorded, current = holder.get("pid_start"), _process_start(pid)
            if recorded and current and recorded != current:
                return True  # the pid now belongs to another process
        try:
            return self._age_s() > self._stale_after
        except (OSError, IndexError):
            return True

    def _break_stale(self, judged: bytes) -> None:
        """Removes the stale lock whose content was ``judged``; a lock that changed in
        between (another writer took it over first) is put back."""
        if is_local(self.path):
            stale = f"{self.path}.stale-{time.time_ns()}"
            try:
                os.rename(self.path, stale)
            except FileNotFoundError:
                return
            with open(stale, "rb") as handle:
                moved = handle.read()
            if moved != judged:
                with contextlib.suppress(FileExistsError):
                    os.link(stale, self.path)
            os.remove(stale)
            return
        delete_paths([self.path])

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self._heartbeat):
                holder = _read_record(self.path)
                if holder is None or holder.get("lease") != self.lease:
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
