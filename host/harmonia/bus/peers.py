"""The peer table: who is on the bus, how to reach them, when they join, reboot, leave.

Fed by beacons (docs/protocol.md 8.3) and by any authenticated traffic; a peer
silent for `lost_after` seconds is lost. Listeners hear `join`, `reboot`, `change`
and `leave` in the event loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .link import Route

LOST_AFTER = 2.5


@dataclass
class Peer:
    """One node on the bus as this node sees it. Copies handed to users are snapshots."""

    id: int
    name: str = ""
    board: str = ""
    version: str = ""
    group: str = ""
    digest: int = 0
    nonce: int | None = None
    port: int | None = None
    route: Route | None = field(default=None, repr=False)
    via: int | None = None
    """The bridge's node id when this peer is reached through one."""
    reaches: tuple[int, ...] = ()
    """Node ids this peer bridges to (its beacons' `"r"`)."""
    last_seen: float = 0.0
    joined: float = 0.0

    @property
    def link(self) -> str:
        """The kind of link that reaches the peer: `udp`, `serial` or `bridge`."""
        if self.via is not None:
            return "bridge"
        return self.route.link.kind if self.route is not None else "none"

    @property
    def label(self) -> str:
        """The name when known, else the id in hex, for messages."""
        return self.name or f"{self.id:08x}"

    def snapshot(self) -> Peer:
        """A copy safe to hand to another thread."""
        return dataclasses.replace(self)


@dataclass(frozen=True, slots=True)
class BeaconInfo:
    """The fields of a beacon map (protocol 8.3) that the table keeps."""

    name: str = ""
    board: str = ""
    version: str = ""
    group: str = ""
    digest: int | None = None
    nonce: int | None = None
    port: int | None = None
    probe: bool = False
    reaches: tuple[int, ...] = ()
    reach_digests: tuple[int | None, ...] = ()
    """With `reaches`: each node's services digest as the bridge last heard it (`"rd"`)."""
    reach_nonces: tuple[int | None, ...] = ()
    """With `reaches`: each node's boot nonce as the bridge last heard it (`"ro"`)."""


PeerListener = Callable[[Peer], Any]


class PeerTable:
    """Peers by node id, with join/reboot/leave listeners and waiters."""

    def __init__(self, self_id: int, lost_after: float = LOST_AFTER) -> None:
        self.self_id = self_id
        self.lost_after = lost_after
        self._peers: dict[int, Peer] = {}
        self.on_join: list[PeerListener] = []
        self.on_reboot: list[PeerListener] = []
        self.on_change: list[PeerListener] = []
        """A peer's services digest changed (its own beacon or its bridge's `"rd"`), or a
        bridge's `"ro"` shows a bridged peer's new boot nonce: subscribe there again (8.5)."""
        self.on_leave: list[PeerListener] = []
        self._bridged: dict[int, tuple[int | None, int | None]] = {}
        """Bridged peers' (digest, boot nonce) as their bridge last reported them."""
        self._changed = asyncio.Event()

    def __contains__(self, node_id: int) -> bool:
        return node_id in self._peers

    def __len__(self) -> int:
        return len(self._peers)

    def get(self, node_id: int) -> Peer | None:
        """The live peer record, or None."""
        return self._peers.get(node_id)

    def all(self) -> list[Peer]:
        """Live peer records, in the order they joined."""
        return list(self._peers.values())

    def by_name(self, name: str) -> list[Peer]:
        """Peers with this node name, most recently seen first."""
        found = [p for p in self._peers.values() if p.name == name]
        return sorted(found, key=lambda p: -p.last_seen)

    def beacon(self, src: int, info: BeaconInfo, route: Route, now: float) -> Peer:
        """Record a beacon (or link hello) from `src` arriving over `route`."""
        peer = self._peers.get(src)
        fresh = peer is None
        if peer is None:
            peer = self._peers[src] = Peer(src, joined=now)
        rebooted = (
            not fresh
            and info.nonce is not None
            and peer.nonce is not None
            and info.nonce != peer.nonce
        )
        changed = (
            not fresh
            and not rebooted
            and info.digest is not None
            and info.digest != peer.digest
        )
        peer.name, peer.board, peer.version = info.name, info.board, info.version
        peer.group, peer.port = info.group, info.port
        if info.digest is not None:
            peer.digest = info.digest
        if info.nonce is not None:
            peer.nonce = info.nonce
        peer.route, peer.via, peer.last_seen = route, None, now
        self._bridged.pop(src, None)
        self._update_reach(peer, info, now)
        if fresh:
            self._emit(self.on_join, peer)
        elif rebooted:
            self._emit(self.on_reboot, peer)
        elif changed:
            self._emit(self.on_change, peer)
        return peer

    def nonce_changed(self, src: int, nonce: int) -> None:
        """An authenticated frame showed a new boot nonce before a beacon did."""
        peer = self._peers.get(src)
        if peer is not None and peer.nonce is not None and peer.nonce != nonce:
            peer.nonce = nonce
            self._emit(self.on_reboot, peer)

    def heard(self, src: int, now: float) -> None:
        """Any accepted frame keeps a known peer alive (bridged ones live by their bridge)."""
        peer = self._peers.get(src)
        if peer is not None:
            peer.last_seen = now

    def expire(self, now: float) -> list[Peer]:
        """Remove and return the peers silent for longer than `lost_after`."""
        lost = [p for p in self._peers.values() if now - p.last_seen > self.lost_after]
        for peer in lost:
            self.remove(peer.id)
        return lost

    def link_down(self, link: object) -> list[Peer]:
        """Remove the peers reached only through a link that went down."""
        gone = [
            p
            for p in self._peers.values()
            if p.route is not None and p.route.link is link and p.via is None
        ]
        for peer in gone:
            self.remove(peer.id)
        return gone

    def remove(self, node_id: int) -> None:
        """Forget a peer (and the nodes it bridged), raising `leave` for each."""
        peer = self._peers.pop(node_id, None)
        self._bridged.pop(node_id, None)
        if peer is None:
            return
        for other in [p for p in self._peers.values() if p.via == node_id]:
            self.remove(other.id)
        self._emit(self.on_leave, peer)

    def describe(self, node_id: int, info: dict[str, Any]) -> None:
        """Fill a bridged peer's name and board from its `sys.info()` map."""
        peer = self._peers.get(node_id)
        if peer is None:
            return
        for key in ("name", "board", "version"):
            value = info.get(key)
            if isinstance(value, str) and value:
                setattr(peer, key, value)
        self._changed.set()

    async def wait_changed(self, timeout: float) -> None:
        """Return at the next join or leave, or after `timeout` seconds."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _update_reach(self, bridge: Peer, info: BeaconInfo, now: float) -> None:
        old = set(bridge.reaches)
        count = len(info.reaches)
        digests = info.reach_digests if len(info.reach_digests) == count else (None,) * count
        nonces = info.reach_nonces if len(info.reach_nonces) == count else (None,) * count
        listed = [
            (node_id, digests[k], nonces[k])
            for k, node_id in enumerate(info.reaches)
            if node_id not in (self.self_id, bridge.id)
        ]
        bridge.reaches = tuple(node_id for node_id, _, _ in listed)
        changed: list[Peer] = []
        for node_id, digest, nonce in listed:
            known = self._peers.get(node_id)
            if known is not None and known.via is None:
                continue  # reachable directly; prefer that
            if known is None:
                known = self._peers[node_id] = Peer(node_id, via=bridge.id, joined=now)
                known.route, known.last_seen = bridge.route, now
                if digest is not None:
                    known.digest = digest
                known.nonce = nonce
                self._bridged[node_id] = (digest, nonce)
                self._emit(self.on_join, known)
                continue
            known.via, known.route, known.last_seen = bridge.id, bridge.route, now
            was_digest, was_nonce = self._bridged.get(node_id, (None, None))
            again = digest is not None and was_digest is not None and digest != was_digest
            # a new nonce on the bridge's word only makes us subscribe again: what the node
            # asked of us is dropped when its own frames show it (on_reboot), never here
            again = again or (nonce is not None and was_nonce is not None and nonce != was_nonce)
            if digest is not None:
                known.digest = digest
            if known.nonce is None:
                known.nonce = nonce
            self._bridged[node_id] = (
                digest if digest is not None else was_digest,
                nonce if nonce is not None else was_nonce,
            )
            if again:
                changed.append(known)
        for node_id in old - set(bridge.reaches):
            known = self._peers.get(node_id)
            if known is not None and known.via == bridge.id:
                self.remove(node_id)
        for known in changed:
            if self._peers.get(known.id) is known:
                self._emit(self.on_change, known)

    def _emit(self, listeners: list[PeerListener], peer: Peer) -> None:
        self._changed.set()
        for listener in listeners:
            listener(peer)
