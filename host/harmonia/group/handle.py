"""`Group`: a running group from the host's side, for the length of a `with` block.

    with open_group("examples/fan/fan.toml") as group:       # or up(...) to bring it up
        group.status().leader
        group.call("temperature")                             # whichever member holds it
        for event in group.watch(["temperature"]): ...
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from ..bus.errors import DiscoveryTimeout
from ..bus.sync import SyncBus
from ..busops.options import BusOptions, open_bus
from ..vboard.board import VirtualBoard
from ..vboard.hw.client import HardwareClient, UartLink
from ..vboard.launch import stop_boards
from ..vboard.state import default_state_dir, is_board_process
from .calls import Interface, Watch
from .errors import GroupError
from .health import GroupStatus, read_status, wait_healthy
from .manifest import Device, Manifest, load
from .members import attach_boards
from .simchip import set_values
from .state import GroupDir, GroupState


class Group:
    """A group's manifest, its state, a host bus node on its port and key, and the virtual
    boards it started. `close()` leaves the group running; `down()` stops it."""

    def __init__(self, manifest: Manifest, gdir: GroupDir, state: GroupState, key: bytes | None,
                 bus: SyncBus, boards: dict[str, VirtualBoard]) -> None:
        self.manifest = manifest
        self.gdir = gdir
        self.state = state
        self.key = key
        self.bus = bus
        self.boards = boards
        self.interface = Interface(bus, manifest)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def member_names(self) -> list[str]:
        return [m.name for m in self.manifest.members]

    # ---- looking -------------------------------------------------------------------------

    def status(self, versions: bool = True) -> GroupStatus:
        return read_status(self.bus, self.name, self.member_names,
                           [r.name for r in self.manifest.roles], versions)

    def wait_healthy(self, timeout: float = 20.0, versions: bool = False) -> GroupStatus:
        """The status once healthy; GroupError naming what is wrong after `timeout`."""
        status = wait_healthy(lambda: self.status(versions), timeout)
        if not status.healthy:
            raise GroupError(f"group {self.name} is not healthy after {timeout:g} s: "
                             + "; ".join(status.problems))
        return status

    def holder(self, role: str) -> str | None:
        return self.interface.holder(role, refresh=True)

    # ---- the super device ----------------------------------------------------------------

    def call(self, name: str, *args: Any, deadline: float = 10.0) -> Any:
        """Interface method `name` on whichever member holds its role (retried while it
        moves; see calls.Interface)."""
        return self.interface.call(name, *args, deadline=deadline)

    def watch(self, names: Sequence[str] = (), changes: bool = False) -> Watch:
        """Interface events (`names`, default all), and role/health changes if asked."""
        return Watch(self.bus, names, changes)

    # ---- virtual hardware ----------------------------------------------------------------

    def board(self, member: str) -> VirtualBoard:
        if member not in self.boards:
            raise GroupError(f"member {member} of group {self.name} is not a running virtual "
                             "board")
        return self.boards[member]

    def hardware(self, member: str) -> HardwareClient:
        return self.board(member).hardware()

    def set_sensor(self, member: str, **values: float) -> None:
        """What a member's simulated chip measures, e.g. set_sensor("sensor", temperature=30)."""
        device = self._device(member, next(iter(values), ""))
        with self.hardware(member) as hw:
            set_values(hw, device, **values)

    def _device(self, member: str, value: str) -> Device:
        devices = self.manifest.member(member).devices
        for device in devices:
            if device.model in ("mcp9808", "sht31d", "bme280") or not value:
                return device
        raise GroupError(f"member {member} has no simulated chip that measures {value}")

    def cable(self, a: str, b: str) -> UartLink:
        """The simulated UART cable between virtual members a and b (to cut: `.set(drop=1)`,
        to mend: `.heal()`)."""
        for link in self.state.links:
            if {link["a"], link["b"]} == {a, b}:
                hw = self.hardware(str(link["a"]))
                return UartLink(hw, int(link["id"]))
        raise GroupError(f"group {self.name} has no cable between {a} and {b}")

    def kill(self, member: str) -> None:
        """Power a virtual member off at once (its MicroPython process is killed; the
        supervisor keeps its cables and chips). `revive` powers it on again."""
        state = self.board(member).status()
        if state.child_pid and is_board_process(state.child_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.child_pid, signal.SIGKILL)

    def revive(self, member: str) -> None:
        self.board(member).reset(hard=True)

    # ---- ending --------------------------------------------------------------------------

    def close(self) -> None:
        """Leave the bus; the group keeps running (boards started with detach=False stop
        when their objects go, as with any library board)."""
        self.bus.close()

    def down(self) -> list[str]:
        """Stop every virtual board of the group and forget its state; the members'
        agents leave the group first when they can. Returns the boards stopped."""
        for name in self.member_names:
            with contextlib.suppress(Exception):
                self.bus.call(name, "group.leave", timeout=0.5)
        self.bus.close()
        boards = {**attach_boards(self.state.boards, self.gdir.state_dir), **self.boards}
        stop_boards(list(boards.values()))
        self.gdir.forget()
        return sorted(boards)

    def __enter__(self) -> Group:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def find_manifest(target: str | Path, state_dir: Path | None) -> tuple[Manifest, GroupDir]:
    """A manifest path, or the name of a group brought up from `state_dir`."""
    path = Path(target)
    if path.suffix == ".toml" or path.exists():
        manifest = load(path)
        return manifest, GroupDir(manifest.name, state_dir)
    gdir = GroupDir(str(target), state_dir)
    state = gdir.load()
    return load(state.manifest).with_port(state.port), gdir


def group_key(manifest: Manifest, gdir: GroupDir) -> bytes:
    return manifest.key if manifest.key is not None else gdir.key()


def bus_options(manifest: Manifest, key: bytes) -> BusOptions:
    """Where the host joins the group's bus: on loopback for virtual members, on every
    interface when a real member has a network address, and on each real member's serial
    port."""
    real = [m for m in manifest.members if not m.virtual]
    serial = tuple(m.port for m in real if m.port)
    wide = any(m.address and not m.address.startswith("127.") for m in real)
    return BusOptions(address="0.0.0.0" if wide else "127.0.0.1" if serial else None,
                      port=manifest.port, key=key, serial=serial,
                      name=f"harmonia-{manifest.name}")


def open_group(target: str | Path, state_dir: Path | str | None = None,
               port: int | None = None, wait: float = 3.0) -> Group:
    """Join a group that is up (by manifest or name) without changing anything; waits up
    to `wait` seconds for every member to be heard."""
    sd = Path(state_dir) if state_dir is not None else default_state_dir()
    manifest, gdir = find_manifest(target, sd)
    state = gdir.load()
    manifest = manifest.with_port(port or state.port)
    key = group_key(manifest, gdir)
    bus = open_bus(bus_options(manifest, key))
    try:
        boards = attach_boards(state.boards, sd)
        names = [m.name for m in manifest.members]
        with contextlib.suppress(DiscoveryTimeout):  # those missing show as unreachable
            bus.wait_for_peers(len(names), timeout=wait, names=names)
    except BaseException:
        bus.close()
        raise
    return Group(manifest, gdir, state, key, bus, boards)
