# ruff: noqa: UP031, UP041  (% formatting and asyncio.TimeoutError exist on every port)
"""RPC across nodes (protocol.md 8.4): the calling side and the serving side.

Calls get a 16-bit request id (`seq`) and a slot from a fixed pool; over a
datagram link the request is sent again with F_RETRY after 50, 100, 200 ms...
until the timeout. The server keeps a small ring of `(src, nonce, seq)` ->
answer, so a retried request is answered from it and never runs twice.
"""

import asyncio
import time

from micropython import const

from hm.codec.errors import CodecError, OversizeError
from hm.codec.frame import F_RETRY, T_ERROR, T_REQUEST, T_RESPONSE, ident
from hm.codec.mpack import unpack

from .errors import (
    BAD_ARGS,
    BUSY,
    NO_METHOD,
    NO_SERVICE,
    REMOTE,
    TOO_LARGE,
    BadArgs,
    BusError,
    Busy,
    CallTimeout,
    NoSuchMethod,
    NoSuchNode,
    NoSuchService,
    RemoteError,
    TooLarge,
    from_wire,
)

TYPE_CHECKING = const(False)
if TYPE_CHECKING:
    from collections.abc import Coroutine

_HDR = const(19)
_FIRST_RETRY = const(50)
_MAX_GAP = const(1000)
_KEEP = const(512)  # answers larger than this are cached only while they are the newest


async def _coro():
    pass


CORO: type[Coroutine] = type(_coro())  # what calling an async def returns (a generator here)


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


class Rpc:
    def __init__(self, node, slots=16, cache=16, max_running=8):
        self.node = node
        self.slots = slots
        self._free = []  # slots made on demand, up to `slots`, and kept for reuse
        self._made = 0
        self.pend = {}
        # reply cache ring: [src, nonce, seq, done, type, svc, mth, value, big]
        self.cache: list[list] = [[0, 0, -1, 0, 0, 0, 0, None, 0] for _ in range(cache)]
        self._ci = 0
        self.running = 0
        self.max_running = max_running
        self.retx = 0
        self.executed = 0
        self.hits = 0
        self._ids = {}

    # ------------------------------------------------------------------ calling

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

    # ------------------------------------------------------------------ serving

    def _find(self, src, nonce, seq):
        for e in self.cache:
            if e[2] == seq and e[0] == src and e[1] == nonce:
                return e
        return None

    def serve(self, link, addr, h, buf, plen, nonce):
        """One authenticated REQUEST for this node."""
        src = h[4]
        seq = h[3]
        svc = h[6]
        mth = h[7]
        if h[2] & F_RETRY:
            e = self._find(src, nonce, seq)
            if e is not None:
                self.hits += 1
                if e[3]:
                    self._reply(e, link, addr, e[4], e[7])
                return  # still running: its answer goes out when it is done
        n = self.node
        s = n.reg.by_id.get(svc)
        if s is None:
            return self._error(link, addr, h, NO_SERVICE, "NoSuchService",
                               "no service %04x on %s" % (svc, n.name))
        m = s.methods.get(mth)
        if m is None:
            return self._error(link, addr, h, NO_METHOD, "NoSuchMethod",
                               "%s has no method %04x" % (s.name, mth))
        if plen > n.max_request:
            return self._error(link, addr, h, TOO_LARGE, "TooLarge",
                               "request of %d bytes; %s takes at most %d" %
                               (plen, n.name, n.max_request))
        if self.running >= self.max_running:
            n.drops["busy"] += 1
            return self._error(link, addr, h, BUSY, "Busy", "too many calls in progress")
        args: list | tuple = ()
        if plen:
            try:
                if m[2] is not None:
                    a = m[2].unpack_into(buf, _HDR, _HDR + plen, m[3])
                else:
                    a = unpack(buf, _HDR, _HDR + plen)
            except CodecError:
                a = None
            if type(a) is not list:
                return self._error(link, addr, h, BAD_ARGS, "BadArgs",
                                   "%s.%s takes a list of arguments of its shape" % (s.name, m[0]))
            args = a
        e = self.cache[self._ci]
        self._ci = (self._ci + 1) % len(self.cache)
        e[0] = src
        e[1] = nonce
        e[2] = seq
        e[3] = 0
        e[5] = svc
        e[6] = mth
        e[7] = None
        n.caller = src
        n.caller_nonce = nonce
        try:
            r = m[1](*args)
        except Exception as x:
            self._done(e, link, addr, T_ERROR, _wire_exc(x))
            return
        if type(r) is CORO:
            self.running += 1
            asyncio.create_task(self._run(e, link, addr, src, seq, r))
            return
        self._done(e, link, addr, T_RESPONSE, r)

    async def _run(self, e, link, addr, src, seq, gen):
        try:
            r = await gen
            t = T_RESPONSE
        except Exception as x:
            r = _wire_exc(x)
            t = T_ERROR
        finally:
            self.running -= 1
        if e[0] == src and e[2] == seq:  # the ring has not moved past this entry
            self._done(e, link, addr, t, r)

    def _done(self, e, link, addr, typ, val):
        self.executed += 1
        typ, val, size = self._reply(e, link, addr, typ, val)
        if size > _KEEP:
            for o in self.cache:
                if o[8] and o is not e:
                    o[7] = [REMOTE, "ReplyExpired", "the answer was too large to keep"]
                    o[4] = T_ERROR
                    o[8] = 0
        e[3] = 1
        e[4] = typ
        e[7] = val
        e[8] = 1 if size > _KEEP else 0

    def _reply(self, e, link, addr, typ, val):
        """Send an answer for cache entry e; returns what was sent (type, value, frame size)."""
        n = self.node
        src, seq, svc, mth = e[0], e[2], e[5], e[6]
        try:
            k = n.encode(typ, src, svc, mth, seq, val)
        except OversizeError:
            typ = T_ERROR
            val = [TOO_LARGE, "TooLarge", "the result does not fit in one frame"]
            k = n.encode(typ, src, svc, mth, seq, val)
        except CodecError as x:
            typ = T_ERROR
            val = [REMOTE, type(x).__name__, "the result has no wire form: " + str(x)]
            k = n.encode(typ, src, svc, mth, seq, val)
        n.out(link, n.tx, k, addr)
        return typ, val, k

    def _error(self, link, addr, h, code, name, text):
        self.node.send(T_ERROR, h[4], h[6], h[7], h[3], [code, name, text], 0, link, addr)


def _wire_exc(x):
    if isinstance(x, BusError):
        return [x.code or REMOTE, x.type_name, x.message]
    code = REMOTE
    if isinstance(x, TypeError) and "argument" in str(x):
        code = BAD_ARGS  # the call did not fit the method's signature
    return [code, type(x).__name__, str(x)]
