# ruff: noqa: UP031, UP041  (% formatting and asyncio.TimeoutError exist on every port)
"""RPC across nodes (protocol.md 8.4), the calling side; loaded by a node's first call.

Calls get a 16-bit request id (`seq`) and a slot from a fixed pool; over a
datagram link the request is sent again with F_RETRY after 50, 100, 200 ms...
until the timeout.
"""

import asyncio
import time

from micropython import const

from hm.codec.errors import CodecError, OversizeError
from hm.codec.frame import F_RETRY, T_ERROR, T_REQUEST, T_RESPONSE, ident

from .errors import (
    BadArgs,
    BusError,
    Busy,
    CallTimeout,
    NoSuchMethod,
    NoSuchNode,
    NoSuchService,
    NotAuthorised,
    RemoteError,
    TooLarge,
)
from .rpc import CORO

_FIRST_RETRY = const(50)
_MAX_GAP = const(1000)

_BY_CODE = (
    BusError, NoSuchNode, NoSuchService, NoSuchMethod, RemoteError,
    NotAuthorised, TooLarge, BadArgs, Busy,
)


def from_wire(payload):
    """The exception for an ERROR payload `[code, type_name, message]`."""
    if type(payload) is not list or len(payload) < 3 or type(payload[0]) is not int:
        return RemoteError("malformed error payload", "MalformedError")
    code = payload[0]
    cls = _BY_CODE[code] if 0 < code < len(_BY_CODE) else BusError
    return cls(str(payload[2]), str(payload[1]))


class _Slot:
    def __init__(self):
        self.ev = asyncio.Event()
        self.dst = 0
        self.svc = 0
        self.mth = 0
        self.typ = 0
        self.val = None


def _split(method):
    dot = method.rfind(".")
    if dot <= 0 or dot == len(method) - 1:
        raise BadArgs("name the call as 'service.method', e.g. 'sys.info'")
    return method[:dot], method[dot + 1 :]


class Calls:
    def __init__(self, node):
        self.node = node
        self.slots = node.call_slots
        self._free = []  # slots made on demand, up to `slots`, and kept for reuse
        self._made = 0
        self.pend = {}
        self.retx = 0
        self._ids = {}

    def ids(self, method):
        """(svc id, mth id) of "service.method", cached."""
        t = self._ids.get(method)
        if t is None:
            s, m = _split(method)
            if len(self._ids) >= 32:
                self._ids.clear()
            t = self._ids[method] = (ident(s), ident(m))
        return t

    async def call(self, node, method, args, timeout):
        n = self.node
        svc, mth = self.ids(method)
        if node == n.id or node == n.name:
            return await self.local(svc, mth, args)
        p = n.peer(node)
        if p is None:
            raise NoSuchNode("no node %s on the bus: check bus.peers()" % node)
        if self._free:
            c = self._free.pop()
        elif self._made < self.slots:
            self._made += 1
            c = _Slot()
        else:
            raise Busy("%d calls are outstanding: wait for some to finish" % self.slots)
        dst = p.id
        seq = n.next_seq()
        while seq in self.pend:
            seq = n.next_seq()
        c.dst = dst
        c.svc = svc
        c.mth = mth
        c.typ = 0
        c.val = None
        c.ev.clear()
        self.pend[seq] = c
        try:
            self._send(dst, svc, mth, seq, args, 0, method)
            r = n.route(dst)
            dgram = r is not None and r.link is not None and r.link.dgram
            deadline = time.ticks_add(time.ticks_ms(), timeout)
            gap = _FIRST_RETRY
            while not c.typ:
                left = time.ticks_diff(deadline, time.ticks_ms())
                if left <= 0:
                    raise CallTimeout("%s on %s: no answer within %d ms" % (method, node, timeout))
                try:
                    await asyncio.wait_for_ms(c.ev.wait(), gap if dgram and gap < left else left)
                except asyncio.TimeoutError:
                    if dgram and not c.typ and time.ticks_diff(deadline, time.ticks_ms()) > 0:
                        self._send(dst, svc, mth, seq, args, F_RETRY, method)
                        self.retx += 1
                    gap = gap * 2 if gap < _MAX_GAP else _MAX_GAP
        finally:
            del self.pend[seq]
            self._free.append(c)
        if c.typ == T_RESPONSE:
            return c.val
        raise from_wire(c.val)

    def _send(self, dst, svc, mth, seq, args, flags, method):
        try:
            self.node.send(T_REQUEST, dst, svc, mth, seq, args, flags)
        except OversizeError:
            raise TooLarge(
                method + ": the arguments do not fit in one frame; send less per call"
            ) from None
        except CodecError as e:
            raise BadArgs(method + ": an argument has no wire form (" + str(e) + ")") from None

    async def local(self, svc, mth, args):
        """A call to this node: the same lookup and errors, no frames."""
        s = self.node.reg.by_id.get(svc)
        if s is None:
            raise NoSuchService("no such service on this node")
        m = s.methods.get(mth)
        if m is None:
            raise NoSuchMethod(s.name + " has no such method")
        try:
            r = m[1](*args)
            if type(r) is CORO:
                r = await r
        except BusError:
            raise
        except Exception as e:
            raise RemoteError(str(e), type(e).__name__) from None
        return r

    def answer(self, h, v):
        """A RESPONSE or ERROR frame (header list h, payload v)."""
        c = self.pend.get(h[3])
        if c is None or c.typ or c.svc != h[6] or c.mth != h[7] or (
            h[4] != c.dst and h[1] != T_ERROR
        ):
            self.node.drops["late"] += 1
            return
        c.typ = h[1]
        c.val = v
        c.ev.set()
