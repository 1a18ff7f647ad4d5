"""Helpers for tests of bus nodes: free ports, loopback addresses, a pty null-modem cable.

`PtyCable` joins two serial port paths the way a cable joins two UARTs; it can
be unplugged (both ports vanish) and plugged in again, and can put garbage on
the line. POSIX only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import queue
import select
import socket
import threading
import tty
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .node import BusNode


def free_udp_port() -> int:
    """A UDP port no socket on any local address uses right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", 0))
        port: int = sock.getsockname()[1]
        return port


def loopback_addresses(count: int, first: int = 2) -> list[str]:
    """`count` distinct loopback addresses (127.0.0.2, 127.0.0.3, ...) for nodes on one machine."""
    return [f"127.0.0.{first + i}" for i in range(count)]


class PtyCable:
    """Two serial ports (`paths[0]`, `paths[1]`, symlinks to pty slaves) joined by a thread.

    Every change to the ptys happens in the pump thread, so no descriptor is
    closed while it is being read.
    """

    def __init__(self, directory: Path | str, names: tuple[str, str] = ("a", "b")) -> None:
        base = Path(directory)
        self.paths = (base / names[0], base / names[1])
        self.carried = 0
        self._ends: list[tuple[int, int]] = []  # (master, slave) per side
        self._jobs: queue.Queue[tuple[Callable[[], None], threading.Event]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="pty-cable", daemon=True)
        self._thread.start()
        self.plug()

    @property
    def plugged(self) -> bool:
        """True while both ports exist."""
        return bool(self._ends)

    def plug(self) -> None:
        """Create both ports (new ptys) and connect them."""
        self._do(self._plug)

    def unplug(self) -> None:
        """Remove both ports; a program holding one open sees it fail."""
        self._do(self._unplug)

    def inject(self, side: int, data: bytes) -> None:
        """Bytes arriving at port `side` (0 or 1) as if sent by the other end."""
        self._do(lambda: self._write(self._ends[side][0], data) if self._ends else None)

    def close(self) -> None:
        """Unplug and stop the pump thread."""
        if self._thread.is_alive():
            self.unplug()
            self._stop.set()
            self._thread.join(5.0)

    def __enter__(self) -> PtyCable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _do(self, job: Callable[[], None]) -> None:
        done = threading.Event()
        self._jobs.put((job, done))
        if not done.wait(5.0):
            raise TimeoutError("pty cable thread did not answer")

    def _plug(self) -> None:
        if self._ends:
            return
        for path in self.paths:
            master, slave = os.openpty()
            tty.setraw(slave)
            os.set_blocking(master, False)
            self._ends.append((master, slave))
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            path.symlink_to(os.ttyname(slave))

    def _unplug(self) -> None:
        for path in self.paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for master, slave in self._ends:
            os.close(master)
            os.close(slave)
        self._ends = []

    def _pump(self) -> None:
        while not self._stop.is_set():
            while not self._jobs.empty():
                job, done = self._jobs.get()
                try:
                    job()
                finally:
                    done.set()
            masters = [master for master, _ in self._ends]
            if not masters:
                self._stop.wait(0.01)
                continue
            readable, _, _ = select.select(masters, [], [], 0.01)
            for master in readable:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    continue
                other = masters[1] if master == masters[0] else masters[0]
                self._write(other, data)

    def _write(self, master: int, data: bytes) -> None:
        # When the far side is not reading the line drops bytes, as a real one would.
        with contextlib.suppress(OSError):
            self.carried += os.write(master, data)


def asyncio_test(func: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an `async def` test function in a fresh event loop (no plugin needed)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(func(*args, **kwargs))

    return wrapper


@contextlib.asynccontextmanager
async def running_nodes(
    count: int, *, port: int | None = None, names: list[str] | None = None, **options: Any
) -> AsyncIterator[list[BusNode]]:
    """`count` UDP nodes on distinct loopback addresses and one free port, all stopped after."""
    from .node import BusNode

    port = port or free_udp_port()
    names = names or [f"node{i}" for i in range(count)]
    nodes: list[BusNode] = []
    try:
        for name, address in zip(names, loopback_addresses(count), strict=True):
            nodes.append(await BusNode.start(name, address=address, port=port, **options))
        yield nodes
    finally:
        for node in nodes:
            await node.stop()
