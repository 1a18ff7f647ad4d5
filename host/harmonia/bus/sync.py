"""`SyncBus`: a bus node for code without an event loop (CLI, scripts, plain tests).

>>> # with SyncBus.open("host", address="127.0.0.1", key=KEY) as bus:
>>> #     bus.wait_for_peers(1, timeout=2)
>>> #     print(bus.call("kitchen", "sys.info"))

The node runs on its own event loop in a background thread; every method here
hands work to that thread and waits for the result. Event callbacks run in the
bus thread, so they must be quick and thread-safe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from .errors import BusError
from .events import Callback, Event, Subscription
from .node import DEFAULT_TIMEOUT, BusNode, NodeRef
from .peers import Peer

T = TypeVar("T")

_SLACK = 2.0  # beyond a call's own timeout, for the hop to the bus thread and back


class SyncSubscription:
    """A subscription handled from a plain thread: `get` (queues only) and `cancel`."""

    def __init__(self, bus: SyncBus, sub: Subscription) -> None:
        self._bus = bus
        self._sub = sub

    def get(self, timeout: float = 5.0) -> Event:
        """The next event; `TimeoutError` after `timeout` seconds."""
        return self._bus._run(self._sub.get(timeout), timeout + _SLACK)

    def cancel(self) -> None:
        """Stop receiving."""
        self._bus._call_soon(self._sub.cancel)


class SyncBus:
    """A `BusNode` driven from ordinary, blocking code."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 node: BusNode) -> None:
        self._loop = loop
        self._thread = thread
        self.node = node

    @classmethod
    def open(cls, name: str = "host", *, timeout: float = 10.0, **options: Any) -> SyncBus:
        """Start a node (same arguments as `BusNode.start`) on a background event loop."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"harmonia-bus-{name}",
                                  daemon=True)
        thread.start()
        future = asyncio.run_coroutine_threadsafe(BusNode.start(name, **options), loop)
        try:
            node = future.result(timeout)
        except BaseException:
            _halt(loop, thread)
            raise
        return cls(loop, thread, node)

    def __enter__(self) -> SyncBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The node's name."""
        return self.node.name

    @property
    def id(self) -> int:
        """The node's id."""
        return self.node.id

    def close(self) -> None:
        """Stop the node and its thread."""
        if not self._thread.is_alive():
            return
        try:
            self._run(self.node.stop(), 10.0)
        finally:
            _halt(self._loop, self._thread)

    def call(self, node: NodeRef, method: str, *args: Any,
             timeout: float = DEFAULT_TIMEOUT) -> Any:
        """`BusNode.call`, blocking."""
        return self._run(self.node.call(node, method, *args, timeout=timeout), timeout + _SLACK)

    def peers(self) -> list[Peer]:
        """Snapshots of the peers on the bus."""
        return self._call_soon(self.node.peers)

    def wait_for_peers(self, count: int = 1, timeout: float = 5.0,
                       names: Iterable[str] = ()) -> list[Peer]:
        """`BusNode.wait_for_peers`, blocking."""
        coro = self.node.wait_for_peers(count, timeout, tuple(names))
        return self._run(coro, timeout + _SLACK)

    def register(self, name: str, obj: object, version: str = "1.0",
                 methods: Iterable[str] | None = None, events: Iterable[str] = ()) -> None:
        """Offer `obj` as a service; its methods run in the bus thread."""
        methods = None if methods is None else tuple(methods)
        self._call_soon(lambda: self.node.register(name, obj, version, methods, tuple(events)))

    def subscribe(self, topic: str, callback: Callback,
                  node: NodeRef | None = None) -> SyncSubscription:
        """Call `callback(event)` (in the bus thread) for each `topic` event."""
        sub = self._call_soon(lambda: self.node.subscribe(topic, callback, node))
        return SyncSubscription(self, sub)

    def events(self, topic: str, node: NodeRef | None = None) -> SyncSubscription:
        """A subscription read with `.get(timeout)`."""
        return SyncSubscription(self, self._call_soon(lambda: self.node.events(topic, node)))

    def publish(self, topic: str, value: Any = None) -> int:
        """Send an event to this node's subscribers."""
        return self._call_soon(lambda: self.node.publish(topic, value))

    def stats(self) -> dict[str, Any]:
        """The node's counters."""
        return self._call_soon(self.node.stats)

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if not self._thread.is_alive():
            coro.close()
            raise BusError(f"bus node {self.node.name} is closed: open a new SyncBus")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _call_soon(self, func: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return func()

        return self._run(wrapper(), 10.0)


def _halt(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10.0)
    if not thread.is_alive():
        loop.close()
