"""The calling side of RPC (docs/protocol.md 8.4): request ids, retransmission, typed errors.

Over a datagram link a request is sent again with the RETRY flag after 50, 100,
200, 400 ms... until the timeout; the callee's reply cache makes that safe.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..codec import ERROR, FLAG_RETRY, REQUEST, RESPONSE, Frame, ident
from ..codec.errors import CodecError, OversizeError
from .errors import BadArgs, BusError, CallTimeout, NoSuchNode, TooLarge, from_wire
from .peers import Peer
from .router import Router

FIRST_RETRY = 0.05
MAX_RETRY_GAP = 1.0


@dataclass
class _Pending:
    future: asyncio.Future[Frame]
    dst: int
    svc: int
    mth: int
    seq: int
    args: list[Any]


class Caller:
    """Outstanding calls of one node, matched to their answers by `seq`."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._pending: dict[int, _Pending] = {}
        self.retransmits = 0

    @property
    def outstanding(self) -> int:
        """Calls waiting for an answer."""
        return len(self._pending)

    async def call(
        self, peer: Peer, service: str, method: str, args: tuple[Any, ...], timeout: float
    ) -> Any:
        """Call `service.method(*args)` on `peer`; the result or a `CallError` subclass."""
        loop = asyncio.get_running_loop()
        svc, mth = ident(service), ident(method)
        seq = self._free_seq()
        header = self.router.header(REQUEST, peer.id, svc, mth, seq=seq)
        where = (peer.label, service, method)
        try:
            frame = self.router.seal(header, list(args))
        except OversizeError as exc:
            raise TooLarge(
                f"{peer.label}:{service}.{method}: the arguments do not fit in one frame ({exc}); "
                "send less per call", *where
            ) from None
        except CodecError as exc:
            raise BadArgs(
                f"{peer.label}:{service}.{method}: an argument has no wire form ({exc}); "
                "pass None, bool, int, float, str, bytes, lists and dicts", *where
            ) from None
        pending = _Pending(loop.create_future(), peer.id, svc, mth, seq, list(args))
        self._pending[seq] = pending
        try:
            answer = await self._exchange(peer, frame, pending, timeout, where)
        finally:
            self._pending.pop(seq, None)
        if answer.header.type == RESPONSE:
            return answer.payload
        raise from_wire(answer.payload, *where)

    def on_answer(self, frame: Frame) -> bool:
        """Resolve the call a RESPONSE or ERROR answers; False if none is waiting for it."""
        header = frame.header
        pending = self._pending.get(header.seq)
        if pending is None or pending.future.done():
            return False
        if (header.svc, header.mth) != (pending.svc, pending.mth):
            return False
        if header.src != pending.dst and header.type != ERROR:
            return False  # only a bridge answers for another node, and only with NO_NODE
        pending.future.set_result(frame)
        return True

    def cancel_all(self, reason: str) -> None:
        """Fail every outstanding call (the node is stopping)."""
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(BusError(reason))

    async def _exchange(
        self, peer: Peer, frame: bytes, pending: _Pending, timeout: float,
        where: tuple[str, str, str],
    ) -> Frame:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        gap = FIRST_RETRY
        route = self.router.route_to(peer.id)
        if route is None:
            raise NoSuchNode(
                f"{peer.label} is no longer on the bus; wait for it with wait_for_peers", *where
            )
        self.router.send(frame, route)
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise CallTimeout(
                    f"{where[0]}:{where[1]}.{where[2]}: no answer within {timeout:g} s; "
                    "check the node is up (bus.peers()) or give a longer timeout=", *where
                )
            wait = min(gap, left) if route.link.datagram else left
            try:
                return await asyncio.wait_for(asyncio.shield(pending.future), wait)
            except TimeoutError:
                pass
            route = self.router.route_to(peer.id) or route
            if route.link.datagram and loop.time() < deadline:
                retry = self.router.header(
                    REQUEST, peer.id, pending.svc, pending.mth, seq=pending.seq, flags=FLAG_RETRY
                )
                self.router.send(self.router.seal(retry, pending.args), route)
                self.retransmits += 1
            gap = min(gap * 2, MAX_RETRY_GAP)

    def _free_seq(self) -> int:
        for _ in range(0x10000):
            seq = self.router.next_seq()
            if seq not in self._pending:
                return seq
        raise BusError("65536 calls are outstanding: wait for some to finish")
