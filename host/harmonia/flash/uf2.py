"""RP2040/RP2350 boards: copy a UF2 onto the BOOTSEL drive, then the framework over the REPL.

In BOOTSEL mode the chip's ROM shows a USB drive holding `INFO_UF2.TXT`; a UF2
file copied onto it is flashed and the board reboots into MicroPython, whose
littlefs starts empty. The framework and `/hm.json` then go on over the REPL
(`install_over_repl`), which `harmonia deploy` drives once the board is back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..boards import BoardProfile
from .errors import (
    BootselDriveNotFoundError,
    FlashError,
    PortNotFoundError,
    PortVanishedError,
    WrongChipError,
)
from .model import Progress

INFO_FILE = "INFO_UF2.TXT"
_COPY_CHUNK = 0x10000


@dataclass(frozen=True)
class BootselDrive:
    path: Path
    chip: str | None  # "RP2040", "RP2350", or None when INFO_UF2.TXT does not say
    info: dict[str, str]


def mount_points() -> list[Path]:
    """Where removable drives are mounted on this machine (Linux, macOS)."""
    found: list[Path] = []
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 2 and fields[2] in ("vfat", "msdos", "fat", "fuseblk"):
                    found.append(Path(fields[1].replace("\\040", " ")))
    except OSError:
        pass
    user = os.environ.get("USER", "")
    for base in (
        Path("/media") / user,
        Path("/run/media") / user,
        Path("/media"),
        Path("/Volumes"),
    ):
        if base.is_dir():
            try:
                found.extend(p for p in base.iterdir() if p.is_dir())
            except OSError:
                continue
    return found


def read_info(drive: Path) -> BootselDrive | None:
    """The drive's identity from its INFO_UF2.TXT, or None if it is not a UF2 drive."""
    try:
        text = (drive / INFO_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    board_id = info.get("Board-ID", "")
    chip = None
    if "RP2350" in text:
        chip = "RP2350"
    elif "RP2040" in text or board_id.startswith("RPI-RP2"):
        chip = "RP2040"
    return BootselDrive(drive, chip, info)


def find_drives(extra: Iterable[Path] = ()) -> list[BootselDrive]:
    seen: set[Path] = set()
    drives = []
    for place in [*extra, *mount_points()]:
        key = place.resolve()
        if key in seen:
            continue
        seen.add(key)
        drive = read_info(place)
        if drive is not None:
            drives.append(drive)
    return drives


def pick_drive(profile: BoardProfile, port: str | None, extra: Iterable[Path]) -> BootselDrive:
    """The BOOTSEL drive to flash: `port` if it names one, else the one drive of this chip."""
    if port is not None:
        drive = read_info(Path(port))
        if drive is None:
            raise BootselDriveNotFoundError(
                f"{port} is not a BOOTSEL drive (no {INFO_FILE}): hold BOOTSEL while plugging "
                f"the board in and give its drive's folder, or leave --port out"
            )
        candidates = [drive]
    else:
        candidates = find_drives(extra)
    mine = [d for d in candidates if d.chip in (None, profile.mcu)]
    if not mine:
        if candidates:
            other = candidates[0]
            raise WrongChipError(
                f"this is an {other.chip} (BOOTSEL drive {other.path}), but the board profile "
                f"is {profile.name} ({profile.mcu}): pick the profile for this board"
            )
        raise BootselDriveNotFoundError(
            f"no {profile.mcu} BOOTSEL drive is mounted: hold BOOTSEL while plugging "
            f"{profile.name} in, wait for its drive to appear, and run again"
        )
    if len(mine) > 1:
        listed = ", ".join(str(d.path) for d in mine)
        raise FlashError(f"several BOOTSEL drives ({listed}): pass --port DRIVE to pick one")
    return mine[0]


def copy_uf2(drive: BootselDrive, name: str, data: bytes, progress: Progress | None) -> Path:
    """Write the UF2 onto the drive and sync it; the board flashes and reboots."""
    target = drive.path / name
    try:
        with open(target, "wb") as out:
            for at in range(0, len(data), _COPY_CHUNK):
                out.write(data[at : at + _COPY_CHUNK])
                if progress:
                    progress("copy", min(at + _COPY_CHUNK, len(data)), len(data))
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise PortVanishedError(
            f"the BOOTSEL drive {drive.path} went away while copying ({exc.strerror}): "
            "put the board in BOOTSEL mode again and run the same command"
        ) from exc
    return target


def install_over_repl(
    port: str,
    files: Mapping[str, bytes],
    baudrate: int = 115200,
    progress: Progress | None = None,
) -> None:
    """Put `files` (path on the board -> bytes) on a running MicroPython board over its
    REPL, through mpremote's transport. `harmonia deploy` supersedes this with its diff
    and atomic switch; this is the first install right after a UF2 flash."""
    from mpremote.transport import TransportError  # type: ignore[import-untyped]
    from mpremote.transport_serial import SerialTransport  # type: ignore[import-untyped]

    try:
        transport = SerialTransport(port, baudrate=baudrate)
    except Exception as exc:
        raise FlashError(f"cannot open the REPL on {port}: {exc}") from exc
    try:
        transport.enter_raw_repl(soft_reset=False)
        made: set[str] = set()
        for index, (path, data) in enumerate(sorted(files.items()), 1):
            parts = path.strip("/").split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory = "/" + "/".join(parts[:depth])
                if directory not in made and not transport.fs_exists(directory):
                    transport.fs_mkdir(directory)
                made.add(directory)
            transport.fs_writefile(path, data)
            if progress:
                progress("framework", index, len(files))
        transport.exit_raw_repl()
    except TransportError as exc:
        raise FlashError(f"the board on {port} refused a file: {exc}") from exc
    finally:
        transport.close()


def wait_for_port(port: str, timeout: float) -> None:
    """Wait for the board's serial port to come up after the UF2 reboot."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(port):
        if time.monotonic() > deadline:
            raise PortNotFoundError(
                f"{port} did not appear within {timeout:.0f} s of the UF2 copy: check that "
                "the board rebooted into MicroPython (`harmonia ports`) and run "
                "`harmonia deploy` to put the framework on"
            )
        time.sleep(0.1)


def uf2_name(firmware: Path) -> str:
    return firmware.name if firmware.suffix.lower() == ".uf2" else firmware.stem + ".uf2"
