"""Events across nodes (docs/protocol.md 8.5): subscribing, receiving, publishing.

A subscriber asks each peer's built-in `bus.subscribe(topic)`; it asks again when
the peer joins again, its boot nonce changes or its services digest changes (seen
in its own beacons, or for a node behind a bridge in the bridge's `"rd"`/`"ro"`),
so subscriptions survive a publisher's reboot, and one refused because the
service was not there yet is made once it is, without the application doing
anything. An answer that crosses such a change does not count: it is asked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..codec import EVENT, Frame
from .errors import BusError, CallTimeout
from .identity import name_ids
from .link import Route
from .peers import Peer, PeerTable
from .router import Router

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 2.0
SUBSCRIBE_TRIES = 3
QUEUE_SIZE = 256
MAX_SUBSCRIBERS = 64


@dataclass(frozen=True, slots=True)
class Event:
    """One event as received: topic, value and the node that published it."""

    topic: str
    value: Any
    source: int
    node: str


Callback = Callable[[Event], Any]
RemoteCall = Callable[[int, str, str, tuple[Any, ...], float], Awaitable[Any]]


class Subscription:
    """A live subscription: a callback, or an async iterator of `Event`s.

    >>> # async for event in bus.events("sensor.temp"): ...
    """

    def __init__(self, owner: Subscriber, topic: str, callback: Callback | None,
                 node: int | None) -> None:
        self.topic = topic
        self.node = node
        self.dropped = 0
        self._owner = owner
        self._callback = callback
        self._queue: asyncio.Queue[Event] | None = None if callback else asyncio.Queue(QUEUE_SIZE)

    def cancel(self) -> None:
        """Stop receiving; the last subscription to a topic unsubscribes from the peers."""
        self._owner.remove(self)

    def deliver(self, event: Event) -> None:
        """Hand one event to the callback or the queue (oldest dropped when full)."""
        if self.node is not None and event.source != self.node:
            return
        if self._callback is not None:
            try:
                result = self._callback(event)
            except Exception:
                log.exception("event callback for %s failed", self.topic)
                return
            if inspect.isawaitable(result):
                self._owner.spawn(_guarded(result, self.topic))
            return
        assert self._queue is not None
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self, timeout: float | None = None) -> Event:
        """The next event (raises `TimeoutError` after `timeout` seconds)."""
        if self._queue is None:
            raise BusError("this subscription delivers to a callback; use bus.events() to iterate")
        return await asyncio.wait_for(self._queue.get(), timeout)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self.get()


async def _guarded(awaitable: Awaitable[Any], topic: str) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("event callback for %s failed", topic)


class Subscriber:
    """This node's subscriptions, kept in place on every peer that comes and goes."""

    def __init__(self, peers: PeerTable, call: RemoteCall) -> None:
        self.peers = peers
        self._call = call
        self._subs: dict[str, list[Subscription]] = {}
        self._topics: dict[tuple[int, int], str] = {}
        self._confirmed: dict[int, set[str]] = {}
        self._epoch: dict[int, int] = {}
        """Per peer, bumped by every join, reboot or change: an answer to a subscribe sent
        before the bump may predate the change and is not counted."""
        self._tasks: set[asyncio.Task[Any]] = set()
        peers.on_join.append(self._refresh)
        peers.on_reboot.append(self._refresh)
        peers.on_change.append(self._refresh)
        peers.on_leave.append(self._forget)

    def add(self, topic: str, callback: Callback | None, node: int | None) -> Subscription:
        """Subscribe `callback` (or a queue) to `topic` on `node`, or on every peer."""
        ids = name_ids(topic)
        sub = Subscription(self, topic, callback, node)
        self._topics[ids] = topic
        self._subs.setdefault(topic, []).append(sub)
        for peer in self.peers.all():
            if node is None or peer.id == node:
                self.spawn(self._subscribe(peer.id, topic))
        return sub

    def remove(self, sub: Subscription) -> None:
        """Drop one subscription; unsubscribe from the peers when it was the last."""
        subs = self._subs.get(sub.topic, [])
        if sub in subs:
            subs.remove(sub)
        if subs:
            return
        self._subs.pop(sub.topic, None)
        self._topics.pop(name_ids(sub.topic), None)
        for peer_id, topics in self._confirmed.items():
            if sub.topic in topics:
                topics.discard(sub.topic)
                self.spawn(self._quiet(self._call(peer_id, "bus", "unsubscribe", (sub.topic,),
                                                  SUBSCRIBE_TIMEOUT)))

    def confirmed(self, peer_id: int) -> set[str]:
        """Topics the peer has acknowledged for this node."""
        return set(self._confirmed.get(peer_id, ()))

    def on_event(self, frame: Frame) -> bool:
        """Deliver an EVENT frame; False when nobody here subscribed to its topic."""
        header = frame.header
        topic = self._topics.get((header.svc, header.mth))
        if topic is None:
            return False
        peer = self.peers.get(header.src)
        event = Event(topic, frame.payload, header.src, peer.label if peer else "")
        for sub in list(self._subs.get(topic, ())):
            sub.deliver(event)
        return True

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run a background job owned by the subscriber (cancelled by `stop`)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel pending subscribe calls."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _forget(self, peer: Peer) -> None:
        self._confirmed.pop(peer.id, None)
        self._epoch[peer.id] = self._epoch.get(peer.id, 0) + 1

    def _refresh(self, peer: Peer) -> None:
        self._forget(peer)
        for topic, subs in self._subs.items():
            if any(s.node is None or s.node == peer.id for s in subs):
                self.spawn(self._subscribe(peer.id, topic))

    async def _subscribe(self, peer_id: int, topic: str) -> None:
        for _ in range(SUBSCRIBE_TRIES):
            if topic not in self._subs or peer_id not in self.peers:
                return
            epoch = self._epoch.get(peer_id, 0)
            try:
                kept = await self._call(peer_id, "bus", "subscribe", (topic,), SUBSCRIBE_TIMEOUT)
            except CallTimeout:
                continue
            except BusError as exc:  # refused, gone, or this node is stopping
                log.debug("peer %08x refused %s: %s", peer_id, topic, exc)
                return
            if self._epoch.get(peer_id, 0) != epoch:
                return  # the peer changed while we asked: the refresh that saw it asks again
            if kept is False:  # no such service there yet: asked again when its digest changes
                log.debug("peer %08x has no service for %s yet", peer_id, topic)
                return
            self._confirmed.setdefault(peer_id, set()).add(topic)
            return

    @staticmethod
    async def _quiet(awaitable: Awaitable[Any]) -> None:
        with contextlib.suppress(BusError):
            await awaitable


class Publisher:
    """Who subscribed to this node's topics, and sending events to them."""

    def __init__(self, router: Router, peers: PeerTable) -> None:
        self.router = router
        self.peers = peers
        self._subscribers: dict[str, dict[int, Route]] = {}
        self._strangers: dict[int, float] = {}
        peers.on_leave.append(lambda peer: self.drop(peer.id))
        peers.on_reboot.append(lambda peer: self.drop(peer.id))

    def subscribe(
        self, topic: str, src: int, route: Route, now: float, direct: bool = True
    ) -> None:
        """Record `src` as a subscriber of `topic`; events go to `route` until it is a peer.

        A `direct` subscriber (one UDP hop) that is not a peer is probed by discovery; if
        it never answers it is dropped. One behind a bridge stays until it unsubscribes,
        reboots or its topic has `MAX_SUBSCRIBERS` newer subscribers.
        """
        name_ids(topic)
        subs = self._subscribers.setdefault(topic, {})
        subs.pop(src, None)
        subs[src] = route
        while len(subs) > MAX_SUBSCRIBERS:
            del subs[next(iter(subs))]
        if direct and src not in self.peers:
            self._strangers.setdefault(src, now)

    def sweep(self, now: float) -> None:
        """Drop direct subscribers that never became peers within the loss time."""
        for src, since in list(self._strangers.items()):
            if src in self.peers:
                del self._strangers[src]
            elif now - since > self.peers.lost_after:
                del self._strangers[src]
                self.drop(src)

    def unsubscribe(self, topic: str, src: int) -> None:
        """Forget one subscription."""
        self._subscribers.get(topic, {}).pop(src, None)

    def drop(self, src: int) -> None:
        """Forget every subscription of a node (lost, or rebooted)."""
        for subs in self._subscribers.values():
            subs.pop(src, None)

    def subscribers(self, topic: str) -> list[int]:
        """Node ids subscribed to `topic`."""
        return list(self._subscribers.get(topic, {}))

    def publish(self, topic: str, value: Any) -> int:
        """Send `value` to every subscriber of `topic`; the number of frames sent."""
        subs = self._subscribers.get(topic)
        if not subs:
            return 0
        svc, mth = name_ids(topic)
        sent = 0
        for src, route in list(subs.items()):
            header = self.router.header(EVENT, src, svc, mth)
            if self.router.send_to(header, value, self.router.route_to(src) or route):
                sent += 1
        return sent
