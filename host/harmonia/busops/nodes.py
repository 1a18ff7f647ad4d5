"""Who is on the bus: discovery, node names and ids, and why a node may be missing.

with connect(options) as bus:
    for peer in discover(bus, timeout=1.5):
        print(peer.name, peer.id_hex, peer.address)
    kitchen = find_node(bus, "kitchen")      # or by id: "40c65d0f"
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from ..bus import BusError, Peer
from ..bus.sync import SyncBus
from .errors import AmbiguousNode, NodeNotFound
from .hints import why_empty
from .options import BusOptions

DISCOVER_TIMEOUT = 1.5  # beacons come every second; a probe is answered within 50 ms
FIND_TIMEOUT = 2.5
INFO_TIMEOUT = 2.0
_POLL = 0.025


@dataclass(frozen=True)
class PeerInfo:
    """One node as discovery saw it; `info` is its `sys.info()` when asked for."""

    name: str
    id: int
    board: str
    version: str
    group: str
    link: str  # udp, serial or bridge
    address: str  # host:port, the serial port, or "via NAME"
    info: dict[str, Any] | None = field(default=None)
    error: str | None = None  # why `info` is missing

    @property
    def id_hex(self) -> str:
        return f"{self.id:08x}"

    @property
    def label(self) -> str:
        return self.name or self.id_hex

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["id_hex"] = self.id_hex
        if self.info is None:
            del data["info"]
        if self.error is None:
            del data["error"]
        return data


def node_address(peer: Peer, peers: list[Peer] | None = None) -> str:
    """Where a peer is reached: `host:port`, its serial port, or `via BRIDGE`."""
    if peer.via is not None:
        bridge = next((p for p in peers or () if p.id == peer.via), None)
        return f"via {bridge.label if bridge else f'{peer.via:08x}'}"
    if peer.route is None:
        return "-"
    if isinstance(peer.route.addr, tuple):
        return f"{peer.route.addr[0]}:{peer.route.addr[1]}"
    return peer.route.link.name.removeprefix("serial:")


def peer_info(peer: Peer, peers: list[Peer] | None = None) -> PeerInfo:
    """A PeerInfo for a bus `Peer` (`peers`: the table, to name a bridge)."""
    address = node_address(peer, peers)
    return PeerInfo(peer.name, peer.id, peer.board, peer.version, peer.group, peer.link, address)


def discover(
    bus: SyncBus,
    timeout: float = DISCOVER_TIMEOUT,
    *,
    expect: int | None = None,
    info: bool = False,
) -> list[PeerInfo]:
    """The nodes heard within `timeout` seconds (sooner once `expect` are seen), by name.

    With `info`, each node's `sys.info()` (uptime, free heap, services) is asked for too;
    a node that does not answer keeps `info=None` and says why in `error`.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if expect is not None and len([p for p in bus.peers() if p.name]) >= expect:
            break
        time.sleep(_POLL)
    peers = bus.peers()
    found = sorted((peer_info(p, peers) for p in peers), key=lambda p: (p.name, p.id))
    if not info or not found:
        return found
    with ThreadPoolExecutor(min(16, len(found)), thread_name_prefix="harmonia-info") as pool:
        return list(pool.map(lambda p: _with_info(bus, p), found))


def _with_info(bus: SyncBus, peer: PeerInfo) -> PeerInfo:
    try:
        answer = bus.call(peer.id, "sys.info", timeout=INFO_TIMEOUT)
    except BusError as exc:
        return PeerInfo(**{**asdict(peer), "error": str(exc)})
    value = answer if isinstance(answer, dict) else {"info": answer}
    return PeerInfo(**{**asdict(peer), "info": value})


def parse_id(ref: str) -> int | None:
    """A node id from `40c65d0f` or `0x40C65D0F`; None when `ref` is not one."""
    text = ref.lower().removeprefix("0x")
    if not 1 <= len(text) <= 8:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def match(peers: list[Peer], ref: str | int) -> Peer | None:
    """The peer `ref` names: a node name first, else its id; AmbiguousNode for a shared name."""
    if isinstance(ref, int):
        return next((p for p in peers if p.id == ref), None)
    named = [p for p in peers if p.name == ref]
    if len(named) > 1:
        ids = ", ".join(f"{p.id:08x}" for p in named)
        raise AmbiguousNode(
            f"{len(named)} nodes are called {ref!r} ({ids}): name one by its id, or give the "
            "boards distinct names in their /hm.json"
        )
    if named:
        return named[0]
    node_id = parse_id(ref)
    return next((p for p in peers if p.id == node_id), None) if node_id is not None else None


def find_node(
    bus: SyncBus,
    ref: str | int,
    timeout: float = FIND_TIMEOUT,
    options: BusOptions | None = None,
) -> Peer:
    """The peer called `ref` (name or hex id), waiting up to `timeout` s for it to show up.

    NodeNotFound lists the nodes that were seen, and why the bus may look empty.
    """
    deadline = time.monotonic() + timeout
    while True:
        peers = bus.peers()
        found = match(peers, ref)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise not_found(bus, ref, timeout, options)
        time.sleep(_POLL)


def not_found(
    bus: SyncBus, ref: str | int, timeout: float, options: BusOptions | None = None
) -> NodeNotFound:
    """The error for a node that did not show up, naming every node that did."""
    label = ref if isinstance(ref, str) else f"{ref:08x}"
    seen = sorted(f"{p.label} ({p.id:08x})" if p.name else p.label for p in bus.peers())
    where = f" at {options.describe()}" if options else ""
    message = f"no node {label!r} on the bus{where} after {timeout:g} s; "
    if seen:
        message += f"seen: {', '.join(seen)}"
    else:
        message += f"no nodes seen: {why_empty(bus, options)}"
    return NodeNotFound(message, label, seen)


def find_nodes(
    bus: SyncBus,
    refs: list[str],
    timeout: float = FIND_TIMEOUT,
    options: BusOptions | None = None,
) -> list[Peer | NodeNotFound]:
    """Each named node, or its NodeNotFound; waits once for all of them together."""
    deadline = time.monotonic() + timeout
    while True:
        peers = bus.peers()
        found = [match(peers, ref) for ref in refs]
        if all(found) or time.monotonic() >= deadline:
            break
        time.sleep(_POLL)
    return [
        peer if peer is not None else not_found(bus, ref, timeout, options)
        for ref, peer in zip(refs, found, strict=True)
    ]
