"""Fixtures for the bus commands' tests: virtual boards running the firmware bus.

Each `vbus` test gets its own state dir, UDP port and group key. Its boards are
`VirtualBoard`s whose flash holds a main.py that runs `hm.app`, an /hm.json and the
`chat` test service (fw/chat.py); they run the firmware compiled to .mpy once per
session (HARMONIA_FIRMWARE), as a flashed board does. Everything a test starts is
stopped at its end.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harmonia.build import build_firmware
from harmonia.bus.testing import free_udp_port
from harmonia.cli import main
from harmonia.vboard import VirtualBoard
from harmonia.vboard.board import start_boards

FW = Path(__file__).resolve().parent / "fw"
MAIN_PY = "import hm.app\nhm.app.main()\n"
ENV = ("HARMONIA_KEY", "HARMONIA_KEY_FILE", "HARMONIA_BUS_ADDRESS", "HARMONIA_BUS_PORT")


@pytest.fixture(scope="session")
def compiled_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """firmware/ compiled for the virtual boards' architecture (x64)."""
    out = tmp_path_factory.mktemp("firmware")
    build_firmware(out, ["x64"])
    return out / "x64"


class VBus:
    """The virtual boards of one test, on one fresh port and key."""

    def __init__(self, root: Path) -> None:
        self.state_dir = root / "state"
        self.port = free_udp_port()
        self.key = os.urandom(32).hex()
        self.boards: dict[str, VirtualBoard] = {}
        self._closers: list[Any] = []

    def config(self, name: str, **extra: Any) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "name": name,
            "board": "virtual",
            "group_key": self.key,
            "port": self.port,
            "services": ["chat"],
            "wifi": {"ssid": "harmonia", "key": "x"},
        }
        cfg.update(extra)
        return {k: v for k, v in cfg.items() if v is not None}

    def start(self, *names: str, bus: bool = True, **extra: Any) -> list[VirtualBoard]:
        """Boards started together; `bus=False`: a plain board with nothing on its flash;
        `extra`: /hm.json keys (None removes one)."""
        boards = []
        for name in names:
            board = VirtualBoard(name, state_dir=self.state_dir)
            if bus:
                board.write_files(
                    {
                        "main.py": MAIN_PY,
                        "hm.json": json.dumps(self.config(name, **extra)),
                        "chat.py": (FW / "chat.py").read_text(),
                    }
                )
            self.boards[name] = board
            boards.append(board)
        start_boards(boards)
        if bus:
            for board in boards:
                board.wait_for_output("hm: node", timeout=10)
        return boards

    def args(self, *argv: str, key: bool = True) -> list[str]:
        """CLI arguments with this test's port, state dir and (unless key=False) key."""
        extra = ["--port", str(self.port), "--state-dir", str(self.state_dir)]
        return [*argv, *extra, *(["--key", self.key] if key else [])]

    def on_close(self, closer: Any) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                closer()
        for board in self.boards.values():
            board.stop()


@pytest.fixture
def vbus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled_firmware: Path
) -> Iterator[VBus]:
    monkeypatch.setenv("HARMONIA_FIRMWARE", str(compiled_firmware))
    monkeypatch.setenv("HARMONIA_STATE_DIR", str(tmp_path / "state"))
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    bus = VBus(tmp_path)
    try:
        yield bus
    finally:
        bus.close()


def cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """Run `harmonia ARGV` in this process: exit code, stdout, stderr."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


