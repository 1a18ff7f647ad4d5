"""Beacons, probes, link hellos and peer expiry (docs/protocol.md 8.3 and 8.7).

At start the node sends a probe (every receiver answers with its own beacon
after 0-50 ms), then a beacon every second and at once when its services
change; a serial link gets a hello when it comes up and every second after.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..codec import BEACON, BROADCAST, LINK_LOCAL, Frame
from .link import Link, Route
from .peers import BeaconInfo, PeerTable
from .router import Router

BEACON_INTERVAL = 1.0
SWEEP_INTERVAL = 0.1
PROBE_JITTER = 0.05


@dataclass
class NodeInfo:
    """What this node says about itself in beacons."""

    name: str
    board: str
    version: str
    group: str
    nonce: int
    port: int | None


def parse_beacon(payload: Any) -> BeaconInfo | None:
    """The beacon map's fields, tolerating missing or mistyped ones; None if not a map."""
    if not isinstance(payload, dict):
        return None

    def text(key: str) -> str:
        value = payload.get(key)
        return value if isinstance(value, str) else ""

    def number(key: str) -> int | None:
        value = payload.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def numbers(key: str) -> tuple[int | None, ...]:
        value = payload.get(key)
        if not isinstance(value, list):
            return ()
        return tuple(v if isinstance(v, int) and not isinstance(v, bool) else None for v in value)

    reach = payload.get("r")
    ok = isinstance(reach, list) and all(isinstance(r, int) for r in reach)
    reaches = tuple(r for r in reach if isinstance(r, int)) if isinstance(reach, list) else ()
    # "rd" / "ro" line up with "r" only when every entry of "r" was a node id
    digests = numbers("rd") if ok else ()
    nonces = numbers("ro") if ok else ()
    return BeaconInfo(
        name=text("n"),
        board=text("b"),
        version=text("v"),
        group=text("g"),
        digest=number("d"),
        nonce=number("o"),
        port=number("p"),
        probe=payload.get("q") is True,
        reaches=reaches,
        reach_digests=digests,
        reach_nonces=nonces,
    )


class Discovery:
    """Announces this node and keeps the peer table current."""

    def __init__(
        self,
        router: Router,
        peers: PeerTable,
        info: NodeInfo,
        digest: Callable[[], int],
        reaches: Callable[[], list[int]],
        interval: float = BEACON_INTERVAL,
    ) -> None:
        self.router = router
        self.peers = peers
        self.info = info
        self.digest = digest
        self.reaches = reaches
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._asked: dict[int, float] = {}
        self.on_sweep: list[Callable[[float], Any]] = []

    def beacon_map(self, probe: bool = False) -> dict[str, Any]:
        """This node's beacon payload."""
        info = self.info
        beacon: dict[str, Any] = {
            "n": info.name, "b": info.board, "v": info.version, "g": info.group,
            "d": self.digest(), "o": info.nonce,
        }
        if info.port is not None:
            beacon["p"] = info.port
        if probe:
            beacon["q"] = True
        reaches = self.reaches()
        if reaches:  # with their digests and nonces, so their changes reach every node (8.7)
            beacon["r"] = reaches
            known = [self.peers.get(i) for i in reaches]
            beacon["rd"] = [p.digest if p is not None else None for p in known]
            beacon["ro"] = [p.nonce if p is not None else None for p in known]
        return beacon

    def start(self) -> None:
        """Probe now, then beacon and sweep in the background."""
        self.announce(probe=True)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop beaconing."""
        tasks = [t for t in [self._task, *self._tasks] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    def announce(self, probe: bool = False, links: list[Link] | None = None) -> None:
        """Beacon on every link (multicast on UDP, link hello on serial) right now."""
        header = self.router.header(BEACON, LINK_LOCAL)
        self.router.broadcast(header, self.beacon_map(probe), links)

    def on_link_state(self, link: Link, up: bool) -> None:
        """A link came up: say hello at once. Went down: its peers are gone."""
        if up:
            self.announce(probe=True, links=[link])
        else:
            self.peers.link_down(link)

    def stranger(self, src: int, route: Route) -> None:
        """A frame from a node not in the table: probe it directly (at most once a second)."""
        now = asyncio.get_running_loop().time()
        if now - self._asked.get(src, -1e9) < self.interval:
            return
        self._asked[src] = now
        if len(self._asked) > 256:
            self._asked = {k: t for k, t in self._asked.items() if now - t < self.interval}
        dst = BROADCAST if route.link.datagram else LINK_LOCAL
        self.router.send_to(self.router.header(BEACON, dst), self.beacon_map(probe=True), route)

    def on_beacon(self, frame: Frame, route: Route) -> None:
        """Record a peer's beacon; answer a probe or a new serial neighbour."""
        info = parse_beacon(frame.payload)
        if info is None:
            self.router.stats.drop("beacon")
            return
        src = frame.header.src
        known = src in self.peers
        if route.link.datagram and info.port is not None and frame.header.hops == 0:
            route = Route(route.link, (route.addr[0], info.port))
        self.peers.beacon(src, info, route, asyncio.get_running_loop().time())
        if info.probe or (not known and not route.link.datagram):
            self._reply_later(route)

    def _reply_later(self, route: Route) -> None:
        delay = random.uniform(0, PROBE_JITTER) if route.link.datagram else 0.0
        task = asyncio.get_running_loop().create_task(self._reply(route, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, route: Route, delay: float) -> None:
        await asyncio.sleep(delay)
        if not route.link.up:
            return
        dst = BROADCAST if route.link.datagram else LINK_LOCAL
        header = self.router.header(BEACON, dst)
        self.router.send_to(header, self.beacon_map(), route)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_beacon = loop.time() + self.interval
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = loop.time()
            self.peers.expire(now)
            for listener in self.on_sweep:
                listener(now)
            if now >= next_beacon:
                self.announce()
                next_beacon = now + self.interval
