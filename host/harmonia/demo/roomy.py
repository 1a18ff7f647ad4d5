"""Board profiles with room for the firmware: a copy of the board files whose heaps are
raised to at least `heap` bytes, for virtual boards only.

The bus, the group agent and the files service together need more heap than the
ESP32-C3 (128 KiB) and RP2040 (160 KiB) profiles give today; until the firmware fits
them, the demo and the group tests run their virtual boards on these copies, and say so.
Everything else (pins, radios, buses, flash) is the real profile's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from .. import paths

HEAP = 512 * 1024  # what a member running bus + group agent + files + services needs


def roomy_boards(dest: Path, heap: int = HEAP) -> tuple[Path, list[str]]:
    """Copy the board files to `dest`, raising each heap below `heap`; returns the folder
    and the names of the profiles that were raised."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(paths.boards_dir(), dest)
    raised = []
    for path in sorted(dest.glob("*.toml")):
        text = path.read_text()
        m = re.search(r"^heap\s*=\s*([0-9_]+)", text, re.M)
        if m and int(m[1].replace("_", "")) < heap:
            path.write_text(text[: m.start(1)] + str(heap) + text[m.end(1) :])
            raised.append(path.stem)
    return dest, raised


@contextlib.contextmanager
def using_boards(folder: Path) -> Iterator[None]:
    """HARMONIA_BOARDS set to `folder` for the length of the block (this process and the
    board supervisors it starts)."""
    old = os.environ.get("HARMONIA_BOARDS")
    os.environ["HARMONIA_BOARDS"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("HARMONIA_BOARDS", None)
        else:
            os.environ["HARMONIA_BOARDS"] = old
