# ruff: noqa: UP031  (% formatting exists on every port)
"""RPC across nodes (protocol.md 8.4), the serving side (the calling side is `call`).

The server keeps a small ring of `(src, nonce, seq)` -> answer, so a request
retried over a datagram link is answered from it and never runs twice.
"""

import asyncio

from micropython import const

from hm.codec.errors import CodecError, OversizeError
from hm.codec.frame import F_RETRY, T_ERROR, T_RESPONSE
from hm.codec.mpack import unpack

from .errors import BAD_ARGS, BUSY, NO_METHOD, NO_SERVICE, REMOTE, TOO_LARGE, BusError

TYPE_CHECKING = const(False)
if TYPE_CHECKING:
    from collections.abc import Coroutine

_HDR = const(19)
_KEEP = const(512)  # answers larger than this are cached only while they are the newest


async def _coro():
    pass


CORO: type[Coroutine] = type(_coro())  # what calling an async def returns (a generator here)


# A reply cache entry: _E slots of one flat list (no list object per entry), at these offsets.
_SRC = const(0)
_NONCE = const(1)
_SEQ = const(2)
_DONE = const(3)
_TYPE = const(4)
_SVC = const(5)
_MTH = const(6)
_VAL = const(7)
_BIG = const(8)
_E = const(9)


class Rpc:
    def __init__(self, node, cache=16, max_running=8):
        self.node = node
        self.size = cache
        # the reply cache ring, entry i at cache[i * _E:]
        self.cache: list = [0, 0, -1, 0, 0, 0, 0, None, 0] * cache
        self._ci = 0
        self.running = 0
        self.max_running = max_running
        self.executed = 0
        self.hits = 0

    def _find(self, src, nonce, seq):
        """The cache entry of request (src, nonce, seq), or -1."""
        c = self.cache
        for e in range(0, len(c), _E):
            if c[e + _SEQ] == seq and c[e + _SRC] == src and c[e + _NONCE] == nonce:
                return e
        return -1

    def _slot(self):
        """The next cache entry to reuse, passing over calls still running: their retries
        must find them, or a retried call would run twice. Fewer calls run at once
        (max_running) than the cache holds, so a free entry always exists."""
        c = self.cache
        i = self._ci
        for _ in range(self.size):
            e = i * _E
            i = (i + 1) % self.size
            if c[e + _DONE] or c[e + _SEQ] < 0:
                self._ci = i
                return e
        e = self._ci * _E  # every entry unfinished (an answer failed to send): reuse the oldest
        self._ci = (self._ci + 1) % self.size
        return e

    def serve(self, link, addr, h, buf, plen, nonce):
        """One authenticated REQUEST for this node."""
        src = h[4]
        seq = h[3]
        svc = h[6]
        mth = h[7]
        c = self.cache
        if h[2] & F_RETRY:
            e = self._find(src, nonce, seq)
            if e >= 0:
                self.hits += 1
                if c[e + _DONE]:
                    self._reply(e, link, addr, c[e + _TYPE], c[e + _VAL])
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
        e = self._slot()
        c[e + _SRC] = src
        c[e + _NONCE] = nonce
        c[e + _SEQ] = seq
        c[e + _DONE] = 0
        c[e + _SVC] = svc
        c[e + _MTH] = mth
        c[e + _VAL] = None
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
        c = self.cache
        if c[e + _SRC] == src and c[e + _SEQ] == seq:  # the ring has not moved past this entry
            self._done(e, link, addr, t, r)

    def _done(self, e, link, addr, typ, val):
        self.executed += 1
        typ, val, size = self._reply(e, link, addr, typ, val)
        c = self.cache
        if size > _KEEP:
            for o in range(0, len(c), _E):
                if c[o + _BIG] and o != e:
                    c[o + _VAL] = [REMOTE, "ReplyExpired", "the answer was too large to keep"]
                    c[o + _TYPE] = T_ERROR
                    c[o + _BIG] = 0
        c[e + _DONE] = 1
        c[e + _TYPE] = typ
        c[e + _VAL] = val
        c[e + _BIG] = 1 if size > _KEEP else 0

    def _reply(self, e, link, addr, typ, val):
        """Send an answer for cache entry e; returns what was sent (type, value, frame size)."""
        n = self.node
        c = self.cache
        src, seq, svc, mth = c[e + _SRC], c[e + _SEQ], c[e + _SVC], c[e + _MTH]
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
