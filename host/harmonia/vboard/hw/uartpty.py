"""A virtual board's UART as a pseudo-terminal, so host tools open it as a serial port.

    with UartPty(board.hardware(), 0, Path("/tmp/relay-uart")) as port:
        ...  # pyserial, harmonia.bus.SerialLink or mpremote open /tmp/relay-uart
"""

from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path
from types import TracebackType

from .client import HardwareClient


class UartPty:
    """A raw pty whose far end is UART `uart` of the board behind `client`; `path` becomes
    a symlink to it. A thread pumps bytes both ways until `close()`, which also closes
    the client."""

    def __init__(self, client: HardwareClient, uart: int, path: Path) -> None:
        self.client = client
        self.uart = uart
        self.path = path
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        path.symlink_to(os.ttyname(self.slave))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def inject(self, data: bytes) -> None:
        """Bytes arriving at the host's port as if the board had sent them."""
        os.write(self.master, data)

    def _pump(self) -> None:
        while not self._stop.is_set():
            if select.select([self.master], [], [], 0.002)[0]:
                self.client.uart_write(self.uart, os.read(self.master, 4096))
            data = self.client.uart_read(self.uart, -1, timeout=0.005)
            if data:
                os.write(self.master, data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.client.close()
        os.close(self.master)
        os.close(self.slave)
        self.path.unlink()

    def __enter__(self) -> UartPty:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
