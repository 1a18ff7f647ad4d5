"""The fan controller demo: three virtual boards become one device, temperature drives a
relay through the super device's interface, a board dies and its role moves, and
everything is torn down. The scenario reports `Note`s and returns a `Summary`; the
`harmonia demo` command (cli/demo.py) prints them.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..bus.testing import free_udp_port
from ..errors import HarmoniaError
from ..group import Group, GroupError, RoleUnavailable, up
from ..vboard.state import running_boards
from .roomy import HEAP, roomy_boards, using_boards

MANIFEST = paths.repo_root() / "examples" / "fan" / "fan.toml"
RELAY_PIN = "GP15"
COOL, HOT = 22.0, 31.0
WAIT = 10.0  # seconds any one thing may take before the demo gives up


@dataclass(frozen=True)
class Note:
    kind: str  # "title", "say", "wait", "ok", "table"
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass
class Summary:
    rows: list[tuple[str, str]] = field(default_factory=list)
    ok: bool = False
    failover_seconds: float | None = None
    calls: int = 0
    lost_calls: int = 0
    error: str | None = None


Show = Callable[[Note], None]


def run(show: Show, *, state_dir: Path | None = None, port: int | None = None,
        heap: int = HEAP) -> Summary:
    """Run the whole scenario; every board it starts is stopped before it returns (also on
    Ctrl-C, re-raised after the teardown). A failure is in `summary.error`."""
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="harmonia-demo-") as tmp:
        boards, raised = roomy_boards(Path(tmp) / "boards", heap)
        sd = state_dir or Path(tmp) / "state"
        with using_boards(boards):
            if raised:
                show(Note("say", f"(virtual boards get {heap // 1024} KiB of heap here: the "
                                 "firmware does not fit these boards' own heap yet)"))
            try:
                _scenario(show, summary, sd, port or free_udp_port())
                summary.ok = True
            except HarmoniaError as exc:
                summary.error = str(exc)
            finally:
                left = [b.name for b in running_boards(sd)] if sd.exists() else []
                summary.rows.append(("teardown", "every board stopped, nothing left running"
                                     if not left else f"STILL RUNNING: {', '.join(left)}"))
    return summary


def _scenario(show: Show, summary: Summary, state_dir: Path, port: int) -> None:
    show(Note("title", "1. Three boards become one fan controller"))
    show(Note("say", "A sensor board (ESP32-C3) measures the room with an MCP9808 chip on I2C.\n"
                     "A relay board (RP2040, no Wi-Fi) switches the fan; it is wired to the\n"
                     "sensor board's UART, which bridges it onto the bus. A controller board\n"
                     "(ESP32-C3) decides when the fan runs. All three are virtual boards:\n"
                     "real MicroPython, simulated chips and wires."))
    group, report = up(MANIFEST, state_dir=state_dir, port=port, detach=False,
                       step=lambda step, detail: show(Note("wait", f"{step}: {detail}")))
    try:
        roles = ", ".join(f"{role} on {holder}" for role, holder in report.assignment.items())
        show(Note("ok", f"the group is up in {report.seconds:.1f} s; leader {report.leader}; "
                        f"{roles}"))
        summary.rows.append(("group up (3 boards)", f"{report.seconds:.1f} s"))
        _drive(show, summary, group)
        _failover(show, summary, group)
    finally:
        show(Note("title", "4. Tearing down"))
        stopped = group.down()
        show(Note("ok", f"stopped {', '.join(stopped)}"))


def _drive(show: Show, summary: Summary, group: Group) -> None:
    show(Note("title", "2. The room's temperature drives the relay"))
    show(Note("say", "The host sets the temperature the simulated chip measures and reads the\n"
                     "relay's GPIO pin; in between, the boards do the work: a reading event\n"
                     "goes to whichever board holds the control role, and its decision to\n"
                     "whichever holds the switching role."))
    watch = group.watch(["temperature", "fan"])
    try:
        with group.hardware("relay") as relay:
            ms = _set_and_wait(group, relay, COOL, 0)
            t = group.call("temperature")["temperature"]
            show(Note("ok", f"cool room: the super device reads {t:.1f} °C, relay {RELAY_PIN} "
                            "is low: fan off"))
            ms = _set_and_wait(group, relay, HOT, 1)
            show(Note("ok", f"{HOT:.1f} °C: relay {RELAY_PIN} went high {ms:.0f} ms later: fan on"))
            summary.rows.append((f"{HOT:.0f} °C -> relay on", f"{ms:.0f} ms"))
            state = group.call("controller")
            show(Note("say", f"group call controller -> running={state['running']}, "
                             f"on above {state['on_above']} °C, off below {state['off_below']} °C"))
            seen = _drain(watch)
            if seen:
                show(Note("say", "events of the super device: " + "; ".join(seen)))
            ms = _set_and_wait(group, relay, COOL, 0)
            show(Note("ok", f"{COOL:.1f} °C: relay {RELAY_PIN} went low {ms:.0f} ms later: "
                            "fan off"))
            summary.rows.append((f"{COOL:.0f} °C -> relay off", f"{ms:.0f} ms"))
    finally:
        watch.close()


def _set_and_wait(group: Group, relay: Any, celsius: float, level: int) -> float:
    started = time.monotonic()
    group.set_sensor("sensor", temperature=celsius)
    relay.wait_pin(RELAY_PIN, level=level, timeout=WAIT)
    return (time.monotonic() - started) * 1000


def _drain(watch: Any) -> list[str]:
    seen: list[str] = []
    with contextlib.suppress(TimeoutError):
        while len(seen) < 6:
            event = watch.get(timeout=0.3)
            if event is None:
                break
            value = event.value["temperature"] if isinstance(event.value, dict) else event.value
            seen.append(f"{event.name}={value} from {event.node}")
    return seen


def _failover(show: Show, summary: Summary, group: Group) -> None:
    show(Note("title", "3. A board dies and its role moves"))
    victim = group.holder("control")
    if victim is None:
        raise GroupError("no member holds the control role")
    show(Note("say", f"{victim} holds the control role. Its power goes off now, while the host\n"
                     "keeps calling the super device's `controller` method every 50 ms."))
    with _calls(group, "controller") as calls:
        killed = time.monotonic()
        group.kill(victim)
        holder = _wait_role_moves(show, group, "control", victim, killed)
        failover = time.monotonic() - killed
        summary.failover_seconds = failover
        show(Note("ok", f"role control moved from {victim} to {holder} in {failover:.1f} s"))
        with group.hardware("relay") as relay:
            relay.wait_pin(RELAY_PIN, level=0, timeout=WAIT)  # still off, as last decided
            ms = _set_and_wait(group, relay, HOT, 1)
        show(Note("ok", f"{HOT:.1f} °C again: the relay went high {ms:.0f} ms later, now "
                        f"decided by {holder}"))
    summary.calls, summary.lost_calls = calls.made, calls.lost
    show(Note("ok", f"calls on the super device during the failover: {calls.made} made, "
                    f"{calls.lost} lost, slowest {calls.slowest:.1f} s (retried while the role "
                    "moved)"))
    summary.rows += [
        (f"failover of role control ({victim} -> {holder})", f"{failover:.1f} s"),
        ("calls during the failover", f"{calls.made} made, {calls.lost} lost"),
        ("relay driven by the new controller", f"{ms:.0f} ms"),
    ]


def _wait_role_moves(show: Show, group: Group, role: str, old: str, since: float) -> str:
    deadline = time.monotonic() + WAIT
    shown = 0.0
    while time.monotonic() < deadline:
        status = group.status(versions=False)
        holder = status.roles.get(role)
        if holder not in (None, old) and role in status.member(holder or "").roles:
            return str(holder)
        waited = time.monotonic() - since
        if waited - shown >= 0.5:
            shown = waited
            show(Note("wait", f"{waited:.1f} s: the other boards notice {old} is gone "
                              f"(leader {status.leader or '-'}, {role} on {holder or 'nobody'})"))
        time.sleep(0.1)
    raise GroupError(f"role {role} did not leave {old} within {WAIT:g} s")


class _Caller:
    def __init__(self) -> None:
        self.made = 0
        self.lost = 0
        self.slowest = 0.0
        self.stop = threading.Event()


@contextlib.contextmanager
def _calls(group: Group, method: str) -> Iterator[_Caller]:
    """Call `method` on the interface every 50 ms in a thread until the block ends."""
    caller = _Caller()

    def loop() -> None:
        while not caller.stop.is_set():
            started = time.monotonic()
            try:
                group.call(method, deadline=WAIT)
            except RoleUnavailable:
                caller.lost += 1
            caller.made += 1
            caller.slowest = max(caller.slowest, time.monotonic() - started)
            caller.stop.wait(0.05)

    thread = threading.Thread(target=loop, name="demo-calls", daemon=True)
    thread.start()
    try:
        yield caller
    finally:
        caller.stop.set()
        thread.join(WAIT + 5)
