"""UART ports of a virtual board and the links that wire two of them together.

A port carries bytes both ways: what board code writes (captured for the host and
passed to every sink: links, peer hubs) and what arrives for board code (from a
link or the host). Bytes that arrive while board code has not opened the port wait
(up to `PENDING_MAX`), as in a driver's buffer; when the board's stream is full,
further bytes are lost and counted, as in a FIFO overrun.

A link lives in the hub that made it and reaches the peer hub over the peer's
socket. It can drop and corrupt bytes, each direction with its own seeded random
stream, so the same seed and the same bytes give the same damage.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import Callable

from . import wire
from .state import LinkStats

PENDING_MAX = 1 << 16
CAPTURE_MAX = 1 << 20
Sink = Callable[[bytes], None]


class Impairment:
    """Drops or corrupts bytes with given probabilities, from a seeded stream."""

    def __init__(self, drop: float = 0.0, corrupt: float = 0.0, seed: object = None) -> None:
        self.drop = 0.0
        self.corrupt = 0.0
        self.set(drop, corrupt)
        self._rng = random.Random(None if seed is None else str(seed))
        self.sent = self.dropped = self.corrupted = 0

    def set(self, drop: float | None = None, corrupt: float | None = None) -> None:
        for name, value in (("drop", drop), ("corrupt", corrupt)):
            if value is None:
                continue
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability in 0..1, not {value}")
            setattr(self, name, float(value))

    def apply(self, data: bytes) -> bytes:
        """The bytes that come out of the wire for `data` going in."""
        if not self.drop and not self.corrupt:
            self.sent += len(data)
            return data
        out = bytearray()
        rng = self._rng
        for b in data:
            lost, hit, bit = rng.random(), rng.random(), rng.randrange(8)
            if lost < self.drop:
                self.dropped += 1
                continue
            if hit < self.corrupt:
                b ^= 1 << bit  # one flipped bit: the byte always differs
                self.corrupted += 1
            out.append(b)
        self.sent += len(out)
        return bytes(out)


class UartPort:
    def __init__(self, uart_id: int, cond: threading.Condition) -> None:
        self.id = uart_id
        self.config: dict[str, object] = {"baudrate": 115200, "bits": 8, "parity": None, "stop": 1}
        self.cond = cond  # the hub's: guards capture and board, wakes waiters
        self.token: object = None  # of the board stream attached last
        self._send_lock = threading.Lock()
        self.board: socket.socket | None = None
        self.pending = bytearray()
        self.capture = bytearray()
        self.sinks: list[Sink] = []
        self.overrun = 0

    def power_on(self) -> None:
        """A reset: what was on its way to the old board process is gone."""
        self.pending.clear()
        self.config = {"baudrate": 115200, "bits": 8, "parity": None, "stop": 1}

    def attach_board(self, sock: socket.socket, token: object) -> None:
        """Board code opened the port; what waited for it goes first, then `token` is
        published so the board's UART() call can return (see `ready`)."""
        with self._send_lock:  # deliver() waits here: nothing overtakes the waiting bytes
            with self.cond:
                old, self.board = self.board, sock
                data, self.pending = bytes(self.pending), bytearray()
            self._send(sock, data)
            with self.cond:
                self.token = token
                self.cond.notify_all()
        if old is not None:
            with contextlib.suppress(OSError):
                old.close()

    def ready(self, token: object) -> bool:
        """The board's stream with this token is attached and caught up (cond held)."""
        return self.token == token and self.board is not None

    def serve_board(self, sock: socket.socket, first: bytes, token: object) -> None:
        """Carry board code's stream until it closes: its writes are TX bytes."""
        self.attach_board(sock, token)
        try:
            if first:
                self.on_tx(first)
            while data := sock.recv(65536):
                self.on_tx(data)
        finally:
            with self.cond:
                if self.board is sock:
                    self.board = None
                    self.cond.notify_all()

    def serve_peer(self, sock: socket.socket, first: bytes) -> None:
        """Carry a peer hub's link until it closes: its bytes arrive on RX, TX goes to it."""
        out = wire.Sender(sock)

        def sink(data: bytes) -> None:
            with contextlib.suppress(OSError):
                out.raw(data)

        with self.cond:
            self.sinks.append(sink)
        try:
            if first:
                self.deliver(first)
            while data := sock.recv(65536):
                self.deliver(data)
        finally:
            with self.cond:
                self.sinks.remove(sink)

    def deliver(self, data: bytes) -> None:
        """Bytes arriving on the board's RX line."""
        with self.cond:
            board = self.board
            if board is None:
                room = PENDING_MAX - len(self.pending)
                self.pending += data[:room]
                self.overrun += max(0, len(data) - room)
                return
        with self._send_lock:
            self._send(board, data)

    def _send(self, board: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = board.send(view, socket.MSG_DONTWAIT)
            except BlockingIOError:
                self.overrun += len(view)  # the board's buffer is full: a FIFO overrun
                return
            except OSError:
                return  # the board process went away mid-write
            view = view[n:]

    def on_tx(self, data: bytes) -> None:
        """Bytes board code wrote on the TX line."""
        with self.cond:
            self.capture += data
            if len(self.capture) > CAPTURE_MAX:
                del self.capture[: len(self.capture) - CAPTURE_MAX]
            sinks = list(self.sinks)
            self.cond.notify_all()
        for sink in sinks:
            sink(data)


class PeerLink:
    """A wire from one of this hub's UARTs to a UART of another (or the same) hub."""

    def __init__(
        self,
        link_id: int,
        port: UartPort,
        peer_path: str,
        peer_uart: int,
        drop: float,
        corrupt: float,
        seed: object,
    ) -> None:
        self.id = link_id
        self.port = port
        self.peer = f"{peer_path} UART {peer_uart}"
        self.ab = Impairment(drop, corrupt, None if seed is None else f"{seed}/a>b")
        self.ba = Impairment(drop, corrupt, None if seed is None else f"{seed}/b>a")
        self._sock = wire.connect_unix(peer_path, timeout=5.0)
        self._sock.settimeout(None)
        self._out = wire.Sender(self._sock)
        self._out.send({"op": "hello", "role": "peer", "uart": peer_uart})
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, name=f"hw-link-{link_id}", daemon=True)

    def start(self) -> None:
        with self.port.cond:
            self.port.sinks.append(self.forward)
        self._thread.start()

    def forward(self, data: bytes) -> None:
        with self._lock:
            out = self.ab.apply(data)
        if out:
            with contextlib.suppress(OSError):
                self._out.raw(out)

    def _pump(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                out = self.ba.apply(data)
            if out:
                self.port.deliver(out)

    def set(self, drop: float | None, corrupt: float | None, direction: str) -> None:
        with self._lock:
            if direction in ("both", "a>b"):
                self.ab.set(drop, corrupt)
            if direction in ("both", "b>a"):
                self.ba.set(drop, corrupt)

    def stats(self) -> LinkStats:
        with self._lock:
            return LinkStats(
                sent={"a>b": self.ab.sent, "b>a": self.ba.sent},
                dropped={"a>b": self.ab.dropped, "b>a": self.ba.dropped},
                corrupted={"a>b": self.ab.corrupted, "b>a": self.ba.corrupted},
            )

    def close(self) -> None:
        with self.port.cond:
            if self.forward in self.port.sinks:
                self.port.sinks.remove(self.forward)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
