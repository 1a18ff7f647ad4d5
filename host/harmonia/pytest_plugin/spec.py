"""Which boards a run uses: `--hm-board` values and bench files, parsed into `BoardSpec`s.

    virtual                    virtual boards of whatever profile a test asks for
    virtual:PROFILE            virtual boards of one profile
    /dev/ttyACM0[@PROFILE]     a board on a serial port (any pyserial URL)
    udp:192.168.1.40[@PROFILE] a board reached only over the bus (a bare IPv4 works too)
    bench.toml                 every board listed in a bench file (docs/testing.md)
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..boards import board_names
from .errors import BenchError

Kind = Literal["virtual", "serial", "network"]
ResetLine = Literal["auto", "classic", "usb-jtag", "none"]

VIRTUAL_SLOTS = 32  # virtual boards one pool lends at once (each is a process pair)
PORT_PREFIXES = ("/dev/", "COM", "socket://", "rfc2217://", "loop://")


@dataclass(frozen=True)
class BoardSpec:
    """One board a run may lease (a virtual pool counts as `count` boards)."""

    kind: Kind
    name: str  # the lease name: "virtual", the port, the address, or the bench name
    profile: str | None = None  # None: any (virtual) or not known (real)
    port: str | None = None
    address: str | None = None
    node: str | None = None  # its bus node name when the plugin does not provision it
    count: int = 1
    tags: tuple[str, ...] = ()
    reset: ResetLine = "auto"
    power_off: str | None = None
    power_on: str | None = None
    provision: bool = True  # write /hm.json and the test's app before each test
    baud: int = 115200

    def describe(self) -> str:
        if self.kind == "virtual":
            return f"virtual:{self.profile or '*'}"
        where = self.port or self.address or ""
        label = self.name if self.name != where else where
        return label + (f" ({self.profile})" if self.profile else "")


@dataclass(frozen=True)
class BusSettings:
    """How the host joins the boards' bus. Unset values are fresh for each test."""

    address: str | None = None  # where the host binds; None: 127.0.0.1, or 0.0.0.0 with real boards
    port: int = 0  # 0: a free port per test (provisioned boards are told it)
    key: bytes | None = None  # None: a fresh group key per test
    wifi: Mapping[str, str] = field(default_factory=dict)  # ssid, key for real boards


@dataclass(frozen=True)
class Bench:
    boards: tuple[BoardSpec, ...]
    bus: BusSettings = field(default_factory=BusSettings)
    source: str = "--hm-board"
    manifest: Path | None = None  # [group] manifest: what the `group` fixture brings up

    def describe(self) -> str:
        return ", ".join(spec.describe() for spec in self.boards) or "no boards"


DEFAULT = "virtual"


def parse(values: Iterable[str], base: Path | None = None) -> Bench:
    """The bench that `--hm-board` values name (comma-separated or repeated)."""
    specs: list[BoardSpec] = []
    bus: BusSettings | None = None
    manifest: Path | None = None
    sources: list[str] = []
    for raw in values:
        for text in (part.strip() for part in raw.split(",")):
            if not text:
                continue
            if text.endswith(".toml"):
                path = Path(text).expanduser()
                if not path.is_absolute() and base is not None and not path.exists():
                    path = base / path
                bench = load(path)
                if bench.bus != BusSettings():
                    if bus is not None:
                        raise BenchError(f"{path}: only one bench file may set [bus] and [wifi]")
                    bus = bench.bus
                if bench.manifest is not None:
                    if manifest is not None:
                        raise BenchError(f"{path}: only one bench file may set [group]")
                    manifest = bench.manifest
                specs.extend(bench.boards)
                sources.append(str(path))
            else:
                specs.append(parse_one(text))
                sources.append(text)
    if not specs:
        specs.append(parse_one(DEFAULT))
        sources.append(DEFAULT)
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BenchError(f"boards named twice: {', '.join(twice)}; give each its own name")
    return Bench(tuple(specs), bus or BusSettings(), ", ".join(sources), manifest)


def parse_one(text: str) -> BoardSpec:
    """One `--hm-board` item (not a bench file)."""
    if text == "virtual" or text.startswith("virtual:"):
        profile = text.partition(":")[2] or None
        if profile in ("*", ""):
            profile = None
        if profile is not None:
            _check_profile(profile, text)
        name = f"virtual:{profile or '*'}"
        return BoardSpec("virtual", name, profile, count=VIRTUAL_SLOTS)
    where, profile = _split_profile(text)
    if where.startswith("udp:") or _is_ip(where):
        address = where.removeprefix("udp:")
        if not _is_ip(address):
            raise BenchError(f"{text!r}: give a network board as udp:IPV4[@PROFILE]")
        return BoardSpec("network", address, profile, address=address)
    if where.startswith(PORT_PREFIXES) or os.path.exists(where):
        return BoardSpec("serial", where, profile, port=where)
    raise BenchError(
        f"{text!r} is not a board: give virtual[:PROFILE], a serial port (/dev/ttyACM0, "
        "COM3, socket://HOST:PORT), udp:ADDRESS, or a bench file (.toml)"
    )


def load(path: Path) -> Bench:
    """A bench file: `[[board]]` entries, optional `[bus]` and `[wifi]` (docs/testing.md)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BenchError(f"cannot read the bench file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"board", "bus", "wifi", "group"}
    if unknown:
        raise BenchError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
                         "a bench file has [[board]], [bus], [wifi] and [group]")
    entries = data.get("board", [])
    group = data.get("group", {})
    if not isinstance(entries, list) or not (entries or group):
        raise BenchError(f"{path}: list the boards as [[board]] entries")
    specs = [_entry(path, i, e) for i, e in enumerate(entries)]
    manifest = None
    if group:
        if not isinstance(group, dict) or set(group) != {"manifest"}:
            raise BenchError(f'{path}: [group] has one key, manifest = "PATH"')
        manifest = (path.parent / str(group["manifest"])).resolve()
        if not manifest.is_file():
            raise BenchError(f"{path}: [group] manifest {manifest} does not exist")
    bus = _bus(path, data.get("bus", {}), data.get("wifi", {}))
    return Bench(tuple(specs), bus, str(path), manifest)


_BOARD_KEYS = {"name", "virtual", "port", "address", "profile", "node", "count", "tags",
               "reset", "power_off", "power_on", "provision", "baud"}


def _entry(path: Path, index: int, entry: Any) -> BoardSpec:
    where = f"{path}: board[{index}]"
    if not isinstance(entry, dict):
        raise BenchError(f"{where} is not a table")
    unknown = set(entry) - _BOARD_KEYS
    if unknown:
        raise BenchError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(_BOARD_KEYS))})")
    kinds = [k for k in ("virtual", "port", "address") if k in entry]
    if len(kinds) != 1:
        raise BenchError(f"{where}: give exactly one of virtual = PROFILE, port = PORT, "
                         "address = IPV4")
    if "virtual" in entry:
        spec = parse_one("virtual" if entry["virtual"] in ("", "*") else
                         f"virtual:{entry['virtual']}")
        spec = replace(spec, count=_int(entry.get("count", VIRTUAL_SLOTS), where, "count"))
        if "name" in entry:
            spec = replace(spec, name=str(entry["name"]))
    elif "port" in entry:
        port = str(entry["port"])
        spec = BoardSpec("serial", str(entry.get("name", port)), port=port)
    else:
        address = str(entry["address"])
        if not _is_ip(address):
            raise BenchError(f"{where}: address {address!r} is not an IPv4 address")
        spec = BoardSpec("network", str(entry.get("name", address)), address=address,
                         provision=False)
    profile = entry.get("profile")
    if profile is not None:
        _check_profile(str(profile), where)
        spec = replace(spec, profile=str(profile))
    reset = entry.get("reset", "auto")
    if reset not in ("auto", "classic", "usb-jtag", "none"):
        raise BenchError(f"{where}: reset is one of auto, classic, usb-jtag, none")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BenchError(f"{where}: tags is a list of strings")
    if spec.kind == "network" and entry.get("provision", False):
        raise BenchError(f"{where}: a network-only board cannot be provisioned (no REPL)")
    if spec.kind == "network" and "node" not in entry:
        raise BenchError(f"{where}: give the bus node name of a network-only board (node = ...)")
    if ("power_off" in entry) != ("power_on" in entry):
        raise BenchError(f"{where}: give both power_off and power_on commands, or neither")
    return replace(
        spec,
        node=str(entry["node"]) if "node" in entry else None,
        tags=tuple(tags),
        reset=reset,
        power_off=entry.get("power_off"),
        power_on=entry.get("power_on"),
        provision=bool(entry.get("provision", spec.provision)),
        baud=_int(entry.get("baud", 115200), where, "baud"),
    )


def _bus(path: Path, bus: Any, wifi: Any) -> BusSettings:
    if not isinstance(bus, dict) or not isinstance(wifi, dict):
        raise BenchError(f"{path}: [bus] and [wifi] are tables")
    key: bytes | None = None
    if "key_file" in bus or "key" in bus:
        from ..busops.errors import BadArgument
        from ..busops.options import load_key

        try:
            key = load_key(bus.get("key"), bus.get("key_file"), env={})
        except BadArgument as exc:
            raise BenchError(f"{path}: [bus] {exc}") from None
    wifi_values = {k: str(v) for k, v in wifi.items() if k in ("ssid", "key")}
    if "key_env" in wifi:
        wifi_values["key"] = os.environ.get(str(wifi["key_env"]), "")
    return BusSettings(
        address=str(bus["address"]) if "address" in bus else None,
        port=_int(bus.get("port", 0), f"{path}: [bus]", "port"),
        key=key,
        wifi=wifi_values,
    )


def _split_profile(text: str) -> tuple[str, str | None]:
    where, at, profile = text.rpartition("@")
    if not at:
        return text, None
    _check_profile(profile, text)
    return where, profile


def _check_profile(profile: str, where: str) -> None:
    known = board_names()
    if profile not in known:
        raise BenchError(f"{where}: no board profile {profile!r} (known: {', '.join(known)})")


def _is_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False


def _int(value: Any, where: str, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BenchError(f"{where}: {key} is a whole number")
    return value


