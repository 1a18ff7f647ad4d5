"""The board side of a virtual board's serial console: its pseudo-terminal, the bytes
between that and the MicroPython process (at the emulated baud rate), and the transcript.

The pty's slave (/dev/pts/N) is the board's serial port. The supervisor holds only the
master, so the kernel tells it whether a client has the port open (no client: POLLHUP),
and an inotify watch on the slave tells it when one opens it. Like a board's UART with
nothing attached, output with no client is dropped (it still goes to console.log), and
what a client left unread is flushed when it closes (from the master: the supervisor
never opens the port, so it is free for the next client the moment one closes).
"""

from __future__ import annotations

import ctypes
import os
import select
import termios
import time
import tty
from collections.abc import Callable
from pathlib import Path

BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit
TAIL = 4096  # console bytes kept for a crash report
LOG_LIMIT = 1 << 20  # console.log rotates to console.log.1 past this size
PENDING_MAX = 1 << 16  # bytes buffered each way before the sender is held back
CLIENT_CHECK = 0.05  # seconds between looks for a client, if inotify is unavailable
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
        """Drop what the last client left unread, so the next one starts clean.

        From the master, never by opening the port: a program that looks for holders of
        the port (or opens it exclusively) just after a client closed must not find the
        board's own supervisor there. On the master, TCOFLUSH drops the bytes not yet
        passed to the port's side, and termios calls act on the port's side, so setting
        its own settings again with TCSAFLUSH drops what its line discipline holds."""
        try:
            termios.tcflush(self.master, termios.TCOFLUSH)
            attrs = termios.tcgetattr(self.master)
            termios.tcsetattr(self.master, termios.TCSAFLUSH, attrs)
        except termios.error:
            pass  # the port is going away

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


class ConsoleBridge:
    """Moves console bytes between the pty's client and the MicroPython process's pipes.

    The child reads fd 0 (`in_r`, blocking, for user code) and HM_IN_FD (`in_nb`, a second
    non-blocking open of the same pipe) in its REPL, and writes `out_w`. The pipes outlive
    the child, so a reset keeps what was typed ahead. While `busy` (user code runs) a
    Ctrl-C from the client is handed to `interrupt` instead of the pipe.
    """

    def __init__(self, log_path: Path, baud: int, interrupt: Callable[[], None]) -> None:
        self.pty = Pty()
        self.in_r, self.in_w = os.pipe()
        self.in_nb = os.open(f"/proc/self/fd/{self.in_r}", os.O_RDONLY | os.O_NONBLOCK)
        self.out_r, self.out_w = os.pipe()
        os.set_blocking(self.in_w, False)
        os.set_blocking(self.out_r, False)
        self.log_path = log_path
        self.log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - open for the board's life
        self.log_size = self.log.tell()
        self.to_child = bytearray()
        self.to_host = bytearray()
        self.tail = bytearray()
        self.rx = Throttle(baud)
        self.tx = Throttle(baud)
        self.busy = False
        self.interrupt = interrupt
        self.next_client_check = 0.0

    def register(self, p: select.poll) -> float | None:
        """Add what the bridge waits for to `p`; returns the poll timeout it needs."""
        timeout = None
        if len(self.to_host) < PENDING_MAX:
            p.register(self.out_r, select.POLLIN)
        pty = self.pty
        if not pty.connected:
            now = time.monotonic()
            if now >= self.next_client_check:
                pty.connected = pty.client_present()
                self.next_client_check = now + CLIENT_CHECK if pty.opens < 0 else float("inf")
            if not pty.connected:
                if pty.opens >= 0:
                    p.register(pty.opens, select.POLLIN)
                else:
                    timeout = CLIENT_CHECK
        if pty.connected:
            events = select.POLLIN if len(self.to_child) < PENDING_MAX else 0
            if self.to_host:
                if self.tx.allowance():
                    events |= select.POLLOUT
                else:
                    timeout = min(timeout or 1.0, self.tx.wait())
            p.register(pty.master, events)
        if self.to_child:
            if self.rx.allowance():
                p.register(self.in_w, select.POLLOUT)
            else:
                timeout = min(timeout or 1.0, self.rx.wait())
        return timeout

    def handle(self, ready: dict[int, int]) -> None:
        """Move what can move after a poll that returned `ready`."""
        if self.pty.opens in ready:
            self.pty.take_opens()
            self.next_client_check = 0.0  # look on the next turn
        if self.out_r in ready:
            self.read_output()
        master = ready.get(self.pty.master, 0)
        if master & select.POLLIN:
            self.read_client()
        if master & (select.POLLHUP | select.POLLERR) and self.pty.connected:
            self.read_client()
            if self.pty.connected:
                self.client_left()
        if self.to_child:
            self.write_child()
        if self.to_host and self.pty.connected:
            self.write_client()

    def read_output(self) -> None:
        while len(self.to_host) < PENDING_MAX:
            try:
                data = os.read(self.out_r, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            self.emit(data)

    def emit(self, data: bytes) -> None:
        """Board output: to the log and the crash tail, and to the client if one is there."""
        self.log.write(data)
        self.log_size += len(data)
        if self.log_size > LOG_LIMIT:
            self.log.close()
            os.replace(self.log_path, self.log_path.with_suffix(".log.1"))
            self.log = open(self.log_path, "ab", buffering=0)  # noqa: SIM115
            self.log_size = 0
        self.tail += data
        del self.tail[:-TAIL]
        if self.pty.connected:
            self.to_host += data

    def read_client(self) -> None:
        while len(self.to_child) < PENDING_MAX:
            data = self.pty.read()
            if data is None:
                self.client_left()
                return
            if not data:
                return
            if self.busy and b"\x03" in data:
                # Ctrl-C interrupts running code, as a board's UART interrupt char does.
                parts = data.split(b"\x03")
                for part in parts[:-1]:
                    self.to_child += part
                    self.interrupt()
                self.to_child += parts[-1]
            else:
                self.to_child += data

    def client_left(self) -> None:
        self.pty.connected = False
        self.to_host.clear()
        self.pty.flush_unread()

    def write_child(self) -> None:
        n = min(len(self.to_child), self.rx.allowance())
        try:
            done = os.write(self.in_w, self.to_child[:n]) if n else 0
        except BlockingIOError:
            done = 0
        del self.to_child[:done]
        self.rx.spend(done)

    def write_client(self) -> None:
        n = min(len(self.to_host), self.tx.allowance())
        done = self.pty.write(self.to_host[:n]) if n else 0
        del self.to_host[:done]
        self.tx.spend(done)

    def drop_input(self) -> None:
        """Forget what was typed (a hard reset): queued here and unread in the pipe."""
        self.to_child.clear()
        try:
            while os.read(self.in_nb, 65536):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        self.pty.close()
        self.log.close()
