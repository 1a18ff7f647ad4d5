"""The serving side of RPC (docs/protocol.md 8.4): dispatch, reply cache, busy limits.

A request is run once: a retry that arrives while it runs is ignored, one that
arrives after is answered from a bounded cache keyed by `(src, nonce, seq)`.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..codec import ERROR, RESPONSE, Frame
from ..codec.errors import CodecError, OversizeError
from .errors import BAD_ARGS, BUSY, NO_METHOD, NO_SERVICE, REMOTE, TOO_LARGE
from .link import Route
from .registry import Registry
from .router import Router

log = logging.getLogger(__name__)

CACHE_SIZE = 256
MAX_PER_PEER = 16
MAX_RUNNING = 128


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling: readable inside a service method through `current_call()`."""

    src: int
    nonce: int
    seq: int
    route: Route
    hops: int = 0


_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar(
    "harmonia_bus_call", default=None
)


def current_call() -> CallContext | None:
    """The call being served, inside a service method; None elsewhere."""
    return _current.get()


Key = tuple[int, int, int]


class Server:
    """Runs incoming requests against the registry and answers them."""

    def __init__(self, router: Router, registry: Registry) -> None:
        self.router = router
        self.registry = registry
        self.executed = 0
        self.cache_hits = 0
        self._cache: OrderedDict[Key, tuple[int, Any]] = OrderedDict()
        self._running: dict[Key, int] = {}
        self._per_peer: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._signatures: dict[Any, inspect.Signature | None] = {}

    @property
    def running(self) -> int:
        """Requests being served now."""
        return len(self._running)

    def on_request(self, frame: Frame, nonce: int, route: Route) -> None:
        """Serve one authenticated REQUEST frame."""
        header = frame.header
        key = (header.src, nonce, header.seq)
        cached = self._cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            self._answer(frame, route, *cached)
            return
        if key in self._running:
            return  # a retry of a call still running; its answer goes out when done
        service = self.registry.lookup(header.svc)
        if service is None:
            self._error(frame, route, NO_SERVICE, "NoSuchService", f"no service {header.svc:#06x}")
            return
        entry = service.methods.get(header.mth)
        if entry is None:
            self._error(frame, route, NO_METHOD, "NoSuchMethod",
                        f"{service.name} has no method {header.mth:#06x}")
            return
        name, func = entry
        args = [] if frame.payload is None else frame.payload
        if not isinstance(args, list) or not self._fits(func, args):
            self._error(frame, route, BAD_ARGS, "BadArgs",
                        f"{service.name}.{name} does not take {args!r}"[:200])
            return
        if self._per_peer.get(header.src, 0) >= MAX_PER_PEER or len(self._running) >= MAX_RUNNING:
            self.router.stats.drop("busy")
            self._error(frame, route, BUSY, "Busy", "too many calls in progress")
            return
        context = CallContext(header.src, nonce, header.seq, route, header.hops)
        if inspect.iscoroutinefunction(func):
            self._start(key)
            task = asyncio.get_running_loop().create_task(
                self._run_async(frame, route, key, context, func, args)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._start(key)
        token = _current.set(context)
        try:
            result = func(*args)
        except Exception as exc:  # the service's failure is the caller's answer
            self._finish(frame, route, key, ERROR, [REMOTE, type(exc).__name__, str(exc)])
            return
        finally:
            _current.reset(token)
        if inspect.isawaitable(result):
            task = asyncio.get_running_loop().create_task(
                self._await(frame, route, key, result)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._finish(frame, route, key, RESPONSE, result)

    async def stop(self) -> None:
        """Cancel the requests still running."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run_async(
        self, frame: Frame, route: Route, key: Key, context: CallContext, func: Any, args: list[Any]
    ) -> None:
        _current.set(context)
        await self._await(frame, route, key, func(*args))

    async def _await(self, frame: Frame, route: Route, key: Key, awaitable: Any) -> None:
        try:
            result = await awaitable
        except asyncio.CancelledError:
            self._release(key)
            raise
        except Exception as exc:
            self._finish(frame, route, key, ERROR, [REMOTE, type(exc).__name__, str(exc)])
            return
        self._finish(frame, route, key, RESPONSE, result)

    def _start(self, key: Key) -> None:
        self._running[key] = 1
        self._per_peer[key[0]] = self._per_peer.get(key[0], 0) + 1

    def _release(self, key: Key) -> None:
        if self._running.pop(key, None) is None:
            return
        left = self._per_peer.get(key[0], 1) - 1
        if left > 0:
            self._per_peer[key[0]] = left
        else:
            self._per_peer.pop(key[0], None)

    def _finish(self, frame: Frame, route: Route, key: Key, mtype: int, value: Any) -> None:
        self.executed += 1
        self._release(key)
        mtype, value = self._answer(frame, route, mtype, value)
        self._cache[key] = (mtype, value)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def _answer(self, frame: Frame, route: Route, mtype: int, value: Any) -> tuple[int, Any]:
        """Send the answer; returns what was actually sent (an error if the value could not be)."""
        header = frame.header
        reply = self.router.header(mtype, header.src, header.svc, header.mth, seq=header.seq)
        try:
            wire = self.router.seal(reply, value)
        except OversizeError as exc:
            mtype, value = ERROR, [TOO_LARGE, "TooLarge", f"result does not fit a frame: {exc}"]
            wire = self.router.seal(dataclasses.replace(reply, type=ERROR), value)
        except CodecError as exc:
            mtype, value = ERROR, [REMOTE, type(exc).__name__, f"result has no wire form: {exc}"]
            wire = self.router.seal(dataclasses.replace(reply, type=ERROR), value)
        self.router.send(wire, route)
        return mtype, value

    def _error(self, frame: Frame, route: Route, code: int, type_name: str, text: str) -> None:
        self._answer(frame, route, ERROR, [code, type_name, text])

    def _fits(self, func: Any, args: list[Any]) -> bool:
        if func not in self._signatures:
            try:
                self._signatures[func] = inspect.signature(func)
            except (TypeError, ValueError):
                self._signatures[func] = None
        signature = self._signatures[func]
        if signature is None:
            return True
        try:
            signature.bind(*args)
        except TypeError:
            return False
        return True

