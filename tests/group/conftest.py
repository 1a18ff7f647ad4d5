"""Fixtures for the group tests: member boards running the group agent (`hm.group`).

    def test_x(group: GroupRig) -> None:
        group.member("a", pins={"RELAY": 5}); group.member("b", i2c=[(0, 0x18)])
        host = group.host()                          # a SyncBus host node
        group.configure(group.spec(["a", "b"], {"r": {"services": ["gsense"]}}))
        group.wait_healthy()                         # leader, every role held and running

A member is the firmware bus (`hm.app`, from tests/bus/conftest.py's `FwBoard`) with
`hm.group` and the test role services of `fw/` on its import path, a hardware profile of
its own (named pins) and I2C devices attached before it boots. `GroupRig(lan=True)` (the
`group_lan` fixture, root only) puts each member in its own network namespace, joined by
veth pairs to a Linux bridge, so `split()` cuts a set of members off at the link layer
(their bridge ports move to a second bridge) and `heal()` joins them again. Everything a
test starts is stopped at its end. Tests use the fixtures (`group`, `group_lan`) and the
rig's methods (`group.spec(...)`, `group.wait_for(...)`), never `from conftest import` at
run time: several test directories have a conftest module; only type checking names it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harmonia.build import cached_build
from harmonia.bus.sync import SyncBus
from harmonia.paths import micropython_exe
from harmonia.vboard.hw.hub import RUNTIME_HEAP, HardwareHub

FW = Path(__file__).resolve().parent / "fw"
BUS_FIXTURES = Path(__file__).resolve().parents[1] / "bus" / "conftest.py"


def bus_fixtures() -> Any:
    """tests/bus/conftest.py as a module (FwBus, FwBoard, wait_for)."""
    name = "bus_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BUS_FIXTURES)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


wait_for: Callable[..., Any] = bus_fixtures().wait_for
FwBoard: Any = bus_fixtures().FwBoard


def group_spec(members: list[str], roles: dict[str, Any], version: int = 1, **extra: Any
               ) -> dict[str, Any]:
    """A spec for `group.configure` (docs/group.md); fast timings unless given."""
    spec: dict[str, Any] = {"group": "g", "version": version, "members": members,
                            "roles": roles, "heartbeat_ms": 200, "lease_ms": 1000}
    spec.update(extra)
    return spec


class Member(FwBoard):  # type: ignore[misc]
    """A member board: its own pin table, optionally in a network namespace."""

    def __init__(self, root: Path, name: str, address: str | None, config: dict[str, Any],
                 paths: tuple[str, ...], pins: dict[str, int] | None,
                 netns: str | None, heap: int, radio: bool = True) -> None:
        super().__init__(root, name, address, config, radio, paths, heap)
        if pins:
            self.hub.stop()
            profile = {"radios": ["wifi"] if radio else [], "pins": pins}
            self.hub = HardwareHub(name, profile, self.dir)
            self.hub.start()
        self.netns = netns

    def spawn(self) -> None:
        """FwBoard's spawn, from the firmware compiled to x64 bytecode (as a flashed board
        loads it), inside the member's namespace when it has one."""
        mod = bus_fixtures()
        exe = micropython_exe()
        if self.netns is not None:
            wrapper = self.dir / "micropython-in-netns"
            wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.netns} {exe} "$@"\n')
            wrapper.chmod(0o755)
            exe = str(wrapper)
        compiled = cached_build("x64")
        saved = mod.micropython_exe, mod.firmware_dir
        mod.micropython_exe, mod.firmware_dir = (lambda: exe), (lambda: compiled)
        try:
            super().spawn()
        finally:
            mod.micropython_exe, mod.firmware_dir = saved


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def lan_available() -> str | None:
    """Why members cannot run in network namespaces here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    return None


class Lan:
    """Namespaces on two bridges: members start on the first; `split` moves some to the
    second (a real cut: no frame crosses between the bridges); `heal` moves them back."""

    def __init__(self) -> None:
        tag = os.urandom(2).hex()
        self.tag = tag
        self.net = f"10.{100 + os.getpid() % 150}.{int(tag, 16) % 250}"
        self.bridges = [f"hgb{tag}a", f"hgb{tag}b"]
        self.spaces: dict[str, str] = {}  # member -> namespace
        self.ports: dict[str, str] = {}  # member -> its veth end on a bridge
        self._next = 2
        for br in self.bridges:
            _ip("link", "add", br, "type", "bridge")
            Path(f"/sys/class/net/{br}/bridge/multicast_snooping").write_text("0")
            _ip("link", "set", br, "up")
        _ip("addr", "add", f"{self.net}.1/24", "dev", self.bridges[0])

    @property
    def host_address(self) -> str:
        return f"{self.net}.1"

    def add(self, name: str) -> tuple[str, str]:
        """A namespace for member `name`; (namespace, its address)."""
        n = self._next
        self._next += 1
        ns = f"hg{self.tag}m{n}"
        port, inner = f"hg{self.tag}p{n}", f"hg{self.tag}i{n}"
        address = f"{self.net}.{n}"
        _ip("netns", "add", ns)
        self.spaces[name] = ns
        _ip("link", "add", port, "type", "veth", "peer", "name", inner)
        self.ports[name] = port
        _ip("link", "set", inner, "netns", ns)
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", inner)
        _ip("-n", ns, "link", "set", inner, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", inner)
        _ip("link", "set", port, "master", self.bridges[0], "up")
        return ns, address

    def split(self, names: list[str]) -> None:
        """Cut `names` off from everyone else (the host stays with the others)."""
        for name in names:
            _ip("link", "set", self.ports[name], "master", self.bridges[1])

    def heal(self) -> None:
        for name in self.ports:
            _ip("link", "set", self.ports[name], "master", self.bridges[0])

    def close(self) -> None:
        for ns in self.spaces.values():
            with contextlib.suppress(subprocess.SubprocessError):
                _ip("netns", "del", ns)
        for port in self.ports.values():
            with contextlib.suppress(subprocess.SubprocessError):
                _ip("link", "del", port)
        for br in self.bridges:
            with contextlib.suppress(subprocess.SubprocessError):
                _ip("link", "del", br)


class GroupRig:
    """The members, host node and (with `lan`) namespaces of one test."""

    spec = staticmethod(group_spec)
    wait_for = staticmethod(wait_for)
    now_ms = staticmethod(lambda: now_ms())

    def __init__(self, root: Path, lan: bool = False) -> None:
        self.bus = bus_fixtures().FwBus(root)
        self.bus.paths = (str(FW),)
        self.root = root
        self.lan = Lan() if lan else None
        self.members: dict[str, Member] = {}
        self.heap = bus_fixtures().BOARD_HEAP + RUNTIME_HEAP  # the profile's, as a vboard
        self._host: SyncBus | None = None

    def member(self, name: str, *, pins: dict[str, int] | None = None,
               i2c: list[tuple[int, int]] = (), start: bool = True,  # type: ignore[assignment]
               services: list[str] | None = None, radio: bool = True,
               serial: list[dict[str, Any]] | None = None, **config: Any) -> Member:
        """A member board named `name` running `hm.group` (and `services`): `pins` names
        its pins (e.g. {"RELAY": 5}), `i2c` devices are attached before it boots,
        `radio=False` makes it serial-only (`serial`: its /hm.json serial links; wire them
        with `link()`), `config` adds /hm.json keys."""
        bus = self.bus
        cfg: dict[str, Any] = {"name": name, "board": "virtual", "group_key": bus.key,
                               "port": bus.port, "wifi": {"ssid": "harmonia", "key": "x"},
                               "services": ["hm.group", *(services or [])],
                               "group_file": str(self.root / name / "group.json")}
        if i2c:
            cfg["i2c"] = [{"id": b} for b in sorted({b for b, _ in i2c})]
        if not radio:
            cfg["udp"] = False
        if serial:
            cfg["serial"] = serial
        cfg.update(config)
        netns = address = None
        if self.lan is not None:
            netns, address = self.lan.add(name)
        elif radio:
            address = bus.address()
        board = Member(self.root, name, address, cfg, bus.paths, pins, netns, self.heap, radio)
        bus.boards[name] = board
        self.members[name] = board
        for bus_id, addr in i2c:
            board.hw.attach_i2c(bus_id, addr, {0: b"\x00"})
        if start:
            board.start()
        return board

    def link(self, a: str, b: str, uart: int = 1) -> Any:
        """A cable between UART `uart` of members a and b (`UartLink`: set(), heal())."""
        return self.bus.link(self.members[a], self.members[b], uart)

    def host(self) -> SyncBus:
        """The test's host node (on the bridge with `lan`)."""
        if self._host is None:
            address = self.lan.host_address if self.lan is not None else "127.0.0.1"
            self._host = SyncBus.open("host", address=address, port=self.bus.port,
                                      key=self.bus.key)
        return self._host

    def call(self, name: str, method: str, *args: Any, timeout: float = 3.0) -> Any:
        return self.host().call(name, method, *args, timeout=timeout)

    def configure(self, spec: dict[str, Any], names: list[str] | None = None) -> None:
        """group.configure(spec) on each member (every member of the spec by default)."""
        host = self.host()
        targets = names if names is not None else spec["members"]
        host.wait_for_peers(len(targets), timeout=10, names=targets)
        for name in targets:
            host.call(name, "group.configure", spec)

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.call(name, "group.status"))

    def healthy(self, names: list[str], vacant: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The status (of the first of `names`) when they agree on one leader and the
        assignment, and every role but the `vacant` ones runs on its holder, and only there."""
        try:
            views = [self.status(n) for n in names]
        except Exception:
            return None
        first = views[0]
        leader = first["leader"]
        if leader not in names or any(v["leader"] != leader or v["roles"] != first["roles"]
                                 for v in views):
            return None
        running = {n: set(v["held"]) for n, v in zip(names, views, strict=True)}
        for role, holder in first["roles"].items():
            if holder is None and role in vacant:
                continue
            if holder is None or holder not in running or role not in running[holder]:
                return None
        holders = holders_of(views)
        if any(len(h) > 1 for h in holders.values()):
            return None
        return dict(first)

    def wait_healthy(self, names: list[str] | None = None, timeout: float = 10.0,
                     vacant: tuple[str, ...] = ()) -> dict[str, Any]:
        """The status once `names` (default: the running members) are healthy."""
        names = names or [n for n, b in self.members.items() if b.proc is not None]
        deadline = time.monotonic() + timeout
        while True:  # polled gently: each poll is a call on every member
            result = self.healthy(names, vacant)
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {names} to "
                                     "agree on a leader and run every role")
            time.sleep(0.1)

    def close(self) -> None:
        self.bus.close()
        if self._host is not None:
            with contextlib.suppress(Exception):
                self._host.close()
        if self.lan is not None:
            self.lan.close()


def holders_of(views: list[dict[str, Any]]) -> dict[str, list[str]]:
    """role -> the members that say they run it, from their own statuses."""
    out: dict[str, list[str]] = {}
    for v in views:
        for role in v["held"]:
            out.setdefault(role, []).append(v["me"])
    return out


def now_ms() -> int:
    """The clock of `group.history()` on virtual boards: CLOCK_MONOTONIC ms, 30 bits."""
    return int(time.monotonic() * 1000) & 0x3FFFFFFF


@pytest.fixture
def group(tmp_path: Path) -> Iterator[GroupRig]:
    rig = GroupRig(tmp_path)
    try:
        yield rig
    finally:
        rig.close()


@pytest.fixture
def group_lan(tmp_path: Path) -> Iterator[GroupRig]:
    why = lan_available()
    if why is not None:
        pytest.skip(why)
    rig = GroupRig(tmp_path, lan=True)
    try:
        yield rig
    finally:
        rig.close()
