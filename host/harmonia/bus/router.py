"""Outgoing frames: seal, pick the link and address, count (and bridge forwarding).

Every layer above sends through here, so counters and sealing live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..codec import BROADCAST, LINK_LOCAL, MAX_FRAME, MAX_HOPS, Header, set_hops
from .link import Link, Route
from .peers import PeerTable
from .security import Security


@dataclass
class Stats:
    """Frame counters, shaped like `bus.stats()` (protocol 8.6)."""

    frames_in: int = 0
    frames_out: int = 0
    forwarded: int = 0
    drops: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        """Count one dropped frame under `reason` (`auth`, `replay`, `codec`, ...)."""
        self.drops[reason] = self.drops.get(reason, 0) + 1


class Router:
    """Seals and sends frames for one node over its links."""

    def __init__(self, node_id: int, security: Security, peers: PeerTable) -> None:
        self.node_id = node_id
        self.security = security
        self.peers = peers
        self.links: list[Link] = []
        self.stats = Stats()
        self._seq = 0

    def next_seq(self) -> int:
        """The next 16-bit sequence number of this node."""
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def header(
        self, mtype: int, dst: int, svc: int = 0, mth: int = 0, seq: int | None = None,
        flags: int = 0,
    ) -> Header:
        """A header from this node; a fresh `seq` unless one is given."""
        return Header(mtype, flags, self.next_seq() if seq is None else seq, self.node_id, dst,
                      svc, mth)

    def route_to(self, node_id: int) -> Route | None:
        """The route to a known peer, or None."""
        peer = self.peers.get(node_id)
        return peer.route if peer is not None else None

    def seal(self, header: Header, payload: Any = None, keyed: bool | None = None) -> bytes:
        """Frame bytes ready for any link (raises the codec's errors for bad payloads)."""
        return self.security.seal(header, payload, keyed)

    def send(self, frame: bytes, route: Route) -> bool:
        """Send sealed bytes along `route`; False when the link refused them."""
        if route.link.send(frame, route.addr):
            self.stats.frames_out += 1
            return True
        self.stats.drop("link")
        return False

    def send_to(
        self, header: Header, payload: Any, route: Route, keyed: bool | None = None
    ) -> bool:
        """Seal and send one frame."""
        return self.send(self.seal(header, payload, keyed), route)

    def broadcast(self, header: Header, payload: Any, links: list[Link] | None = None) -> None:
        """The frame out of every link that is up (or of `links`): beacons and link hellos.

        `dst` becomes the broadcast id on datagram links and link-local on serial ones.
        """
        for link in self.links if links is None else links:
            if not link.up:
                continue
            dst = BROADCAST if link.datagram else LINK_LOCAL
            frame = self.seal(Header(header.type, header.flags, header.seq, header.src, dst,
                                     header.svc, header.mth), payload)
            if link.broadcast(frame):
                self.stats.frames_out += 1

    def forward(self, raw: bytes, header: Header, arrived: Link) -> bool:
        """Bridge a frame meant for another node; False when there is no route for it."""
        route = self.route_to(header.dst)
        if route is None or route.link is arrived or header.hops >= MAX_HOPS:
            self.stats.drop("no_route")
            return False
        frame = set_hops(raw, header.hops + 1)
        if len(frame) > MAX_FRAME:
            self.stats.drop("oversize")
            return False
        if self.send(frame, route):
            self.stats.forwarded += 1
        return True
