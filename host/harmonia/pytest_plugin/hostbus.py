"""The host's bus node in a test: a `SyncBus` whose UDP link records every frame it sends
and receives (the bus trace attached to the test report) and can delay the frames of one
board (the added-latency fault).

    bus.call("dut1", "sys.info")                      # waits for dut1 to be heard first
    with bus.events("fan.speed", node="dut1") as ev:
        bus.call("dut1", "fan.set", 3)
        assert ev.get(timeout=2).value == 3
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from ..bus import DEFAULT_GROUP, BusError, Event, LinkError, Peer
from ..bus.link import Address, FrameHandler, StateHandler
from ..bus.node import BusNode
from ..bus.sync import SyncBus, SyncSubscription
from ..bus.udp_link import UdpLink
from ..busops.nodes import find_node
from ..codec import BEACON, MESSAGE_TYPES, decode_frame, ident
from ..codec.errors import CodecError

TRACE_LINES = 4000
FIND_TIMEOUT = 10.0  # a board that just booted beacons within a second; a slow one, later
SPARE = tuple(f"127.0.1.{i}" for i in range(1, 33))
BUILTIN_NAMES = ("sys.info", "sys.services", "sys.reboot", "bus.peers", "bus.stats",
                 "bus.subscribe", "bus.unsubscribe")


class BusTrace:
    """What the host node sent and received, one line per frame, plus notes from the API.

    Beacons are noted when a node is first heard or changes boot; every other frame is a
    line. Service and method ids are shown by name once the test has used the name.
    """

    def __init__(self, limit: int = TRACE_LINES) -> None:
        self.t0 = time.monotonic()
        self.lines: deque[str] = deque(maxlen=limit)
        self.dropped = 0
        self._names: dict[tuple[int, int], str] = {}
        self._nodes: dict[int, str] = {}
        self._nonces: dict[int, Any] = {}
        self._lock = threading.Lock()
        for name in BUILTIN_NAMES:
            self.learn(name)

    def learn(self, name: str) -> None:
        """Show `service.member` frames by this name."""
        service, _, member = name.partition(".")
        with contextlib.suppress(CodecError):
            self._names[(ident(service), ident(member))] = name

    def name(self, node_id: int, name: str) -> None:
        """Show `node_id` as `name` (nodes heard before the trace began)."""
        if name:
            self._nodes[node_id] = name

    def node(self, node_id: int) -> str:
        return self._nodes.get(node_id, f"{node_id:08x}")

    def note(self, text: str) -> None:
        self._add(f"-- {text}")

    def frame(self, out: bool, raw: bytes, addr: Address) -> None:
        try:
            frame = decode_frame(raw)
        except CodecError as exc:
            self._add(f"{'>>' if out else '<<'} undecodable frame from {addr}: {exc}")
            return
        h = frame.header
        if h.type == BEACON:
            self._beacon(h.src, frame.payload, addr, out)
            return
        kind = MESSAGE_TYPES.get(h.type, str(h.type))
        name = self._names.get((h.svc, h.mth), f"{h.svc:04x}.{h.mth:04x}")
        arrow = f"{self.node(h.src)} > {self.node(h.dst)}"
        payload = repr(frame.payload)
        if len(payload) > 200:
            payload = payload[:200] + "..."
        self._add(f"{'>>' if out else '<<'} {kind:<8} {arrow} {name} #{h.seq} {payload}")

    def _beacon(self, src: int, payload: Any, addr: Address, out: bool) -> None:
        if out or not isinstance(payload, dict):
            return
        name = str(payload.get("n", ""))
        nonce = payload.get("o")
        if src not in self._nodes and name:
            self._nodes[src] = name
        if self._nonces.get(src) != nonce:
            what = "heard" if src not in self._nonces else "rebooted (new boot nonce)"
            self._nonces[src] = nonce
            where = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
            self._add(f"<< BEACON   {name or f'{src:08x}'} {what} at {where}")

    def _add(self, line: str) -> None:
        with self._lock:
            if len(self.lines) == self.lines.maxlen:
                self.dropped += 1
            self.lines.append(f"{time.monotonic() - self.t0:9.3f} {line}")

    def text(self) -> str:
        with self._lock:
            head = f"({self.dropped} earlier lines dropped)\n" if self.dropped else ""
            return head + "\n".join(self.lines)


class TracedUdpLink(UdpLink):
    """The host's UDP link, recording frames and delaying those of chosen addresses."""

    def __init__(self, address: str, port: int, group: str, trace: BusTrace) -> None:
        super().__init__(address, port, group)
        self.trace = trace
        self.delays: dict[str, float] = {}
        self.blocked: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, on_frame: FrameHandler, on_state: StateHandler) -> None:
        self._loop = asyncio.get_running_loop()

        def received(link: Any, raw: bytes, addr: Address) -> None:
            host = addr[0] if isinstance(addr, tuple) else None
            if host in self.blocked:
                return
            self.trace.frame(False, raw, addr)
            delay = self.delays.get(host or "", 0.0)
            if delay > 0 and self._loop is not None:
                self._loop.call_later(delay, on_frame, link, raw, addr)
            else:
                on_frame(link, raw, addr)

        await super().start(received, on_state)

    def send(self, frame: bytes, addr: Address = None) -> bool:
        host = addr[0] if isinstance(addr, tuple) else None
        if host in self.blocked:
            return True  # lost on the way, as on a cut network
        self.trace.frame(True, frame, addr)
        delay = self.delays.get(host or "", 0.0)
        if delay > 0 and self._loop is not None:
            self._loop.call_later(delay, UdpLink.send, self, frame, addr)
            return True
        return UdpLink.send(self, frame, addr)


class Events:
    """Events of one topic as they arrive; `get` the next, or `wait_for` one that fits."""

    def __init__(self, bus: HostBus, topic: str, sub: SyncSubscription) -> None:
        self.bus = bus
        self.topic = topic
        self._sub = sub

    def get(self, timeout: float = 5.0) -> Event:
        """The next event; AssertionError naming the topic after `timeout` seconds."""
        try:
            event = self._sub.get(timeout)
        except TimeoutError:
            raise AssertionError(f"no {self.topic} event within {timeout:g} s") from None
        self.bus.trace.note(f"event {event.topic} from {event.node}: {event.value!r}")
        return event

    def wait_for(self, match: Callable[[Event], bool], timeout: float = 5.0) -> Event:
        """The first event for which `match` is true (others are passed over)."""
        deadline = time.monotonic() + timeout
        seen: list[Any] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no matching {self.topic} event within {timeout:g} s (saw {len(seen)}: "
                    f"{seen[-5:]!r})"
                )
            try:
                event = self.get(left)
            except AssertionError:
                continue
            if match(event):
                return event
            seen.append(event.value)

    def cancel(self) -> None:
        self._sub.cancel()

    def __enter__(self) -> Events:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class HostBus:
    """The host node of one test: calls, events and peers, all recorded in `trace`."""

    def __init__(self, sync: SyncBus, link: TracedUdpLink, trace: BusTrace,
                 key: bytes | None) -> None:
        self.sync = sync
        self.link = link
        self.trace = trace
        self.key = key

    @classmethod
    def open(cls, *, address: str, port: int, key: bytes | None, name: str = "host",
             group: str = DEFAULT_GROUP, spare: Iterable[str] = SPARE) -> HostBus:
        """Join the bus on `(address, port)`, or on a spare loopback address when another
        node holds it (another test process on a fixed port)."""
        trace = BusTrace()
        candidates = [address, *(spare if address == "127.0.0.1" else ())]
        for i, candidate in enumerate(candidates):
            link = TracedUdpLink(candidate, port, group, trace)
            try:
                sync = _open_sync(name, key, link)
            except LinkError:
                if i == len(candidates) - 1:
                    raise
                continue
            trace.note(f"host node {name} on {candidate}:{port}")
            return cls(sync, link, trace, key)
        raise AssertionError("unreachable")

    @property
    def port(self) -> int:
        return self.link.port

    @property
    def address(self) -> str:
        return self.link.address

    def close(self) -> None:
        self.sync.close()

    def peer(self, node: str | int, timeout: float = FIND_TIMEOUT) -> Peer:
        """The peer called `node` (name or id), waiting for it to be heard."""
        return find_node(self.sync, node, timeout)

    def peers(self) -> list[Peer]:
        return self.sync.peers()

    def wait_for(self, names: Iterable[str], timeout: float = FIND_TIMEOUT) -> list[Peer]:
        """Wait until every named node is on the bus."""
        names = tuple(names)
        return self.sync.wait_for_peers(len(names), timeout, names)

    def call(self, node: str | int, method: str, *args: Any, timeout: float = 3.0) -> Any:
        """`service.method` on `node` with `args`; BusError subclasses on failure."""
        self.trace.learn(method)
        peer = self.peer(node)
        started = time.monotonic()
        try:
            result = self.sync.call(peer.id, method, *args, timeout=timeout)
        except BusError as exc:
            self.trace.note(f"call {peer.label}.{method}{_args(args)} failed after "
                            f"{time.monotonic() - started:.3f} s: {type(exc).__name__}: {exc}")
            raise
        self.trace.note(f"call {peer.label}.{method}{_args(args)} -> {result!r:.200} "
                        f"({time.monotonic() - started:.3f} s)")
        return result

    def events(self, topic: str, node: str | int | None = None) -> Events:
        """Subscribe to `topic` (on `node`, or on every node that publishes it)."""
        self.trace.learn(topic)
        self.trace.note(f"subscribe {topic}" + (f" on {node}" if node is not None else ""))
        ref = self.peer(node).id if node is not None else None
        return Events(self, topic, self.sync.events(topic, ref))

    def subscribed(self, topic: str, node: str | int, timeout: float = 5.0) -> None:
        """Wait until `node` has acknowledged this host's subscription to `topic`."""
        peer = self.peer(node)
        deadline = time.monotonic() + timeout
        while topic not in self.sync.node.subscriber.confirmed(peer.id):
            if time.monotonic() > deadline:
                raise AssertionError(f"{peer.label} did not confirm the subscription to "
                                     f"{topic} within {timeout:g} s")
            time.sleep(0.02)

    def publish(self, topic: str, value: Any = None) -> int:
        return self.sync.publish(topic, value)

    def register(self, name: str, obj: object, **options: Any) -> None:
        self.sync.register(name, obj, **options)

    def stats(self) -> dict[str, Any]:
        return self.sync.stats()

    # ---- faults on the host's own path ----------------------------------------------------

    def set_latency(self, address: str, seconds: float) -> None:
        """Delay every frame between the host and `address` by `seconds`, each way."""
        self.link.delays[address] = seconds
        self.trace.note(f"latency {seconds:g} s each way to {address}")

    def set_blocked(self, address: str, blocked: bool) -> None:
        """Lose every frame between the host and `address` (or stop losing them)."""
        (self.link.blocked.add if blocked else self.link.blocked.discard)(address)
        self.trace.note(f"host path to {address} {'cut' if blocked else 'restored'}")


def trace_bus(sync: SyncBus, trace: BusTrace) -> bool:
    """Record the frames of a bus node the plugin did not open (a group's own host node),
    by wrapping its links' send and receive; False when it has no link to wrap."""
    wrapped = False
    trace.name(sync.id, sync.name)
    for peer in sync.peers():
        trace.name(peer.id, peer.name)
    for link in sync.node.links:
        send, deliver = link.send, link._on_frame

        def traced_send(frame: bytes, addr: Address = None, _send: Any = send) -> bool:
            trace.frame(True, frame, addr)
            return bool(_send(frame, addr))

        def traced_deliver(source: Any, raw: bytes, addr: Address, _deliver: Any = deliver
                           ) -> None:
            trace.frame(False, raw, addr)
            _deliver(source, raw, addr)

        link.send = traced_send  # type: ignore[method-assign]
        link._on_frame = traced_deliver
        wrapped = True
    return wrapped


def _args(args: tuple[Any, ...]) -> str:
    text = repr(args) if len(args) != 1 else f"({args[0]!r})"
    return text if len(text) <= 120 else text[:120] + "...)"


def _open_sync(name: str, key: bytes | None, link: TracedUdpLink) -> SyncBus:
    """A SyncBus around a node built with our own link (SyncBus.open builds its own)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"hm-hil-bus-{name}", daemon=True)
    thread.start()
    node = BusNode(name, key=key, links=[link])
    try:
        asyncio.run_coroutine_threadsafe(node.open(), loop).result(10.0)
    except BaseException:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        loop.close()
        raise
    return SyncBus(loop, thread, node)
