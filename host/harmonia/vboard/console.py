"""The board side of a virtual board's serial console: a pseudo-terminal and a baud throttle.

The pty's slave (/dev/pts/N) is the board's serial port. The supervisor holds only the
master, so the kernel tells it whether a client has the port open (no client: POLLHUP),
and an inotify watch on the slave tells it when one opens it. Like a board's UART with
nothing attached, output with no client is dropped (it still goes to console.log), and
what a client left unread is flushed when it closes.
"""

from __future__ import annotations

import ctypes
import os
import select
import termios
import time
import tty

BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit
_IN_OPEN = 0x20
_libc = ctypes.CDLL(None, use_errno=True)


def _watch_opens(path: str) -> int:
    """An inotify fd that becomes readable when someone opens `path`; -1 if unavailable."""
    fd = int(_libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
    if fd < 0:
        return -1
    if _libc.inotify_add_watch(fd, os.fsencode(path), _IN_OPEN) < 0:
        os.close(fd)
        return -1
    return fd


class Pty:
    """The master side of the board's serial port."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        tty.setraw(slave)  # kept by the tty until the master closes: no echo, no line editing
        os.close(slave)
        os.set_blocking(self.master, False)
        self.opens = _watch_opens(self.port)
        self.connected = False

    def take_opens(self) -> None:
        """Consume the open notifications (then look with client_present())."""
        try:
            while os.read(self.opens, 4096):
                pass
        except BlockingIOError:
            pass

    def client_present(self) -> bool:
        """True when some process has the port open (the master then sees no hang-up)."""
        p = select.poll()
        p.register(self.master, select.POLLIN)
        return not any(ev & select.POLLHUP for _fd, ev in p.poll(0))

    def flush_unread(self) -> None:
        """Drop what the last client left unread, so the next one starts clean."""
        try:
            fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            termios.tcflush(fd, termios.TCIFLUSH)
        finally:
            os.close(fd)

    def read(self) -> bytes | None:
        """Input from the client; None when the client has gone."""
        try:
            return os.read(self.master, 4096)
        except BlockingIOError:
            return b""
        except OSError:
            return None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        try:
            return os.write(self.master, data)
        except BlockingIOError:
            return 0

    def close(self) -> None:
        os.close(self.master)
        if self.opens >= 0:
            os.close(self.opens)


class Throttle:
    """A byte-rate limit (token bucket) emulating a UART's baud rate; None: unlimited."""

    def __init__(self, baud: int) -> None:
        self.rate = baud / BITS_PER_BYTE if baud > 0 else None
        self._burst = max(1.0, self.rate * 0.005) if self.rate else 0.0
        self._credit = 0.0
        self._t = time.monotonic()

    def allowance(self) -> int:
        """Bytes that may pass now."""
        if self.rate is None:
            return 1 << 20
        now = time.monotonic()
        self._credit = min(self._burst, self._credit + (now - self._t) * self.rate)
        self._t = now
        return int(self._credit)

    def spend(self, n: int) -> None:
        if self.rate is not None:
            self._credit -= n

    def wait(self) -> float:
        """Seconds until the next byte may pass."""
        if self.rate is None:
            return 0.0
        return max(0.0, (1.0 - self._credit) / self.rate)
