"""Flashing boards: MicroPython plus the framework and the board's config, verified.

    from harmonia.flash import flash, FlashConfig, BoardConfig
    result = flash("esp32-c3-devkitm-1", "/dev/ttyUSB0", Path("ESP32_GENERIC_C3.bin"),
                   config=FlashConfig(board=BoardConfig.parse("kitchen", wifi="Net:pw")))

ESP32 boards go through esptool as a library with the ROM loader (`esp.py`); RP2
boards take a UF2 on their BOOTSEL drive (`uf2.py`). With `port=None` the
target is a virtual board: a simulated ROM loader (`harmonia.romsim`) on loopback,
backed by the virtual board's flash image (`virtual.py`).
"""

from .core import flash
from .errors import (
    BoardConfigError,
    BootselDriveNotFoundError,
    FirmwareNotFoundError,
    FlashError,
    Md5MismatchError,
    NotInBootloaderError,
    PortBusyError,
    PortNotFoundError,
    PortVanishedError,
    UnsupportedBoardError,
    WrongChipError,
    WrongFirmwareError,
)
from .fsimage import build_image, read_image
from .model import BoardConfig, FlashConfig, FlashResult, Progress, Region
from .uf2 import install_over_repl

__all__ = [
    "BoardConfig",
    "BoardConfigError",
    "BootselDriveNotFoundError",
    "FirmwareNotFoundError",
    "FlashConfig",
    "FlashError",
    "FlashResult",
    "Md5MismatchError",
    "NotInBootloaderError",
    "PortBusyError",
    "PortNotFoundError",
    "PortVanishedError",
    "Progress",
    "Region",
    "UnsupportedBoardError",
    "WrongChipError",
    "WrongFirmwareError",
    "build_image",
    "flash",
    "install_over_repl",
    "read_image",
]
