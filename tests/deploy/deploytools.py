"""Helpers for the deploy tests: source trees and looks at a board's deployed files."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from harmonia.vboard import PortBusyError, VirtualBoard

APP_V1: dict[str, str | bytes] = {
    "app/__init__.py": 'VERSION = "1"\n',
    "app/util.py": "def double(x):\n    return 2 * x\n",
    "app/gone.py": "GONE = True\n",
    "data/config.json": '{"rate": 10}\n',
}

TINY_PROFILE = "tiny"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Make `root` hold exactly `files` (path -> text or bytes)."""
    if root.exists():
        shutil.rmtree(root)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def noise(size: int, seed: int = 1) -> bytes:
    """Incompressible bytes, every value present (0x03, 0x04 and 0x10 included)."""
    import random

    return random.Random(seed).randbytes(size)


def settle(board: VirtualBoard, timeout: float = 10.0) -> None:
    """Wait until the board is at its REPL after the last reset (a deploy ends with one):
    a Ctrl-C from the next command must not cut boot.py short, on a real board either."""
    deadline = time.monotonic() + timeout
    while True:
        log = board.logs()
        after = log[log.rfind("soft reboot") :] if "soft reboot" in log else log
        if 'Type "help()"' in after:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"board {board.name} did not reach its REPL:\n{after[-500:]}")
        time.sleep(0.01)


def run_on(board: VirtualBoard, code: str) -> str:
    settle(board)
    for _ in range(20):
        try:
            return board.exec(code).strip()
        except PortBusyError:  # another program (not the board's supervisor) held it
            time.sleep(0.05)
    return board.exec(code).strip()


def active_version(board: VirtualBoard) -> str:
    """What the board booted: the deployed module's CURRENT, as /boot.py set it."""
    return run_on(board, "import sys\nm = sys.modules.get('deployed')\nprint(m and m.CURRENT)")


def app_tree(board: VirtualBoard, version: str) -> list[str]:
    """Every file under /app/<version>, sorted."""
    code = (
        "import os\n"
        "def walk(d):\n"
        " for e in os.ilistdir(d):\n"
        "  p = d + '/' + e[0]\n"
        "  if e[1] & 0x4000:\n"
        "   walk(p)\n"
        "  else:\n"
        "   print(p[len(ROOT) + 1:])\n"
        f"ROOT = '/app/{version}'\n"
        "walk(ROOT)\n"
    )
    return sorted(run_on(board, code).splitlines())
