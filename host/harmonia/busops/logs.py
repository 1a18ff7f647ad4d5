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
from dataclasses import asdict, dataclass
from typing import Any

from ..bus import BusError, Event, NoSuchService, Peer
from ..bus.sync import SyncBus, SyncSubscription
from ..parallel import Outcome, Progress, run_parallel
from ..targets import Target
from .errors import NoLogService
from .nodes import FIND_TIMEOUT, find_nodes, node_address
from .options import BusOptions

TOPIC = "log.line"
TAIL_TIMEOUT = 3.0
RING_ASK = 256  # more than any ring holds: the node answers with what it has
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


def tail(
    bus: SyncBus, peer: Peer, lines: int = 20, *, after: int = 0, timeout: float = TAIL_TIMEOUT
) -> list[LogLine]:
    """The node's last `lines` log lines (only those after seq `after`), oldest first,
    read a frame's worth at a time; NoLogService if the node keeps none."""
    found: list[LogLine] = []
    before = 0
    while len(found) < lines:
        page = _page(bus, peer, lines - len(found), before, timeout)
        if not page:
            break
        found[:0] = page
        before = page[0].seq
        if before <= after + 1:
            break
    return [line for line in found if line.seq > after]


def _page(bus: SyncBus, peer: Peer, lines: int, before: int, timeout: float) -> list[LogLine]:
    try:
        answer = bus.call(peer.id, "log.tail", lines, before, timeout=timeout)
    except NoSuchService:
        raise NoLogService(
            f'{peer.label} runs no log service: remove "log_lines": 0 from its /hm.json (older '
            'firmware: add "hm.services.log" to its services)'
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
    peers = list({p.id: p for p in found if isinstance(p, Peer)}.values())
    for ref, result in zip(nodes, found, strict=True):
        if not isinstance(result, Peer):
            yield LogFailure(ref, str(result), type(result).__name__)
    # Subscribed before the tails are asked for: a node handles the two requests in
    # order, so no line falls between its tail and its first event.
    sub = bus.events(TOPIC) if follow and peers else None
    try:
        marks: dict[int, _Mark] = {}
        want = max(lines, 1) if follow else lines
        for peer, outcome in zip(peers, _tails(bus, peers, want), strict=True):
            got = outcome.value
            if got is None:
                yield LogFailure(peer.label, outcome.error or "", outcome.error_type or "")
                continue
            marks[peer.id] = _Mark(peer, got[-1].seq if got else 0, peer.nonce)
            yield from got[-lines:] if lines > 0 else []
        if sub is not None:
            yield from _follow(bus, sub, marks, duration)
    finally:
        if sub is not None:
            with contextlib.suppress(BusError):
                sub.cancel()


def _tails(bus: SyncBus, peers: list[Peer], lines: int) -> list[Outcome[list[LogLine]]]:
    """Every node's tail at once; one node's failure leaves the others alone."""
    targets = [Target(name=p.label, kind="node", address=node_address(p)) for p in peers]
    by_target = dict(zip(targets, peers, strict=True))

    def one(target: Target, progress: Progress) -> list[LogLine]:
        return tail(bus, by_target[target], lines) if lines > 0 else []

    return run_parallel(targets, one)


@dataclass
class _Mark:
    """The last line shown of a node, and the boot it came from."""

    peer: Peer
    seq: int
    nonce: int | None


def _follow(
    bus: SyncBus, sub: SyncSubscription, marks: dict[int, _Mark], duration: float | None
) -> Iterator[LogLine]:
    """Each new line once, in order. A line already shown (the tail and the first events
    overlap) is skipped; lines missed (logged while the node rebooted, before it took the
    subscription again) are read back from its ring before the line that reveals them."""
    deadline = None if duration is None else time.monotonic() + duration
    while True:
        wait = _TICK if deadline is None else min(_TICK, deadline - time.monotonic())
        if wait <= 0:
            return
        try:
            event: Event = sub.get(timeout=wait)
        except TimeoutError:
            continue
        mark = marks.get(event.source)
        line = _line(event.node, event.value) if mark is not None else None
        if mark is None or line is None:
            continue
        if line.seq <= mark.seq:
            nonce = next((p.nonce for p in bus.peers() if p.id == event.source), mark.nonce)
            if nonce == mark.nonce:
                continue  # shown already
            mark.seq, mark.nonce = 0, nonce  # a new boot: its count starts again
        if line.seq > mark.seq + 1:
            yield from _missed(bus, mark, line.seq)
        mark.seq = line.seq
        yield line


def _missed(bus: SyncBus, mark: _Mark, before: int) -> list[LogLine]:
    """The lines after `mark` and before `before` that the node's ring still holds."""
    try:
        found = tail(bus, mark.peer, RING_ASK, after=mark.seq)
    except BusError:
        return []
    return [x for x in found if x.seq < before]
