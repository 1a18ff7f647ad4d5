"""The host's built-in services `sys` and `bus` (docs/protocol.md 8.6).

Boards call these like any other node's: `sys.info()` to learn who the host is,
`bus.subscribe(topic)` to receive the host's events.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import BusError
from .server import current_call

if TYPE_CHECKING:
    from .node import BusNode


class SysService:
    """`sys`: who this node is and what it offers. The host has no `reboot`."""

    def __init__(self, node: BusNode) -> None:
        self._node = node
        self._started = time.monotonic()

    def info(self) -> dict[str, Any]:
        """Name, board, version, uptime and services (`free_heap` is None on a host)."""
        node = self._node
        return {
            "name": node.name,
            "id": node.id,
            "board": node.board,
            "version": node.version,
            "uptime_ms": int((time.monotonic() - self._started) * 1000),
            "free_heap": None,
            "services": [s.name for s in node.registry.all()],
        }

    def services(self) -> list[list[Any]]:
        """Every service as `[name, version, [methods], [events]]`."""
        return self._node.registry.describe()


class BusService:
    """`bus`: peers, counters and event subscriptions."""

    def __init__(self, node: BusNode) -> None:
        self._node = node

    def peers(self) -> list[dict[str, Any]]:
        """The peer table as maps (id, name, board, link, last seen ms, state)."""
        now = self._node.now()
        return [
            {
                "id": p.id,
                "name": p.name,
                "board": p.board,
                "link": p.link,
                "last_seen_ms": int((now - p.last_seen) * 1000),
                "state": "up",
            }
            for p in self._node.peer_table.all()
        ]

    def stats(self) -> dict[str, Any]:
        """Frames in/out, drops by reason, queue depths."""
        return self._node.stats()

    def subscribe(self, topic: str) -> bool:
        """Send `topic` events to the caller until it unsubscribes, reboots or is lost."""
        call = current_call()
        if call is None:
            raise BusError("bus.subscribe is called over the bus, not locally")
        direct = call.hops == 0 and call.route.link.datagram
        self._node.publisher.subscribe(str(topic), call.src, call.route, self._node.now(), direct)
        return True

    def unsubscribe(self, topic: str) -> bool:
        """Stop sending `topic` events to the caller."""
        call = current_call()
        if call is not None:
            self._node.publisher.unsubscribe(str(topic), call.src)
        return True
