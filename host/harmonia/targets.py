"""The boards a command works on: serial ports, virtual boards by name, `--all`.

    targets = resolve(["vb1", "/dev/ttyACM0"])       # or resolve([], all_boards=True)
    transport = open_serial(targets[0])              # mpremote's SerialTransport

A target remembers how to find its board again (a USB serial number or socket, a virtual
board's name), so a port that vanished in a re-enumeration can be looked up anew
(`refind`). Other kinds of names (bus nodes, groups) plug in as `resolvers`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import HarmoniaError

if TYPE_CHECKING:
    from .ports import PortInfo

TargetKind = Literal["serial", "virtual", "node"]

PORT_PREFIXES = ("/dev/", "COM", "socket://", "rfc2217://", "loop://")
DEFAULT_BAUD = 115200
BUSY_CHECKS = 3  # looks at a busy port's holders before calling it busy
BUSY_PAUSE = 0.1


class TargetError(HarmoniaError):
    """A target could not be found or reached."""


class UnknownTargetError(TargetError):
    """A name is neither a port nor a running virtual board (nor a known node)."""


class NoTargetsError(TargetError):
    """Nothing to work on: no target given, or `--all` found none."""


class PortBusyError(TargetError):
    """Another program holds the port."""


class PortVanishedError(TargetError):
    """The port went away (reset, cable, USB re-enumeration) and did not come back."""


@dataclass(frozen=True)
class Target:
    name: str  # what progress rows and summaries show
    kind: TargetKind
    port: str | None = None  # serial port; a virtual board's console pty
    profile: str | None = None  # board profile, when known for sure
    state_dir: Path | None = None  # virtual boards: their state directory
    vid: int | None = None  # USB identity, to find the port again
    pid: int | None = None
    serial_number: str | None = None
    location: str | None = None
    address: str | None = None  # network address (virtual boards, nodes)

    def describe(self) -> str:
        if self.kind == "virtual":
            return f"virtual board {self.name} ({self.port})"
        if self.kind == "serial":
            return f"port {self.port}" + (f" ({self.profile})" if self.profile else "")
        return f"node {self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "port": self.port,
            "profile": self.profile,
            "address": self.address,
        }

    def refind(self, timeout: float = 10.0) -> Target:
        """This target where its port is now (after a reset or a re-enumeration);
        PortVanishedError when it does not come back within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._lookup()
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise PortVanishedError(
                    f"{self.describe()} went away and did not come back within {timeout:g} s: "
                    "check the cable or the board, then run the command again"
                )
            time.sleep(0.1)

    def _lookup(self) -> Target | None:
        if self.kind == "virtual":
            from .vboard.state import board_dir, default_state_dir, read_state

            state = read_state(board_dir(self.state_dir or default_state_dir(), self.name))
            return replace(self, port=state.port) if state is not None else None
        if self.kind != "serial" or self.port is None:
            return self
        from serial.tools import list_ports

        ports = list(list_ports.comports())
        for key in ("serial_number", "location"):
            wanted = getattr(self, key)
            if wanted is None:
                continue
            hits = [
                p for p in ports if (p.vid, p.pid, getattr(p, key)) == (self.vid, self.pid, wanted)
            ]
            if len(hits) == 1:
                return replace(self, port=hits[0].device)
        if self.vid is None and _port_exists(self.port):
            return self  # no identity to go by: the same path, if it is back
        return None


def _port_exists(port: str) -> bool:
    return not port.startswith("/dev/") or os.path.exists(port)


def looks_like_port(text: str) -> bool:
    return text.startswith(PORT_PREFIXES) or os.path.exists(text)


Resolver = Callable[[str], "Target | None"]
"""Turns a name into a target, or None when the name is not its kind (bus nodes...)."""


def resolve(
    specs: Sequence[str],
    *,
    all_boards: bool = False,
    state_dir: Path | str | None = None,
    resolvers: Iterable[Resolver] = (),
) -> list[Target]:
    """Targets for the names given: a running virtual board's name, a serial port (a
    virtual board's pty counts as that board), or what a resolver knows; with
    `all_boards`, every running virtual board and every port a board profile lists.
    Raises UnknownTargetError naming what is there, NoTargetsError when none is left."""
    from .ports import list_ports, virtual_ports
    from .vboard.state import default_state_dir

    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    virtual = {p.name: p for p in virtual_ports(state_dir) if p.name}
    by_port = {p.device: p for p in virtual.values()}
    physical: list[PortInfo] | None = None
    found: list[Target] = []
    for spec in specs:
        if spec in virtual:
            found.append(_virtual(virtual[spec], state_dir))
            continue
        if spec in by_port:
            found.append(_virtual(by_port[spec], state_dir))
            continue
        target = next((t for r in resolvers if (t := r(spec)) is not None), None)
        if target is not None:
            found.append(target)
            continue
        if looks_like_port(spec):
            if physical is None:
                physical = list_ports(
                    state_dir=state_dir, include_virtual=False, include_bootsel=False
                )
            info = next((p for p in physical if p.device == spec), None)
            found.append(_serial(spec, info))
            continue
        raise UnknownTargetError(_unknown(spec, virtual, state_dir))
    if all_boards:
        if physical is None:
            physical = list_ports(state_dir=state_dir, include_virtual=False, include_bootsel=False)
        found += [_virtual(p, state_dir) for p in virtual.values()]
        found += [
            _serial(p.device, p)
            for p in physical
            if p.candidates and p.modes != ("bootloader",) and p.kind != "bootsel"
        ]
    unique: dict[tuple[str, str | None], Target] = {}
    for target in found:
        unique.setdefault((target.kind, target.port or target.name), target)
    if not unique:
        raise NoTargetsError(
            "no boards found: start virtual boards (`harmonia vboard start`), plug a board "
            "in (`harmonia ports`), or name a port"
            if all_boards
            else "name at least one target (a port or a virtual board), or give --all"
        )
    return list(unique.values())


def _virtual(port: PortInfo, state_dir: Path) -> Target:
    return Target(
        name=port.name or port.device,
        kind="virtual",
        port=port.device,
        profile=port.board,
        state_dir=state_dir,
        address=port.address,
    )


def _serial(device: str, info: PortInfo | None) -> Target:
    if info is None:
        return Target(name=device, kind="serial", port=device)
    return Target(
        name=device,
        kind="serial",
        port=device,
        profile=info.board if info.kind == "board" else None,
        vid=info.vid,
        pid=info.pid,
        serial_number=info.serial_number,
        location=info.location,
    )


def _unknown(spec: str, virtual: dict[str, PortInfo], state_dir: Path) -> str:
    names = ", ".join(sorted(virtual)) or "none"
    return (
        f"no port or virtual board named {spec!r}: running virtual boards are {names} "
        f"(state dir {state_dir}); `harmonia ports` lists the serial ports"
    )


# ---- opening a port -------------------------------------------------------------------


def holders(port: str) -> list[str]:
    """Other programs that have `port` open, as `name (pid N)`."""
    from .flash.errors import port_holders

    mine = f"(pid {os.getpid()})"
    return [h for h in port_holders(port) if not h.endswith(mine)]


def check_free(target: Target) -> None:
    """Raise PortBusyError naming the holder, or PortVanishedError, before opening."""
    port = target.port or ""
    if not _port_exists(port):
        raise PortVanishedError(
            f"{target.describe()} is not there: see `harmonia ports`, plug the board in, "
            "or start the virtual board"
        )
    held = holders(port)
    # A holder that lets go at once (a udev probe, ModemManager) is no holder. (Virtual
    # boards' supervisors no longer open their own port to flush it.)
    for _ in range(BUSY_CHECKS):
        if not held:
            break
        time.sleep(BUSY_PAUSE)
        held = holders(port)
    if held:
        raise PortBusyError(
            f"{target.describe()} is busy: held by {', '.join(held)}; close that program "
            "and try again"
        )


def open_serial(target: Target, baudrate: int = DEFAULT_BAUD) -> Any:
    """mpremote's SerialTransport on the target's port, opened exclusively."""
    from mpremote.transport import TransportError  # type: ignore[import-untyped]
    from mpremote.transport_serial import SerialTransport  # type: ignore[import-untyped]

    if target.port is None:
        raise TargetError(f"{target.describe()} has no serial port")
    check_free(target)
    try:
        return SerialTransport(target.port, baudrate=baudrate)
    except TransportError:
        check_free(target)  # names the holder if the OS tells
        raise PortBusyError(
            f"{target.describe()} cannot be opened: another program may hold it (locked); "
            "close it and try again"
        ) from None
