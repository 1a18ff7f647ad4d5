"""No port given: flash a virtual board through a simulated ROM loader on loopback.

The virtual board's whole flash lives in `<dir>/flash.bin` (the profile's
`flash_size`); a `RomSim` serves it on `socket://127.0.0.1:PORT` for the length
of the flash, so the virtual path runs the same esptool code as a real board.
Afterwards the filesystem region is also saved as `<dir>/fs.img`, the littlefs2
image a virtual board mounts at boot.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..boards import BoardProfile
from ..romsim import RomSim
from .firmware import chip_key

FLASH_FILE = "flash.bin"
FS_FILE = "fs.img"


def default_dir(profile: BoardProfile) -> Path:
    """`HARMONIA_VIRTUAL_DIR/<board>`, else `$XDG_STATE_HOME/harmonia/virtual/<board>`."""
    if env := os.environ.get("HARMONIA_VIRTUAL_DIR"):
        return Path(env) / profile.name
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "harmonia" / "virtual" / profile.name


@dataclass(frozen=True)
class VirtualTarget:
    port: str
    image: Path  # the whole flash
    fs_image: Path  # the filesystem region, as its own littlefs2 image


@contextmanager
def virtual_loader(profile: BoardProfile, directory: Path) -> Iterator[VirtualTarget]:
    """A simulated chip of the profile's kind in download mode, for as long as the block runs."""
    directory.mkdir(parents=True, exist_ok=True)
    image = directory / FLASH_FILE
    with RomSim(image, profile.flash_size, chip=chip_key(profile.mcu)) as sim:
        yield VirtualTarget(sim.port, image, directory / FS_FILE)


def extract_fs(profile: BoardProfile, image: Path, fs_image: Path) -> None:
    """Copy the filesystem region of the flash image into its own file (atomically)."""
    with open(image, "rb") as flash:
        flash.seek(profile.fs_offset)
        region = flash.read(profile.fs_size)
    tmp = fs_image.with_name(fs_image.name + ".tmp")
    tmp.write_bytes(region)
    tmp.replace(fs_image)
