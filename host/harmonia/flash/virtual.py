"""No port given: flash a virtual board through a simulated ROM loader on loopback.

The target is the virtual board named like the board's config (`--name`, else the
profile name) in the vboard state directory. Its whole flash lives in `rom.bin`
beside the board's `flash.img` (the littlefs2 image its MicroPython mounts at /):
a `RomSim` serves `rom.bin` on `socket://127.0.0.1:PORT` for the length of the
flash, so the virtual path runs the same esptool code as a real board. Before,
the filesystem region is loaded from `flash.img`; after, it is written back, and a
running board is hard-reset so that it boots from what was flashed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..boards import BoardProfile
from ..romsim import RomSim
from .errors import FlashError
from .firmware import chip_key

ROM_FILE = "rom.bin"


@dataclass(frozen=True)
class VirtualTarget:
    name: str
    state_dir: Path
    port: str
    image: Path  # the whole flash
    fs_image: Path  # the filesystem region, as the board mounts it
    running: bool


@contextmanager
def virtual_loader(
    profile: BoardProfile, name: str, state_dir: Path | None
) -> Iterator[VirtualTarget]:
    """A simulated chip of the profile's kind in download mode, for as long as the block runs."""
    from ..vboard import default_state_dir
    from ..vboard.state import BoardConfig, board_dir, read_state

    state_dir = state_dir or default_state_dir()
    where = board_dir(state_dir, name)
    state = read_state(where)
    other = state.profile if state is not None else None
    if other is None and where.config.exists():
        other = BoardConfig.load(where.config).profile
    if other is not None and other != profile.name:
        raise FlashError(
            f"virtual board {name} is a {other} board, not {profile.name}: give another "
            f"--name, or remove {where.root}"
        )
    where.root.mkdir(parents=True, exist_ok=True)
    rom = where.root / ROM_FILE
    with RomSim(rom, profile.flash_size, chip=chip_key(profile.mcu)) as sim:
        if where.flash.is_file() and where.flash.stat().st_size == profile.fs_size:
            sim.flash.erase(profile.fs_offset, profile.fs_size)
            sim.flash.program(profile.fs_offset, where.flash.read_bytes())
        yield VirtualTarget(name, state_dir, sim.port, rom, where.flash, state is not None)


def finish(profile: BoardProfile, target: VirtualTarget, reset: bool) -> None:
    """Write the flashed filesystem region back to the board's image; reset it if it runs."""
    with open(target.image, "rb") as flash:
        flash.seek(profile.fs_offset)
        region = flash.read(profile.fs_size)
    tmp = target.fs_image.with_name(f".{target.fs_image.name}.{os.getpid()}.tmp")
    tmp.write_bytes(region)
    os.replace(tmp, target.fs_image)  # a running MicroPython keeps the old file until reset
    if target.running and reset:
        from ..vboard import VirtualBoard

        VirtualBoard.attach(target.name, target.state_dir).reset(hard=True)
