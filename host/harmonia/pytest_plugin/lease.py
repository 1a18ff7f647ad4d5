"""Leases: a board belongs to one test process at a time (xdist workers, parallel CI jobs).

A lease is an exclusive `flock` on `<lease dir>/<board>.lock`; the kernel drops it when
the holder exits, however it exits, so a crashed worker never leaves a board taken. The
file says who holds it, for the message of a process that has to wait.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import LeaseTimeout

LEASE_DIR_ENV = "HARMONIA_LEASE_DIR"
POLL = 0.05


def default_lease_dir() -> Path:
    """$HARMONIA_LEASE_DIR, else one directory per user in the system temp dir, so every
    test process on this machine (any session, any worker) sees the same leases."""
    env = os.environ.get(LEASE_DIR_ENV)
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"harmonia-leases-{os.getuid()}"


class Lease:
    """One held board; `release()` (or the process ending) gives it back."""

    def __init__(self, key: str, path: Path, fd: int) -> None:
        self.key = key
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __repr__(self) -> str:
        return f"<Lease {self.key} {'held' if self.held else 'released'}>"


class LeaseDir:
    """The leases of one bench (by default, of this machine)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_lease_dir()

    def path(self, key: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("_")[:60]
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
        return self.root / f"{safe}-{digest}.lock"

    def try_acquire(self, key: str, holder: str) -> Lease | None:
        """The lease on `key` if nobody holds it, else None (never waits)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{key}\npid {os.getpid()}\n{holder}\n".encode(), 0)
        return Lease(key, path, fd)

    def holder(self, key: str) -> str:
        """Who holds `key`, as its lease file says ("" when free or unknown)."""
        try:
            lines = self.path(key).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return " ".join(lines[1:3])

    def acquire(self, keys: Sequence[str], count: int, holder: str,
                timeout: float) -> list[Lease]:
        """`count` leases among `keys` (in order of preference), all or none.

        Waits up to `timeout` seconds; a process never sits on part of a set while it
        waits, so two processes that both need several boards cannot block each other.
        """
        deadline = time.monotonic() + timeout
        while True:
            got: list[Lease] = []
            for key in keys:
                lease = self.try_acquire(key, holder)
                if lease is not None:
                    got.append(lease)
                    if len(got) == count:
                        return got
            for lease in got:
                lease.release()
            if time.monotonic() >= deadline:
                held = [f"{k} ({self.holder(k) or 'held'})" for k in keys[:8]]
                raise LeaseTimeout(
                    f"no {count} free board(s) within {timeout:g} s: {', '.join(held)} are "
                    f"leased by other test processes (lease dir {self.root}); run fewer "
                    "workers, add boards to the bench, or raise --hm-lease-timeout"
                )
            time.sleep(POLL)
