"""Board log lines through the `log` service (firmware/hm/services/log.py).

    for item in logs(bus, ["kitchen", "porch"], lines=20, follow=True):
        print(item.node, item.text if isinstance(item, LogLine) else item.error)

`tail` asks one node for its last lines. `logs` asks several at once and yields their
lines node by node, and a `LogFailure` for each node that could not answer (the others
go on); with `follow` it then yields each new line as its `log.line` event arrives, across
board reboots (the bus renews the subscription).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from ..bus import BusError, Event, NoSuchService, Peer
from ..bus.sync import SyncBus, SyncSubscription
from .errors import NoLogService
from .nodes import FIND_TIMEOUT, find_nodes
from .options import BusOptions

TOPIC = "log.line"
TAIL_TIMEOUT = 3.0
_TICK = 0.25


@dataclass(frozen=True)
class LogLine:
    """One line of a board's log: `seq` counts lines since its boot, `ms` is its uptime."""

    node: str
    seq: int
    ms: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LogFailure:
    """A node whose log could not be read: not on the bus, no log service, no answer."""

    node: str
    error: str
    error_type: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _line(node: str, value: Any) -> LogLine | None:
    if not isinstance(value, list | tuple) or len(value) != 3:
        return None
    seq, ms, text = value
    if not isinstance(seq, int) or not isinstance(ms, int):
        return None
    return LogLine(node, seq, ms, str(text))


def tail(bus: SyncBus, peer: Peer, lines: int = 20, timeout: float = TAIL_TIMEOUT) -> list[LogLine]:
    """The node's last `lines` log lines, oldest first; NoLogService if it keeps none."""
    try:
        answer = bus.call(peer.id, "log.tail", lines, timeout=timeout)
    except NoSuchService:
        raise NoLogService(
            f'{peer.label} runs no log service: add "hm.services.log" to the services list '
            "of its /hm.json (and log with hm.services.log.log)"
        ) from None
    found = [_line(peer.label, v) for v in answer] if isinstance(answer, list) else []
    return [line for line in found if line is not None]


def logs(
    bus: SyncBus,
    nodes: Sequence[str],
    *,
    lines: int = 20,
    follow: bool = False,
    duration: float | None = None,
    find_timeout: float = FIND_TIMEOUT,
    options: BusOptions | None = None,
) -> Iterator[LogLine | LogFailure]:
    """The last `lines` lines of each node, node by node, then with `follow` the new
    lines of all of them as they come, until `duration` seconds (None: until closed)."""
    found = find_nodes(bus, list(nodes), find_timeout, options)
    peers = [p for p in found if isinstance(p, Peer)]
    for ref, result in zip(nodes, found, strict=True):
        if not isinstance(result, Peer):
            yield LogFailure(ref, str(result), type(result).__name__)
    # Subscribed before the tails are asked for: a node handles the two requests in
    # order, so no line falls between its tail and its first event.
    sub = bus.events(TOPIC) if follow and peers else None
    try:
        shown: dict[int, tuple[int, int]] = {}
        want = max(lines, 1) if follow else lines
        for peer, got in zip(peers, _tails(bus, peers, want), strict=True):
            if isinstance(got, BusError):
                yield LogFailure(peer.label, str(got), type(got).__name__)
                continue
            if got:
                shown[peer.id] = (got[-1].seq, got[-1].ms)
            yield from got[-lines:] if lines > 0 else []
        if sub is not None:
            yield from _follow(sub, {p.id for p in peers}, shown, duration)
    finally:
        if sub is not None:
            with contextlib.suppress(BusError):
                sub.cancel()


def _tails(bus: SyncBus, peers: list[Peer], lines: int) -> list[list[LogLine] | BusError]:
    def one(peer: Peer) -> list[LogLine] | BusError:
        try:
            return tail(bus, peer, lines) if lines > 0 else []
        except BusError as exc:
            return exc

    if len(peers) <= 1:
        return [one(p) for p in peers]
    with ThreadPoolExecutor(min(16, len(peers)), thread_name_prefix="harmonia-logs") as pool:
        return list(pool.map(one, peers))


def _follow(
    sub: SyncSubscription,
    ids: set[int],
    shown: dict[int, tuple[int, int]],
    duration: float | None,
) -> Iterator[LogLine]:
    """New lines only: an event for a line the tail showed (no later in both its count
    and its uptime) is skipped, until the node's first newer line."""
    deadline = None if duration is None else time.monotonic() + duration
    while True:
        wait = _TICK if deadline is None else min(_TICK, deadline - time.monotonic())
        if wait <= 0:
            return
        try:
            event: Event = sub.get(timeout=wait)
        except TimeoutError:
            continue
        line = _line(event.node, event.value) if event.source in ids else None
        if line is None:
            continue
        mark = shown.get(event.source)
        if mark is not None and line.seq <= mark[0] and line.ms <= mark[1]:
            continue
        shown.pop(event.source, None)
        yield line
