"""ESP32 boards: esptool, as a library, with ROM-loader (`--no-stub`) semantics.

The ROM loader is in every chip, so nothing is uploaded to RAM first; it writes
the MicroPython image at 0x0 and the filesystem image at the profile's
`fs_offset`, each checked afterwards by the chip's own MD5 of the flash.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..boards import BoardProfile
from . import esplog
from .errors import (
    FlashError,
    Md5MismatchError,
    NotInBootloaderError,
    PortBusyError,
    PortNotFoundError,
    PortVanishedError,
    WrongChipError,
    port_holders,
)
from .firmware import chip_key
from .model import FlashConfig, Progress, Region

ROM_BAUD = 115200


@dataclass(frozen=True)
class Write:
    name: str  # "firmware" or "filesystem": what the user reads in progress and errors
    offset: int
    data: bytes


def has_no_modem_lines(port: str) -> bool:
    """A TCP socket or a pty cannot pulse DTR/RTS, so the board cannot be reset from here."""
    if "://" in port:
        return True
    real = os.path.realpath(port)
    return re.fullmatch(r"/dev/(pts/\d+|ttys\d+|ttyp\w+)", real) is not None


def write_esp(
    profile: BoardProfile,
    port: str,
    writes: list[Write],
    config: FlashConfig,
    progress: Progress | None,
) -> tuple[str, tuple[Region, ...], tuple[str, ...]]:
    """Connect, check the chip, write and verify; the chip's name, regions and esptool's log."""
    from esptool.cmds import attach_flash, reset_chip, write_flash  # type: ignore[import-untyped]

    def report(stage: str) -> Callable[[int, int], None]:
        return lambda done, total: progress(stage, done, total) if progress else None

    with esplog.capture() as lines, _connected(profile, port, config, progress) as esp:
        esp.WRITE_FLASH_ATTEMPTS = 1  # a vanished port is the user's to see, not a silent retry
        if config.baud > ROM_BAUD:
            _esptool_call("change the baud rate", port, lines, esp.change_baud, config.baud)
        _esptool_call("attach the SPI flash", port, lines, attach_flash, esp)
        regions = []
        for write in writes:
            esplog.set_progress(report(write.name))
            data = write.data + b"\xff" * (-len(write.data) % 4)  # esptool pads the same way
            try:
                write_flash(
                    esp,
                    [(write.offset, data)],
                    flash_size="keep",
                    compress=config.compress,
                    no_compress=not config.compress,
                )
            except Exception as exc:
                raise _write_error(exc, write, port, lines) from exc
            regions.append(
                Region(write.name, write.offset, len(data), hashlib.md5(data).hexdigest())
            )
        esplog.set_progress(None)
        after = config.after
        if has_no_modem_lines(port):
            after = "no-reset"
        elif after == "hard-reset" and esp.uses_usb_jtag_serial():
            after = "watchdog-reset"
        _esptool_call("reset the board", port, lines, reset_chip, esp, after)
        chip = str(esp.CHIP_NAME)
    return chip, tuple(regions), tuple(lines)


@contextmanager
def _connected(
    profile: BoardProfile, port: str, config: FlashConfig, progress: Progress | None
) -> Iterator[Any]:
    """An esptool loader object for the chip on `port`, checked to be the profile's chip."""
    from esptool.cmds import detect_chip
    from esptool.util import FatalError  # type: ignore[import-untyped]

    before = "no-reset" if has_no_modem_lines(port) else config.before
    if progress:
        progress("connect", 0, 1)
    try:
        esp = detect_chip(port, ROM_BAUD, before, False, config.connect_attempts)
    except FatalError as exc:
        raise _connect_error(str(exc), port) from exc
    except OSError as exc:  # pyserial's SerialException is an OSError
        raise _connect_error(str(exc), port) from exc
    try:
        if chip_key(esp.CHIP_NAME) != chip_key(profile.mcu):
            raise WrongChipError(
                f"this is an {esp.CHIP_NAME}, but the board profile is {profile.name} "
                f"({profile.mcu}): pick the profile for this board (`harmonia boards`) "
                "or connect the right one"
            )
        if progress:
            progress("connect", 1, 1)
        yield esp
    finally:
        esp._port.close()


def _connect_error(message: str, port: str) -> FlashError:
    first = message.strip().splitlines()[0] if message.strip() else message
    if "exclusively lock" in message or "Device or resource busy" in message:
        holders = port_holders(port)
        who = f" by {', '.join(holders)}" if holders else " by another program"
        return PortBusyError(
            f"{port} is held{who}: close that program (a serial monitor, mpremote, "
            "another flash) and run again"
        )
    if re.search(r"Errno 2\b|No such file|Connection refused|could not open port", message, re.I):
        return PortNotFoundError(
            f"nothing at {port}: plug the board in, check the port (`harmonia ports`), "
            "and run again"
        )
    if "Failed to connect" in message or "No serial data received" in message:
        return NotInBootloaderError(
            f"the board on {port} does not answer the ROM loader: it is not in bootloader "
            "mode; hold BOOT, tap RESET, release BOOT, and run again"
        )
    return FlashError(f"could not talk to the board on {port}: {first}")


def _write_error(exc: Exception, write: Write, port: str, lines: list[str]) -> FlashError:
    where = f"the {write.name} at {write.offset:#x}"
    message = str(exc)
    if isinstance(exc, FlashError):
        return exc
    if isinstance(exc, OSError):  # SerialException: the port closed under us
        return PortVanishedError(
            f"{port} went away while writing {where}: the board reset or its cable "
            "moved; reconnect it (`harmonia ports` finds it if its name changed) and "
            "run the same command again"
        )
    if "MD5 of file does not match" in message or "written flash region is empty" in message:
        sent = _logged(lines, "Input MD5:")
        got = _logged(lines, "Flash MD5:")
        detail = f" (board {got}, image {sent})" if sent and got else ""
        return Md5MismatchError(
            f"{where} did not verify: the board's MD5 of its flash differs from the image's"
            f"{detail}; run the same command again, and if it fails twice try "
            "--baud 115200 or another USB cable"
        )
    first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    return FlashError(f"esptool failed writing {where} on {port}: {first}")


def _esptool_call(what: str, port: str, lines: list[str], func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except OSError as exc:
        raise PortVanishedError(
            f"{port} went away while trying to {what}: reconnect the board and run again"
        ) from exc
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FlashError(f"could not {what} on {port}: {first}") from exc


def _logged(lines: list[str], prefix: str) -> str:
    for line in reversed(lines):
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return ""
