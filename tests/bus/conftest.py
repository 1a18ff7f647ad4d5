"""Fixtures for the firmware bus tests (`test_fw_*.py`).

A `FwBoard` is the firmware bus (`hm.app`) on the real MicroPython unix port in
its own process, behind an in-process hardware hub (`harmonia.vboard.hw`), so
`machine.unique_id()`, `machine.UART` and `network.WLAN` are the virtual
board's. Each test gets its own UDP port and group key (`fwbus` fixture) and
every process it starts is stopped at the end. The host side of a test is a
`harmonia.bus.SyncBus` node, or a `RawPeer` that writes frames by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harmonia.bus.security import Security
from harmonia.bus.sync import SyncBus
from harmonia.bus.testing import free_udp_port
from harmonia.codec import FLAG_AUTH, Frame, Header, cobs, decode_frame, ident
from harmonia.codec.errors import CodecError
from harmonia.paths import firmware_dir, micropython_exe
from harmonia.vboard.hw.client import HardwareClient, UartLink, link_uarts
from harmonia.vboard.hw.hub import HardwareHub

FW_SERVICES = Path(__file__).resolve().parent / "fw"
BOARD_HEAP = 262_144  # boards/virtual.toml


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns a true value; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


class FwBoard:
    """One board running the firmware bus; `start()`, `kill()`, `start()` again, `stop()`."""

    def __init__(self, root: Path, name: str, address: str | None, config: dict[str, Any],
                 radio: bool = True, paths: tuple[str, ...] = (), heap: int = BOARD_HEAP) -> None:
        self.name = name
        self.paths = paths
        self.heap = heap
        self.address = address
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.hub = HardwareHub(name, {"radios": ["wifi"] if radio else []}, self.dir)
        self.hub.start()
        self.proc: subprocess.Popen[bytes] | None = None
        self.boots = 0
        self._client: HardwareClient | None = None

    @property
    def log_path(self) -> Path:
        return self.dir / f"console{self.boots}.log"

    def start(self) -> FwBoard:
        """Power on and wait until the bus runs."""
        self.spawn()
        return self.wait_started()

    def spawn(self) -> None:
        """Power on (the process starts; the bus comes up on its own)."""
        assert self.proc is None, "board already running"
        self.boots += 1
        cfg_path = self.dir / "hm.json"
        cfg_path.write_text(json.dumps(self.config))
        env = dict(os.environ)
        env.update(self.hub.child_env())
        env["MICROPYPATH"] = ":".join([str(self.hub.runtime_dir()), ".frozen", str(firmware_dir()),
                                       str(FW_SERVICES), *self.paths])
        if self.address:
            env["HM_ADDR"] = self.address
        code = f"import hm.app; hm.app.main({str(cfg_path)!r})"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [micropython_exe(), "-X", f"heapsize={self.heap}", "-c", code],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            )

    def wait_started(self, timeout: float = 10.0) -> FwBoard:
        wait_for(lambda: b"hm: node" in self.log_path.read_bytes() or self._died(), timeout,
                 f"{self.name} to start")
        if self._died():
            raise AssertionError(f"{self.name} exited:\n{self.console()}")
        return self

    def _died(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def console(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Power off: the process ends at once, nothing is said on the bus."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    @property
    def hw(self) -> HardwareClient:
        if self._client is None:
            self._client = HardwareClient(self.hub.socket_path)
        return self._client

    def stop(self) -> None:
        self.kill()
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.close()
            self._client = None
        self.hub.stop()


class FwBus:
    """The boards, host nodes and raw peers of one test, on one fresh port and key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_udp_port()
        self.key = os.urandom(32).hex()
        self.boards: dict[str, FwBoard] = {}
        self._closers: list[Callable[[], None]] = []
        self._next = 2
        self.paths: tuple[str, ...] = ()  # more MicroPython import dirs for every board

    def address(self) -> str:
        addr = f"127.0.0.{self._next}"
        self._next += 1
        return addr

    def board(self, name: str, *, radio: bool = True, serial: list[dict[str, Any]] | None = None,
              start: bool = True, heap: int = BOARD_HEAP, **config: Any) -> FwBoard:
        """A board named `name` running the probe service; `config` adds /hm.json keys."""
        cfg: dict[str, Any] = {"name": name, "board": "virtual", "group_key": self.key,
                               "port": self.port, "services": ["probe"],
                               "wifi": {"ssid": "harmonia", "key": "x"}}
        if not radio:
            cfg["udp"] = False
        if serial:
            cfg["serial"] = serial
        cfg.update(config)
        board = FwBoard(self.root, name, self.address() if radio else None, cfg, radio,
                        self.paths, heap)
        self.boards[name] = board
        if start:
            board.start()
        return board

    def host(self, name: str = "host", **options: Any) -> SyncBus:
        """A host bus node on 127.0.0.1 with this test's port and key."""
        options.setdefault("key", self.key)
        bus = SyncBus.open(name, address="127.0.0.1", port=self.port, **options)
        self._closers.append(bus.close)
        return bus

    def raw(self, key: str | None = "same") -> RawPeer:
        """A peer that writes frames by hand (`key="same"`: this test's key; None: none)."""
        peer = RawPeer(self.address(), self.port, self.key if key == "same" else key)
        self._closers.append(peer.close)
        return peer

    wait_for = staticmethod(wait_for)

    @staticmethod
    def id_of(board: FwBoard) -> int:
        """The node id the firmware derives from the hub's unique id (protocol 8.1)."""
        return board_id(board)

    def link(self, a: FwBoard, b: FwBoard, uart: int = 1) -> UartLink:
        return link_uarts(a.hw, uart, b.hw, uart)

    def close(self) -> None:
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        for board in self.boards.values():
            board.stop()


class RawPeer:
    """Frames written by hand from one UDP socket: forged, replayed, oversize, wrong key."""

    def __init__(self, address: str, port: int, key: str | None) -> None:
        self.id = int.from_bytes(os.urandom(4), "big") | 1
        self.security = Security(bytes.fromhex(key) if key else None,
                                 int.from_bytes(os.urandom(4), "big"))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.05)
        self.seq = 0

    def frame(self, mtype: int, dst: int, method: str, payload: Any = None, *,
              flags: int = 0, seq: int | None = None) -> bytes:
        """A sealed frame (or plain, without a key) for `service.method` on `dst`."""
        svc, _, mth = method.rpartition(".")
        if seq is None:
            self.seq = (self.seq + 1) & 0xFFFF
            seq = self.seq
        header = Header(mtype, flags, seq, self.id, dst, ident(svc), ident(mth))
        return self.security.seal(header, payload)

    def send(self, frame: bytes, board: FwBoard) -> None:
        assert board.address is not None
        self.sock.sendto(frame, (board.address, board.config["port"]))

    def receive(self, match: Callable[[Frame], bool], timeout: float = 2.0) -> Frame:
        """The first frame for which `match` is true (others are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(8192)
            except TimeoutError:
                continue
            try:
                frame = decode_frame(data)
            except CodecError:
                continue
            if match(frame):
                return frame
        raise AssertionError(f"no matching frame within {timeout:g} s")

    def answer(self, seq: int, timeout: float = 2.0) -> Frame:
        """The RESPONSE or ERROR for request `seq`."""
        return self.receive(lambda f: f.header.type in (2, 3) and f.header.seq == seq, timeout)

    def close(self) -> None:
        self.sock.close()


def serial_frame(security: Security, header: Header, payload: Any = None) -> bytes:
    """A sealed frame as it travels on a serial line: 0x00, COBS, 0x00."""
    return b"\x00" + cobs.encode(security.seal(header, payload))


def keyed(frame: bytes) -> bool:
    return bool(frame[2] & FLAG_AUTH)


@pytest.fixture
def fwbus(tmp_path: Path) -> Iterator[FwBus]:
    bus = FwBus(tmp_path)
    try:
        yield bus
    finally:
        bus.close()


def board_id(board: FwBoard) -> int:
    """The node id the firmware derives from the hub's unique id (protocol 8.1)."""
    import hashlib

    digest = hashlib.sha256(board.hub.facts.uid).digest()
    for i in range(0, 32, 4):
        value = int.from_bytes(digest[i : i + 4], "big")
        if 0 < value < 0xFFFFFFFF:
            return value
    raise AssertionError("reserved ids only")

