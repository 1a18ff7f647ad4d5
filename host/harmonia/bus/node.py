"""`BusNode`: the host as a node of the service bus.

>>> # bus = await BusNode.start(name="host", address="127.0.0.1", key=KEY)
>>> # await bus.wait_for_peers(3, timeout=2)
>>> # await bus.call("kitchen", "sys.info")

Incoming frames are checked here (decode, authenticate, replay) and handed to
discovery, the RPC server or caller, or the event subscriber by message type.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from .. import __version__
from ..codec import (
    ACK,
    BEACON,
    BROADCAST,
    ERROR,
    EVENT,
    FLAG_ACK_REQ,
    LINK_LOCAL,
    REQUEST,
    RESPONSE,
    decode_frame,
)
from ..codec.errors import CodecError
from .builtin import BusService, SysService
from .caller import Caller
from .discovery import Discovery, NodeInfo
from .errors import NO_NODE, NOT_AUTHORISED, BusError, DiscoveryTimeout, NoSuchNode
from .events import Callback, Publisher, Subscriber, Subscription
from .identity import boot_nonce, host_id, split_name
from .link import Address, Link, Route
from .peers import LOST_AFTER, Peer, PeerTable
from .registry import Registry
from .router import Router
from .security import Security, Verdict, frame_nonce, parse_key
from .serial_link import DEFAULT_BAUD, SerialLink
from .server import Server
from .udp_link import DEFAULT_GROUP, DEFAULT_PORT, UdpLink

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3.0
NodeRef = str | int | Peer


class BusNode:
    """A CPython bus node: discovers peers, calls and serves services, publishes and subscribes.

    Create it with `await BusNode.start(...)` and end it with `await bus.stop()`
    (or `async with await BusNode.start(...) as bus:`).
    """

    def __init__(
        self,
        name: str = "host",
        *,
        key: bytes | str | None = None,
        node_id: int | None = None,
        board: str = "host",
        group: str = "",
        links: Sequence[Link] = (),
        bridge: bool = False,
        lost_after: float = LOST_AFTER,
        beacon_interval: float = 1.0,
    ) -> None:
        self.name = name
        self.board = board
        self.version = __version__
        self.id = node_id if node_id is not None else host_id(name)
        self.nonce = boot_nonce()
        self.bridge = bridge
        self.security = Security(parse_key(key), self.nonce)
        self.peer_table = PeerTable(self.id, lost_after)
        self.registry = Registry()
        self.router = Router(self.id, self.security, self.peer_table)
        self.router.links.extend(links)
        self.caller = Caller(self.router)
        self.server = Server(self.router, self.registry)
        self.publisher = Publisher(self.router, self.peer_table)
        self.subscriber = Subscriber(self.peer_table, self._call_id)
        udp = next((link for link in links if isinstance(link, UdpLink)), None)
        info = NodeInfo(name, board, self.version, group, self.nonce, udp.port if udp else None)
        self.discovery = Discovery(self.router, self.peer_table, info, self.registry.digest,
                                   self._bridged_ids, beacon_interval)
        self.discovery.on_sweep.append(self.publisher.sweep)
        self.peer_table.on_join.append(self._learn_name)
        self.peer_table.on_reboot.append(self._bridged_changed)
        self.peer_table.on_change.append(self._bridged_changed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._announcing = False
        self.registry.register("sys", SysService(self), version="1.0")
        self.registry.register("bus", BusService(self), version="1.0")
        self.registry.on_change.append(self.discovery.announce)
        self._running = False

    @classmethod
    async def start(
        cls,
        name: str = "host",
        *,
        address: str | None = "0.0.0.0",
        port: int = DEFAULT_PORT,
        key: bytes | str | None = None,
        serial: Iterable[str] = (),
        baudrate: int = DEFAULT_BAUD,
        multicast_group: str = DEFAULT_GROUP,
        **options: Any,
    ) -> BusNode:
        """Join the bus: UDP on `(address, port)` unless `address` is None, plus each serial port.

        `key` is the group's 32-byte key (bytes or 64 hex digits); None runs in open mode.
        Other keyword options go to `BusNode(...)` (node_id, board, group, bridge, ...).
        """
        links: list[Link] = []
        if address is not None:
            links.append(UdpLink(address, port, multicast_group))
        links.extend(SerialLink(path, baudrate) for path in serial)
        node = cls(name, key=key, links=links, **options)
        await node.open()
        return node

    async def open(self) -> None:
        """Open the links and start discovery."""
        if self.security.open_mode:
            log.warning("bus node %s runs in OPEN MODE: frames are neither signed nor checked",
                        self.name)
        opened: list[Link] = []
        try:
            for link in self.router.links:
                await link.start(self._on_frame, self._on_link_state)
                opened.append(link)
        except BaseException:
            for link in opened:
                await link.stop()
            raise
        self._running = True
        self.discovery.start()

    async def stop(self) -> None:
        """Leave the bus: stop beaconing, fail pending calls, close every link."""
        if not self._running:
            return
        self._running = False
        await self.discovery.stop()
        await self.subscriber.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.caller.cancel_all(f"bus node {self.name} stopped")
        await self.server.stop()
        for link in self.router.links:
            await link.stop()

    async def __aenter__(self) -> BusNode:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- peers -------------------------------------------------------------------------------

    @property
    def open_mode(self) -> bool:
        """True when the node has no group key."""
        return self.security.open_mode

    @property
    def links(self) -> list[Link]:
        """The node's links."""
        return list(self.router.links)

    def now(self) -> float:
        """The event loop's clock (seconds)."""
        return asyncio.get_running_loop().time()

    def peers(self) -> list[Peer]:
        """Snapshots of the peers currently on the bus."""
        return [peer.snapshot() for peer in self.peer_table.all()]

    def peer(self, node: NodeRef) -> Peer:
        """The live peer for a name, node id or `Peer`; `NoSuchNode` if it is not on the bus."""
        if isinstance(node, Peer):
            node = node.id
        if isinstance(node, int):
            found = self.peer_table.get(node)
            if found is not None:
                return found
            label = f"{node:08x}"
        else:
            named = self.peer_table.by_name(node)
            if named:
                return named[0]
            label = node
        known = ", ".join(sorted(p.label for p in self.peer_table.all())) or "none yet"
        raise NoSuchNode(
            f"no node {label!r} on the bus (known: {known}); check its name, key and port, "
            "or wait for it with wait_for_peers", label,
        )

    async def wait_for_peers(
        self, count: int = 1, timeout: float = 5.0, names: Iterable[str] = ()
    ) -> list[Peer]:
        """Wait until at least `count` peers (and every name in `names`) are on the bus."""
        wanted = set(names)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            peers = self.peer_table.all()
            present = {p.name for p in peers}
            if len(peers) >= count and wanted <= present:
                return [p.snapshot() for p in peers]
            left = deadline - loop.time()
            if left <= 0:
                missing = ", ".join(sorted(wanted - present)) or "-"
                raise DiscoveryTimeout(
                    f"{len(peers)} of {count} peers after {timeout:g} s (missing names: "
                    f"{missing}); check the nodes run with the same port and key"
                )
            await self.peer_table.wait_changed(left)

    # -- calls -------------------------------------------------------------------------------

    async def call(self, node: NodeRef, method: str, *args: Any,
                   timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Call `"service.method"` on `node` (name, id or Peer) with positional `args`."""
        service, member = split_name(method)
        return await self.caller.call(self.peer(node), service, member, args, timeout)

    async def _call_id(self, node_id: int, service: str, method: str, args: tuple[Any, ...],
                       timeout: float) -> Any:
        return await self.caller.call(self.peer(node_id), service, method, args, timeout)

    def register(self, name: str, obj: object, version: str = "1.0",
                 methods: Iterable[str] | None = None, events: Iterable[str] = ()) -> None:
        """Offer `obj`'s public methods as service `name` (async methods allowed)."""
        self.registry.register(name, obj, version, methods, events)

    def unregister(self, name: str) -> None:
        """Withdraw a service."""
        self.registry.unregister(name)

    # -- events ------------------------------------------------------------------------------

    def subscribe(self, topic: str, callback: Callback, node: NodeRef | None = None
                  ) -> Subscription:
        """Call `callback(event)` for each `topic` event from `node`, or from every peer."""
        return self.subscriber.add(topic, callback, self._node_id(node))

    def events(self, topic: str, node: NodeRef | None = None) -> Subscription:
        """An async iterator of `topic` events (`async for event in bus.events(...)`)."""
        return self.subscriber.add(topic, None, self._node_id(node))

    def publish(self, topic: str, value: Any = None) -> int:
        """Send a `service.event` topic's value to its subscribers; how many were sent."""
        return self.publisher.publish(topic, value)

    def _node_id(self, node: NodeRef | None) -> int | None:
        if node is None or isinstance(node, int):
            return node
        return self.peer(node).id

    # -- counters ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Frames in/out, drops by reason (`auth`, `replay`, ...), queues, links."""
        stats = self.router.stats
        return {
            "frames_in": stats.frames_in,
            "frames_out": stats.frames_out,
            "forwarded": stats.forwarded,
            "drops": dict(stats.drops),
            "queues": {"calls": self.caller.outstanding, "serving": self.server.running},
            "retransmits": self.caller.retransmits,
            "executed": self.server.executed,
            "reply_cache_hits": self.server.cache_hits,
            "links": {link.name: {"up": link.up, "drops": dict(link.dropped)}
                      for link in self.router.links},
        }

    # -- incoming frames ---------------------------------------------------------------------

    def _on_link_state(self, link: Link, up: bool) -> None:
        if self._running:
            self.discovery.on_link_state(link, up)

    def _on_frame(self, link: Link, raw: bytes, addr: Address) -> None:
        stats = self.router.stats
        stats.frames_in += 1
        try:
            frame = decode_frame(raw)
        except CodecError:
            stats.drop("codec")
            return
        header = frame.header
        if header.src == self.id:
            return  # our own multicast, looped back
        route = Route(link, addr)
        if header.dst not in (self.id, BROADCAST, LINK_LOCAL):
            if not self.bridge or not self.router.forward(raw, header, link):
                self._no_route(frame, raw, route)
            return
        verdict = self.security.check(frame, raw)
        if verdict is Verdict.AUTH:
            stats.drop("auth")
            if header.type == REQUEST and frame.auth is None and not self.open_mode:
                self._refuse_unkeyed(frame, route)
            return
        if verdict is Verdict.REPLAY:
            stats.drop("replay")
            return
        nonce = frame_nonce(frame)
        if nonce is not None and verdict is Verdict.NEW_NONCE:
            self.peer_table.nonce_changed(header.src, nonce)
        if header.src in self.peer_table:
            self.peer_table.heard(header.src, self.now())
        elif header.type != BEACON and header.hops == 0 and link.datagram:
            self.discovery.stranger(header.src, route)
        if header.flags & FLAG_ACK_REQ and header.type != ACK:
            ack = self.router.header(ACK, header.src, header.svc, header.mth, seq=header.seq)
            self.router.send_to(ack, None, route)
        self._dispatch(frame, route, nonce)

    def _dispatch(self, frame: Any, route: Route, nonce: int | None) -> None:
        mtype = frame.header.type
        if mtype == REQUEST:
            if nonce is None:
                peer = self.peer_table.get(frame.header.src)
                nonce = peer.nonce if peer is not None and peer.nonce is not None else 0
            self.server.on_request(frame, nonce, route)
        elif mtype in (RESPONSE, ERROR):
            if not self.caller.on_answer(frame):
                self.router.stats.drop("late")
        elif mtype == EVENT:
            if not self.subscriber.on_event(frame):
                self.router.stats.drop("unsubscribed")
        elif mtype == BEACON:
            self.discovery.on_beacon(frame, route)

    def _no_route(self, frame: Any, raw: bytes, route: Route) -> None:
        self.router.stats.drop("not_mine")
        header = frame.header
        if not self.bridge or header.type != REQUEST:
            return
        if self.security.check(frame, raw) in (Verdict.OK, Verdict.NEW_NONCE):
            reply = self.router.header(ERROR, header.src, header.svc, header.mth, seq=header.seq)
            text = f"no route to {header.dst:08x}"
            self.router.send_to(reply, [NO_NODE, "NoSuchNode", text], route)

    def _refuse_unkeyed(self, frame: Any, route: Route) -> None:
        header = frame.header
        reply = self.router.header(ERROR, header.src, header.svc, header.mth, seq=header.seq)
        text = f"{self.name} needs authenticated frames: start the caller with the group key"
        self.router.send_to(reply, [NOT_AUTHORISED, "NotAuthorised", text], route, keyed=False)

    def _learn_name(self, peer: Peer) -> None:
        """A node known only from a bridge's `"r"` list: ask it who it is."""
        if peer.name or peer.via is None or not self._running:
            return
        task = asyncio.get_running_loop().create_task(self._ask_info(peer.id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask_info(self, node_id: int) -> None:
        try:
            info = await self._call_id(node_id, "sys", "info", (), DEFAULT_TIMEOUT)
        except BusError as exc:
            log.info("bridged node %08x did not say who it is: %s", node_id, exc)
            return
        if isinstance(info, dict):
            self.peer_table.describe(node_id, info)

    def _bridged_changed(self, peer: Peer) -> None:
        """A node we bridge changed its digest or boot nonce: beacon at once (8.7), so the
        nodes that reach it only through us see it in our `"rd"` / `"ro"`."""
        if not self.bridge or not self._running or self._announcing:
            return
        if peer.id not in self._bridged_ids():
            return
        self._announcing = True
        asyncio.get_running_loop().call_soon(self._announce_bridged)

    def _announce_bridged(self) -> None:
        self._announcing = False
        if self._running:
            self.discovery.announce()

    def _bridged_ids(self) -> list[int]:
        if not self.bridge:
            return []
        return [p.id for p in self.peer_table.all()
                if p.via is None and p.route is not None and not p.route.link.datagram]
