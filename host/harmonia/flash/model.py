"""What `flash()` takes and returns: plain data, no I/O."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import BoardConfigError

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`: "connect", "firmware", "filesystem" (ESP32), or
"copy" and "framework" (RP2)."""

CONFIG_PATH = "/hm.json"
GROUP_KEY_BYTES = 32


def default_cache_dir() -> Path:
    """Where firmware images are looked up by name: `HARMONIA_FIRMWARE_CACHE`, else
    `$XDG_CACHE_HOME/harmonia/firmware` (`~/.cache/harmonia/firmware`)."""
    if env := os.environ.get("HARMONIA_FIRMWARE_CACHE"):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "harmonia" / "firmware"


@dataclass(frozen=True)
class BoardConfig:
    """The board's own settings, written to `/hm.json` on its filesystem."""

    name: str | None = None
    group_key: bytes | None = None
    wifi: tuple[str, str] | None = None  # (SSID, key)

    def __post_init__(self) -> None:
        if self.group_key is not None and len(self.group_key) != GROUP_KEY_BYTES:
            raise BoardConfigError(
                f"the group key has {len(self.group_key)} bytes, not {GROUP_KEY_BYTES}: "
                "give 64 hex digits (e.g. from `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`)"
            )
        if self.name is not None and not self.name.strip():
            raise BoardConfigError("the board name is empty: give a name or leave it out")

    @classmethod
    def parse(
        cls, name: str | None = None, group_key: str | None = None, wifi: str | None = None
    ) -> BoardConfig:
        """From command-line text: the key as hex, Wi-Fi as `SSID:KEY`."""
        key = None
        if group_key is not None:
            try:
                key = bytes.fromhex(group_key)
            except ValueError:
                raise BoardConfigError(
                    f"the group key {group_key!r} is not hex: give 64 hex digits"
                ) from None
        credentials = None
        if wifi is not None:
            ssid, sep, secret = wifi.partition(":")
            if not sep or not ssid:
                raise BoardConfigError(
                    f"Wi-Fi {wifi!r} is not SSID:KEY: write it as --wifi 'MyNet:secret'"
                )
            credentials = (ssid, secret)
        return cls(name=name, group_key=key, wifi=credentials)

    def to_json(self, board: str) -> bytes:
        """The `/hm.json` file; keys left out are the board's defaults."""
        data: dict[str, Any] = {"board": board}
        if self.name is not None:
            data["name"] = self.name
        if self.group_key is not None:
            data["group_key"] = self.group_key.hex()
        if self.wifi is not None:
            data["wifi"] = {"ssid": self.wifi[0], "key": self.wifi[1]}
        return json.dumps(data, indent=1, sort_keys=True).encode() + b"\n"


@dataclass(frozen=True)
class FlashConfig:
    """How to flash: everything `flash()` needs besides the board, port and firmware."""

    board: BoardConfig = field(default_factory=BoardConfig)
    cache_dir: Path = field(default_factory=default_cache_dir)
    baud: int = 460800  # after the sync at the ROM's 115200, if the link allows
    before: str = "default-reset"  # esptool's reset into the loader; ptys and sockets skip it
    after: str = "hard-reset"  # "no-reset" leaves the chip in the loader
    connect_attempts: int = 7
    compress: bool = True  # FLASH_DEFL_*: the ROM inflates, so the mostly-empty fs is quick
    framework_dir: Path | None = None  # prebuilt .mpy tree; default: build firmware/ now
    build_dir: Path | None = None  # where to build it; default: a temporary directory
    bootsel_dirs: tuple[Path, ...] = ()  # extra places to look for an RP2 BOOTSEL drive
    repl_port: str | None = None  # RP2: the REPL port after the reboot, for the framework
    repl_wait: float = 20.0  # seconds to wait for that port to appear
    virtual_dir: Path | None = None  # no port: the vboard state dir (default: vboard's own)


@dataclass(frozen=True)
class Region:
    name: str  # "firmware" or "filesystem"
    offset: int
    size: int
    md5: str


@dataclass(frozen=True)
class FlashResult:
    board: str
    port: str
    method: str  # "esptool" or "uf2"
    chip: str
    firmware: Path
    regions: tuple[Region, ...] = ()
    files: tuple[str, ...] = ()  # paths on the board's filesystem
    virtual_board: str | None = None  # no port: the virtual board that was flashed
    image: Path | None = None  # its filesystem image (flash.img), which it boots from
    next_step: str | None = None
    seconds: float = 0.0
    log: tuple[str, ...] = ()  # esptool's own lines, for --verbose and bug reports

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["firmware"] = str(self.firmware)
        data["image"] = str(self.image) if self.image is not None else None
        data["regions"] = [{**asdict(r), "offset": f"{r.offset:#x}"} for r in self.regions]
        del data["log"]
        return data
