"""Resilience seen from the host: a member dies and its role moves within 5 s with no call
on the super device lost; it comes back as a standby; a member cut off by its cable (a
partition) never holds an exclusive role at the same time as another member."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harmonia.group import Group, RoleUnavailable
from harmonia.group.testing import GroupLab, wait_for

FAN = Path(__file__).resolve().parents[2] / "examples" / "fan" / "fan.toml"
MASK = (1 << 30) - 1  # history() times are ticks_ms, 30 bits

PARTED = """\
[group]
name = "parted"
virtual = true
lease_ms = 600
heartbeat_ms = 150

[members.a]
board = "virtual"

[members.b]
board = "virtual"

[members.c]
board = "rpi-pico-w"
wifi = false

[[links]]
a = "a:1"
b = "c:0"

[roles.x]
services = ["gx"]
prefer = ["c", "b"]

[interface.methods]
ping = "x:x.ping"
"""

GX = """\
class X:
    def ping(self):
        return "pong"


def register(node):
    node.register("x", X(), "1.0", ("ping",))
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[GroupLab]:
    with GroupLab(tmp_path) as lab:
        yield lab


class Caller:
    """Calls an interface method back to back in a thread; counts answers and losses."""

    def __init__(self, group: Group, method: str) -> None:
        self.answers: list[Any] = []
        self.lost = 0
        self.slowest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(group, method), daemon=True)
        self._thread.start()

    def _run(self, group: Group, method: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.answers.append(group.call(method, deadline=10.0))
            except RoleUnavailable:
                self.lost += 1
            self.slowest = max(self.slowest, time.monotonic() - started)
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


def moved(group: Group, role: str, old: str) -> str | None:
    status = group.status(versions=False)
    holder = status.roles.get(role)
    if holder in (None, old) or role not in status.member(holder or "").roles:
        return None
    return holder


def test_a_dead_member_s_role_moves_within_5_s_and_no_call_is_lost(lab: GroupLab) -> None:
    group, _ = lab.up(FAN)
    assert group.holder("control") == "controller"
    caller = Caller(group, "controller")
    try:
        wait_for(lambda: len(caller.answers) >= 3, 5, "calls to go through")
        killed = time.monotonic()
        group.kill("controller")
        holder = wait_for(lambda: moved(group, "control", "controller"), 8, "control to move")
        failover = time.monotonic() - killed
        count = len(caller.answers)
        wait_for(lambda: len(caller.answers) >= count + 3, 5, "calls after the failover")
    finally:
        caller.stop()
    assert holder == "sensor"
    assert failover <= 5.0
    assert caller.lost == 0
    with group.hardware("relay") as relay:  # the binding follows the role to its new holder
        group.set_sensor("sensor", temperature=33.0)
        assert relay.wait_pin("GP15", level=1, timeout=5).level == 1
    group.revive("controller")  # back, as a standby: the role does not flap back
    wait_for(lambda: group.status(versions=False).member("controller").state == "up", 10,
             "controller to rejoin")
    status = group.status(versions=False)
    assert status.roles["control"] == "sensor" and status.member("controller").roles == ()


Span = tuple[str, int, int]  # member, start, end (ms, on the host's monotonic clock)


def spans(group: Group, role: str) -> list[Span]:
    """When each member held `role`, from the members' history() (on virtual boards,
    ticks_ms is the host's CLOCK_MONOTONIC in ms, masked to 30 bits: unwrapped here)."""
    now = int(time.monotonic() * 1000)
    out = []
    for member in group.member_names:
        for name, start, end in group.bus.call(member, "group.history", timeout=2):
            if name == role:
                begin = now - ((now - start) & MASK)
                out.append((member, begin, now if end is None else now - ((now - end) & MASK)))
    return out


def test_a_member_cut_off_by_its_cable_never_holds_an_exclusive_role_with_another(
        lab: GroupLab) -> None:
    path = lab.write("parted", PARTED, {"gx.py": GX})
    group, report = lab.up(path)
    assert report.assignment == {"x": "c"}
    cable = group.cable("a", "c")
    assert group.call("ping") == "pong"
    cable.set(drop=1.0)  # the partition: c alone, a and b the majority
    holder = wait_for(lambda: moved(group, "x", "c"), 8, "x to leave the cut-off member")
    assert holder == "b"
    assert group.call("ping") == "pong"
    cable.heal()
    wait_for(lambda: group.status(versions=False).member("c").state == "up", 10,
             "c to rejoin after the heal")
    status = group.status(versions=False)
    assert status.roles["x"] == "b" and "x" not in status.member("c").roles
    group.bus.wait_for_peers(3, timeout=10, names=["c"])  # the host hears c again too
    held = spans(group, "x")
    assert {m for m, _, _ in held} == {"b", "c"}
    for i, (m1, start1, end1) in enumerate(held):
        for m2, start2, end2 in held[i + 1:]:
            if m1 != m2:
                assert end1 <= start2 or end2 <= start1, held  # never two holders at once
