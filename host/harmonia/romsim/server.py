"""Serves a `RomLoader` on a loopback TCP port (`socket://127.0.0.1:PORT`) or a pty.

One thread per simulator waits on the port with `select`; `stop()` wakes it and
joins it. A new TCP connection is a reset into download mode, as the auto-reset
circuit of a board does when a host opens its port; a pty keeps its state until
the chip vanishes, after which it comes back on a new pty (a re-enumerated USB
port), with `link`, if given, kept pointing at the current one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import threading
import tty
from pathlib import Path
from types import TracebackType

from .chips import chip_by_key
from .loader import Faults, RomLoader, Vanish
from .slip import Decoder, encode
from .spiflash import SpiFlash

_READ = 4096


class RomSim:
    """A simulated ESP chip in download mode, backed by a flash image file.

    >>> import tempfile, pathlib
    >>> image = pathlib.Path(tempfile.mkdtemp()) / "flash.bin"
    >>> with RomSim(image, 0x400000) as sim:
    ...     sim.port.startswith("socket://127.0.0.1:")
    True
    """

    def __init__(
        self,
        flash_image: Path,
        flash_size: int,
        *,
        chip: str = "esp32c3",
        transport: str = "tcp",
        tcp_port: int = 0,
        link: Path | None = None,
        faults: Faults | None = None,
    ):
        if transport not in ("tcp", "pty"):
            raise ValueError(f"transport is 'tcp' or 'pty', not {transport!r}")
        self.transport = transport
        self.faults = faults if faults is not None else Faults()
        self.flash = SpiFlash(Path(flash_image), flash_size)
        # a locally administered MAC derived from the image path: stable per virtual chip
        mac = b"\x02" + hashlib.sha256(str(Path(flash_image).resolve()).encode()).digest()[:5]
        self.loader = RomLoader(chip_by_key(chip), self.flash, self.faults, self._record, mac)
        self.events: list[str] = []
        self.link = link
        self._tcp_port = tcp_port
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._master = -1
        self._slave = -1
        self._pty_path = ""
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> RomSim:
        if self._thread is not None:
            return self
        self._wake_r, self._wake_w = os.pipe()
        if self.transport == "tcp":
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self._tcp_port))
            listener.listen(1)
            self._listener = listener
            self._tcp_port = listener.getsockname()[1]
        else:
            self._open_pty()
        self._thread = threading.Thread(target=self._serve, name=f"romsim {self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            self.flash.close()
            return
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        self._thread = None
        self._close_conn()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._close_pty()
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._wake_r = self._wake_w = -1
        self.flash.close()

    def __enter__(self) -> RomSim:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> str:
        """What a host opens: a pyserial URL for TCP, the pty's path (or `link`) otherwise."""
        if self.transport == "tcp":
            return f"socket://127.0.0.1:{self._tcp_port}"
        return str(self.link) if self.link is not None else self._pty_path

    def reset(self, download_mode: bool = True) -> None:
        """Reset the chip, into the ROM loader or (False) into its app, which ignores the host."""
        self.faults.download_mode = download_mode
        self.loader.reset()
        self._record("reset")

    def _record(self, event: str) -> None:
        self.events.append(event)

    # -- serving ------------------------------------------------------------------

    def _serve(self) -> None:
        decoder = Decoder()
        while not self._stopping:
            source = self._source()
            ready, _, _ = select.select([self._wake_r, source], [], [])
            if self._wake_r in ready:
                break
            if source is self._listener:
                self._accept()
                decoder = Decoder()
                continue
            data = self._read()
            if not data:
                self._close_conn()
                self._record("disconnect")
                continue
            try:
                for packet in decoder.feed(data):
                    for answer in self.loader.handle(packet):
                        self._write(encode(answer))
            except Vanish as vanish:
                self._record(str(vanish))
                self._vanish()
                decoder = Decoder()
            except OSError:  # the host went away while we answered
                self._close_conn()
                self._record("disconnect")
            except Exception as exc:  # a loader bug: drop this host, keep serving
                self._record(f"error {exc!r}")
                self._close_conn()
                decoder = Decoder()

    def _source(self) -> socket.socket | int:
        if self.transport == "pty":
            return self._master
        if self._conn is not None:
            return self._conn
        assert self._listener is not None
        return self._listener

    def _accept(self) -> None:
        assert self._listener is not None
        conn, _ = self._listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        self.loader.reset()
        self._record("connect")

    def _read(self) -> bytes:
        try:
            if self._conn is not None:
                return self._conn.recv(_READ)
            return os.read(self._master, _READ)
        except OSError:
            return b""

    def _write(self, data: bytes) -> None:
        if self._conn is not None:
            self._conn.sendall(data)
        else:
            view = memoryview(data)
            while view:
                view = view[os.write(self._master, view) :]

    def _vanish(self) -> None:
        if self.transport == "tcp":
            self._close_conn()
        else:
            self._close_pty()
            self._open_pty()
        self.loader.reset()

    def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.shutdown(socket.SHUT_RDWR)
            self._conn.close()
            self._conn = None

    def _open_pty(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass as they are
        self._pty_path = os.ttyname(self._slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._pty_path)
            tmp.replace(self.link)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1
