"""Every way a flash can fail that a user meets, each with what to do next."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import HarmoniaError


class FlashError(HarmoniaError):
    """Flashing failed; the message says why and what to do next."""


class PortNotFoundError(FlashError):
    """Nothing answers at the port that was given."""


class PortBusyError(FlashError):
    """Another program holds the serial port."""


class PortVanishedError(FlashError):
    """The port went away mid-flash (board reset, cable, USB re-enumeration)."""


class NotInBootloaderError(FlashError):
    """The chip does not answer the ROM loader's SYNC: it runs its app."""


class WrongChipError(FlashError):
    """The chip on the port is not the one the board profile names."""


class WrongFirmwareError(FlashError):
    """The firmware file is for another chip, or not a firmware image at all."""


class FirmwareNotFoundError(FlashError):
    """No firmware file was given and none is in the local cache."""


class Md5MismatchError(FlashError):
    """What the chip reports it holds differs from what was sent."""


class BootselDriveNotFoundError(FlashError):
    """No RP2 BOOTSEL drive (a volume with INFO_UF2.TXT) is mounted."""


class UnsupportedBoardError(FlashError):
    """`harmonia flash` has no way to flash this board's family."""


class BoardConfigError(FlashError):
    """The board's config (name, group key, Wi-Fi) is malformed."""


def port_holders(device: str) -> list[str]:
    """Processes that have `device` open, as `name (pid N)`, when the OS tells (Linux /proc)."""
    try:
        target = os.path.realpath(device)
        procs = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for pid in procs:
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if not any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                continue
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        found.append(f"{name} (pid {pid})")
    return found
