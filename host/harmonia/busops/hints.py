"""Why the bus looks empty: frames signed with another key, virtual boards that run no
bus, or run it on another port. Read from the node's counters and the virtual boards'
state directory (their console logs say where each started its bus)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..bus.sync import SyncBus
    from .options import BusOptions

# What hm.app prints once the bus runs: "hm: node NAME id 40c65d0f on udp:127.0.0.2:47770"
_STARTED = re.compile(rb"hm: node (\S+) id ([0-9a-f]{8}) on ([^\r\n]*)")
_UDP_PORT = re.compile(r"udp:[0-9.]+:(\d+)")
_OPEN_MODE = b"hm.bus: OPEN MODE"
_ERROR = re.compile(rb"^(\w+(?:Error|Exception): [^\r\n]*)", re.MULTILINE)
_TAIL = 65536


@dataclass(frozen=True)
class VirtualBus:
    """What a running virtual board's console says about its bus."""

    board: str
    node: str | None  # None: the bus never started on this boot
    port: int | None
    open_mode: bool
    error: str | None = None  # the last error it printed, when its bus did not start


def virtual_buses(state_dir: Path | None = None) -> list[VirtualBus]:
    """Each running virtual board and the bus it last started, if any."""
    from ..vboard.state import board_dir, default_state_dir, running_boards

    state_dir = state_dir or default_state_dir()
    found = []
    for state in running_boards(state_dir):
        log = board_dir(state_dir, state.name).console_log
        try:
            with open(log, "rb") as f:
                f.seek(max(0, log.stat().st_size - _TAIL))
                text = f.read()
        except OSError:
            text = b""
        started = list(_STARTED.finditer(text))
        if not started:
            errors = _ERROR.findall(text)
            error = errors[-1].decode(errors="replace").strip() if errors else None
            found.append(VirtualBus(state.name, None, None, False, error))
            continue
        last = started[-1]
        port = _UDP_PORT.search(last.group(3).decode(errors="replace"))
        found.append(
            VirtualBus(
                state.name,
                last.group(1).decode(errors="replace"),
                int(port.group(1)) if port else None,
                _OPEN_MODE in text[: last.start()][-400:],
            )
        )
    return found


def why_empty(bus: SyncBus, options: BusOptions | None) -> str:
    """A short explanation of an empty peer table, with what to try next."""
    reasons = []
    drops = bus.stats().get("drops", {})
    if drops.get("auth"):
        keyed = "no key" if bus.node.open_mode else "another key"
        reasons.append(
            f"{drops['auth']} frames arrived signed with a key this host lacks ({keyed}): give "
            "the group key with --key, --key-file or HARMONIA_KEY"
        )
    port = options.port if options else None
    try:
        boards = virtual_buses(options.state_dir if options else None)
    except OSError:
        boards = []
    silent = [b.board for b in boards if b.node is None and b.error is None]
    if silent:
        reasons.append(
            f"{_boards(silent, 'runs', 'run')} no bus: a board's flash needs a main.py that "
            "runs hm.app.main(), and an /hm.json"
        )
    for b in boards:
        if b.node is None and b.error is not None:
            reasons.append(f"virtual board {b.board} failed to start its bus: {b.error}")
    elsewhere: dict[int, list[str]] = {}
    for b in boards:
        if b.node is not None and b.port is not None and port is not None and b.port != port:
            elsewhere.setdefault(b.port, []).append(b.board)
        elif b.node is not None and b.open_mode and not bus.node.open_mode:
            reasons.append(f"virtual board {b.board} runs in open mode: call it without a key")
    for other, names in sorted(elsewhere.items()):
        reasons.append(
            f"{_boards(names, 'runs', 'run')} the bus on port {other}: give --port {other}"
        )
    if not reasons:
        reasons.append(
            "check the boards are on, on the same port and key; real boards on "
            "Wi-Fi need --address 0.0.0.0 or this host's LAN address"
        )
    return "; ".join(reasons)


def _boards(names: list[str], one: str, many: str) -> str:
    """`virtual board a runs` / `virtual boards a, b run`."""
    if len(names) == 1:
        return f"virtual board {names[0]} {one}"
    return f"virtual boards {', '.join(names)} {many}"
