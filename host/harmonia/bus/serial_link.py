"""Serial link: COBS-framed frames on a UART or USB-CDC port (docs/protocol.md 2.1, 8.7).

A reader thread owns the port: it opens it, feeds the bytes to a `Deframer`
(garbage is counted and skipped) and, when the port fails or vanishes, closes
it and keeps trying to reopen it until it comes back. A writer thread drains a
bounded queue so the event loop never blocks on a slow or stalled port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from typing import Any

import serial

from ..codec import Deframer, cobs
from .link import Address, Link

log = logging.getLogger(__name__)

DEFAULT_BAUD = 921600
_READ_TIMEOUT = 0.05
_WRITE_TIMEOUT = 1.0


class SerialLink(Link):
    """One serial port; reopens it on its own after a failure."""

    kind = "serial"
    datagram = False

    def __init__(
        self,
        port: str,
        baudrate: int = DEFAULT_BAUD,
        reopen_interval: float = 0.1,
        queue_size: int = 64,
    ) -> None:
        super().__init__(f"serial:{port}")
        self.port = port
        self.baudrate = baudrate
        self.reopen_interval = reopen_interval
        self.opens = 0
        self.failed_opens = 0
        self.deframer = Deframer()
        self._port: serial.Serial | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=queue_size)
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._read_loop, name=f"{self.name}-rx", daemon=True),
            threading.Thread(target=self._write_loop, name=f"{self.name}-tx", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._outbox.put_nowait(None)
        threads, self._threads = self._threads, []
        await asyncio.to_thread(_join_all, threads)
        self._close()
        self._set_state(False)

    def send(self, frame: bytes, addr: Address = None) -> bool:
        if not self.up:
            self._drop("down")
            return False
        try:
            # The leading delimiter flushes any garbage the receiver holds, so it costs
            # no good frame (protocol 2.1: an empty run is ignored).
            self._outbox.put_nowait(b"\x00" + cobs.encode(frame))
        except queue.Full:
            self._drop("queue")
            return False
        return True

    def _read_loop(self) -> None:
        while not self._stopping.is_set():
            port = self._port or self._reopen()
            if port is None:
                self._stopping.wait(self.reopen_interval)
                continue
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, ValueError) as exc:
                # TypeError/ValueError: pyserial's own symptoms of a port closed under it.
                log.info("%s: lost (%s); reopening", self.name, exc)
                self._close()
                self._notify(False)
                continue
            if data:
                frames = self.deframer.feed(data)
                self.dropped.update(self.deframer.dropped)
                for frame in frames:
                    self._deliver(frame)

    def _reopen(self) -> serial.Serial | None:
        try:
            port = serial.Serial(
                self.port,
                self.baudrate,
                timeout=_READ_TIMEOUT,
                write_timeout=_WRITE_TIMEOUT,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError):
            self.failed_opens += 1
            return None
        self.deframer.reset()
        with self._lock:
            self._port = port
        self.opens += 1
        log.info("%s: open", self.name)
        self._notify(True)
        return port

    def _write_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                data = self._outbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if data is None:
                return
            with self._lock:
                port = self._port
            if port is None:
                self._drop("down")
                continue
            try:
                port.write(data)
            except serial.SerialTimeoutException:
                self._drop("write_timeout")
            except (serial.SerialException, OSError, TypeError, ValueError):
                self._drop("write")  # the reader notices the failure and reopens

    def _close(self) -> None:
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    def _notify(self, up: bool) -> None:
        self._call(self._set_state, up)

    def _deliver(self, frame: bytes) -> None:
        self._call(self._on_frame, self, frame, None)

    def _call(self, func: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed since the check
            loop.call_soon_threadsafe(func, *args)


def _join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()
