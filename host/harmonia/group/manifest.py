"""The group manifest: one TOML file that says which boards form a super device, what each
role runs and needs, how roles are wired, and what the super device offers.

    [group]
    name = "fan"                  # also the bus group name in beacons
    virtual = true                # members are virtual boards harmonia starts
    [members.sensor]
    board = "esp32-c3-devkitm-1"
    i2c = [{ model = "mcp9808" }]  # simulated on a virtual member, declared on a real one
    [[links]]                     # a UART cable between two members
    a = "sensor:1"
    b = "relay:0"
    [roles.temperature]
    services = ["fan_sensor"]     # modules in src/, each with register(node)
    needs = { i2c = [0x18] }
    [[bindings]]                  # an event of one role drives a method of another
    event = "temperature:room.reading"
    call = "control:fan.update"
    [interface.methods]           # the super device's own names
    temperature = "temperature:room.read"

`load(path)` returns a `Manifest` or raises `ManifestError` listing every problem with
its line. The full reference is docs/group.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..boards import BoardProfile, load_profile
from .errors import ManifestError, Problem
from .tomlpos import KeyLines

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
ENDPOINT = re.compile(r"^([a-z][a-z0-9_-]*):([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")
KNOWN_MODELS = ("bme280", "mcp9808", "sht31d", "ssd1306")  # harmonia.sim.MODELS
RESERVED_CONFIG = ("name", "board", "group", "group_key", "key", "port", "udp", "serial")
MODEL_ADDRESS = {"mcp9808": 0x18, "sht31d": 0x44, "bme280": 0x77, "ssd1306": 0x3C}


@dataclass(frozen=True)
class Device:
    """An I2C chip on a member: simulated on a virtual board, declared on a real one."""

    model: str
    bus: int
    address: int
    params: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Member:
    name: str
    board: str | None  # profile name; None: learnt from the board
    virtual: bool
    port: str | None = None  # a real board's serial port
    address: str | None = None  # a real board's network address
    wifi: bool = True  # joins the bus over UDP (else only over its serial links)
    devices: tuple[Device, ...] = ()
    config: dict[str, Any] = field(default_factory=dict, hash=False)  # more /hm.json keys
    line: int | None = None

    def profile(self) -> BoardProfile | None:
        return load_profile(self.board) if self.board else None


@dataclass(frozen=True)
class Link:
    """A UART cable: member `a`'s UART `a_uart` to member `b`'s UART `b_uart`."""

    a: str
    a_uart: int
    b: str
    b_uart: int
    baud: int = 921600


@dataclass(frozen=True)
class Needs:
    """What a member must have to hold a role (the spec's `needs`, docs/group.md)."""

    radios: tuple[str, ...] = ()
    pins: tuple[int | str, ...] = ()
    i2c: tuple[int, ...] = ()  # addresses a member must have a chip at
    boards: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if len(self.radios) == 1:
            spec["radio"] = self.radios[0]
        elif self.radios:
            spec["radio"] = list(self.radios)
        for key, value in (("pin", self.pins), ("i2c", self.i2c),
                           ("board", self.boards), ("member", self.members)):
            if value:
                spec[key] = list(value)
        return spec


@dataclass(frozen=True)
class Role:
    name: str
    services: tuple[str, ...]
    needs: Needs = Needs()
    exclusive: bool = True
    prefer: tuple[str, ...] = ()
    check: Endpoint | None = None  # a method the holder must answer after a deploy
    line: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """`role:service.name`: a method or an event of a service that a role runs."""

    role: str
    service: str
    name: str

    @property
    def topic(self) -> str:
        return f"{self.service}.{self.name}"

    def __str__(self) -> str:
        return f"{self.role}:{self.service}.{self.name}"


@dataclass(frozen=True)
class Binding:
    event: Endpoint
    call: Endpoint


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    key: bytes | None  # None: the group's generated key (kept in its state directory)
    port: int
    src: Path
    members: tuple[Member, ...]
    links: tuple[Link, ...]
    roles: tuple[Role, ...]
    bindings: tuple[Binding, ...]
    methods: dict[str, Endpoint] = field(hash=False)
    events: dict[str, Endpoint] = field(hash=False)
    timing: dict[str, int] = field(default_factory=dict, hash=False)  # heartbeat_ms, lease_ms
    text: str = field(default="", repr=False, hash=False)

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.name == name)

    def line_of(self, *path: str | int) -> int | None:
        return KeyLines(self.text).line(path)

    def with_port(self, port: int) -> Manifest:
        from dataclasses import replace

        return replace(self, port=port)


def load(path: Path | str) -> Manifest:
    """Read and check a manifest; `ManifestError` lists every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(path, [Problem(None, f"cannot read it: {exc.strerror}")]) from None
    return parse(text, path)


def parse(text: str, path: Path | str = "<manifest>") -> Manifest:
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        line = int(m[1]) if m else None
        where = f" (column {m[2]})" if m else ""
        raise ManifestError(path, [Problem(line, f"not valid TOML: {msg}{where}")]) from None
    from .checks import Reader
    from .sections import build

    reader = Reader(text, data)
    manifest = build(reader, path, text)
    if reader.problems:
        raise ManifestError(path, sorted(reader.problems, key=lambda p: p.line or 0))
    assert manifest is not None
    return manifest


def module_file(src: Path, module: str) -> Path | None:
    base = src.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def capabilities(member: Member) -> dict[str, Any] | None:
    """What a member offers, from its profile and declared chips (the shape of the
    agent's `group.caps()` plus its name); None when its board is not known."""
    profile = member.profile()
    if profile is None:
        return None
    radios = [x for x in profile.radios if x != "wifi" or member.wifi]
    pins: list[int | str] = sorted({*profile.pins, *profile.pins.values()}, key=str)
    return {"name": member.name, "board": profile.name, "radios": radios, "pins": pins,
            "i2c": sorted({(d.bus, d.address) for d in member.devices})}


def missing(needs: Needs, caps: Mapping[str, Any]) -> list[str]:
    """What of `needs` a member with `caps` lacks, as words (empty: it can hold the role).
    A board without a pin table (`pins` empty) has every pin."""
    gaps = [f"radio {x}" for x in needs.radios if x not in caps.get("radios", ())]
    have_pins = {str(p) for p in caps.get("pins", ())}
    if have_pins:
        gaps += [f"pin {p}" for p in needs.pins if str(p) not in have_pins]
    addresses = {a[1] if isinstance(a, list | tuple) else a for a in caps.get("i2c", ())}
    gaps += [f"I2C device 0x{a:02x}" for a in needs.i2c if a not in addresses]
    if needs.boards and caps.get("board") not in needs.boards:
        gaps.append(f"board {' or '.join(needs.boards)}")
    if needs.members and caps.get("name") not in needs.members:
        gaps.append("a place in needs.member")
    return gaps
