"""Board profiles: one TOML file per board in boards/, checked against boards/schema.json.

Code reads a board's capabilities from its profile (its `march`, `radios`, `usb` IDs,
flash layout) and never branches on its name.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import jsonschema
from jsonschema.exceptions import SchemaError, best_match

from . import paths
from .errors import HarmoniaError

SCHEMA_FILE = "schema.json"

PinId = int | str
"""What machine.Pin() takes on the board's port: a GPIO number, or a name ("LED", "PA5")."""

UsbMode = Literal["app", "bootloader"]


class UnknownBoardError(HarmoniaError):
    """No board file has the name asked for."""


class BoardFileError(HarmoniaError):
    """A board file (or the schema) cannot be read, or breaks the schema."""


@dataclass(frozen=True)
class UsbId:
    vid: int
    pid: int
    mode: UsbMode
    label: str

    def __str__(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}"


@dataclass(frozen=True)
class UartPins:
    id: int
    tx: PinId
    rx: PinId


@dataclass(frozen=True)
class I2cPins:
    id: int
    scl: PinId
    sda: PinId


@dataclass(frozen=True)
class BoardProfile:
    """One board, as boards/<name>.toml describes it (field meanings in the schema):
    sizes in bytes, cpu_freq in Hz, fs_offset from the start of flash."""

    name: str
    description: str
    mcu: str
    family: str
    firmware: str
    march: str
    cpu_freq: int
    heap: int
    flash_size: int
    fs_offset: int
    fs_size: int
    fs_block_size: int
    fs_type: str
    usb: tuple[UsbId, ...]
    radios: tuple[str, ...]
    uart: UartPins
    i2c: I2cPins
    led: PinId | None
    pins: dict[str, PinId] = field(hash=False)


def load_file(path: Path, schema: dict[str, Any] | None = None) -> BoardProfile:
    """The profile in one board file; its name is the file's stem."""
    if schema is None:
        schema = load_schema(path.parent)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise BoardFileError(f"cannot read board file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BoardFileError(f"{path}: not valid TOML: {exc}") from exc
    error = best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        keys = list(error.absolute_path)
        raise BoardFileError(
            f"{_place(path, text, keys)}{error.message} (see {path.parent / SCHEMA_FILE})"
        )
    _check_layout(path, text, data)
    return _profile(path.stem, data)


def load_schema(boards_dir: Path | None = None) -> dict[str, Any]:
    """The JSON Schema every board file must pass."""
    path = (boards_dir or paths.boards_dir()) / SCHEMA_FILE
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BoardFileError(f"cannot read the board schema {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise BoardFileError(f"{path}: not valid JSON: {exc}") from exc
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise BoardFileError(f"{path}: not a valid JSON Schema: {exc.message}") from exc
    return cast(dict[str, Any], schema)


def board_names(boards_dir: Path | None = None) -> list[str]:
    """Names of every board that has a file, sorted."""
    return sorted(p.stem for p in _board_files(boards_dir or paths.boards_dir()))


def load_profile(name: str, boards_dir: Path | None = None) -> BoardProfile:
    directory = boards_dir or paths.boards_dir()
    path = directory / f"{name}.toml"
    if "/" in name or "\\" in name or not path.is_file():
        known = ", ".join(board_names(directory)) or "none"
        raise UnknownBoardError(
            f"unknown board {name!r}: known boards are {known} (files in {directory})"
        )
    return load_file(path)


def list_profiles(boards_dir: Path | None = None) -> list[BoardProfile]:
    """Every board's profile, sorted by name."""
    directory = boards_dir or paths.boards_dir()
    schema = load_schema(directory)
    return [load_file(p, schema) for p in _board_files(directory)]


def find_by_usb(
    vid: int, pid: int, boards_dir: Path | None = None
) -> list[tuple[BoardProfile, UsbId]]:
    """Boards that enumerate as vid:pid, each with the matching entry (it tells the mode).

    One ID can match several boards (a USB-UART bridge, MicroPython's shared rp2 ID), or
    one board in both modes: the caller probes the device when that matters.
    """
    return [
        (profile, usb)
        for profile in list_profiles(boards_dir)
        for usb in profile.usb
        if usb.vid == vid and usb.pid == pid
    ]


def archs(boards_dir: Path | None = None) -> set[str]:
    """The mpy-cross -march values the boards need."""
    return {profile.march for profile in list_profiles(boards_dir)}


def _board_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise BoardFileError(f"no board directory at {directory}: set HARMONIA_BOARDS or fix it")
    return sorted(directory.glob("*.toml"))


def _check_layout(path: Path, text: str, data: dict[str, Any]) -> None:
    """What the schema cannot say: the filesystem sits inside flash, on block boundaries."""
    block = data["fs_block_size"]
    for key in ("fs_offset", "fs_size"):
        if data[key] % block:
            raise BoardFileError(
                f"{_place(path, text, [key])}{data[key]:#x} is not a multiple of "
                f"fs_block_size ({block})"
            )
    end = data["fs_offset"] + data["fs_size"]
    if end > data["flash_size"]:
        raise BoardFileError(
            f"{_place(path, text, ['fs_size'])}the filesystem ends at {end:#x}, past "
            f"flash_size ({data['flash_size']:#x})"
        )


def _place(path: Path, text: str, keys: Sequence[str | int]) -> str:
    """`file:line: field a.b[1]: ` for a message about the value at `keys`."""
    line = _line_of(text, keys)
    where = f"{path}:{line}: " if line else f"{path}: "
    dotted = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
    return f"{where}field {dotted}: " if dotted else where


def _line_of(text: str, keys: Sequence[str | int]) -> int | None:
    """Line that holds the deepest part of `keys`, for files laid out as plain keys,
    [table] and [[array]] headers (as every board file is)."""
    table: list[str | int] = []
    seen: dict[str, int] = {}
    best, depth = None, 0
    for number, line in enumerate(text.splitlines(), 1):
        if m := re.match(r"\s*\[\[\s*([\w-]+)\s*\]\]", line):
            seen[m[1]] = seen.get(m[1], -1) + 1
            table = here = [m[1], seen[m[1]]]
        elif m := re.match(r"\s*\[\s*([\w-]+)\s*\]", line):
            table = here = [m[1]]
        elif m := re.match(r"\s*([\w-]+)\s*=", line):
            here = [*table, m[1]]
        else:
            continue
        if len(here) > depth and list(keys[: len(here)]) == here:
            best, depth = number, len(here)
    return best


def _profile(name: str, d: dict[str, Any]) -> BoardProfile:
    return BoardProfile(
        name=name,
        description=d["description"],
        mcu=d["mcu"],
        family=d["family"],
        firmware=d["firmware"],
        march=d["march"],
        cpu_freq=d["cpu_freq"],
        heap=d["heap"],
        flash_size=d["flash_size"],
        fs_offset=d["fs_offset"],
        fs_size=d["fs_size"],
        fs_block_size=d["fs_block_size"],
        fs_type=d["fs_type"],
        usb=tuple(UsbId(u["vid"], u["pid"], u["mode"], u["label"]) for u in d["usb"]),
        radios=tuple(d["radios"]),
        uart=UartPins(d["uart"]["id"], d["uart"]["tx"], d["uart"]["rx"]),
        i2c=I2cPins(d["i2c"]["id"], d["i2c"]["scl"], d["i2c"]["sda"]),
        led=d.get("led"),
        pins=dict(d["pins"]),
    )
