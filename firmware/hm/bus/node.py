"""`Node`: one board on the service bus.

Every frame from every link enters at `rx`: checked (CRC, header), rate
limited, authenticated, then forwarded (bridging, 8.7) or handed to RPC,
events or discovery by type. Every frame leaves through `encode` + a link's
`send`, so sealing and counting live in one place. The work is synchronous
and uses preallocated buffers; only method calls and timers run as tasks.
What a node may never need is imported on first use: `auth` with a group key,
`call` at its first call, `bridge` with a second link or a bridge in sight.
"""

import time
from hashlib import sha256

from micropython import const

from hm.codec.errors import CodecError, CrcError
from hm.codec.frame import (
    BROADCAST,
    F_ACK_REQ,
    F_AUTH,
    MAX_FRAME,
    T_ACK,
    T_BEACON,
    T_ERROR,
    T_EVENT,
    T_REQUEST,
    T_RESPONSE,
    check,
    pack_header,
    seal_into,
    unpack_header,
)
from hm.codec.mpack import pack_into, unpack

from . import VERSION
from .discovery import Discovery
from .errors import NOT_AUTHORISED
from .events import Events
from .registry import Registry
from .rpc import Rpc

_HDR = const(19)

_ticks = time.ticks_ms
_diff = time.ticks_diff

DROPS = (
    "crc", "codec", "auth", "replay", "rate", "route", "hops", "busy",
    "late", "peers", "link", "beacon", "unsubscribed", "oversize", "memory",
)


def node_id(uid):
    """First 4 bytes of SHA-256(uid), big-endian, skipping the reserved 0 and 0xFFFFFFFF."""
    d = sha256(uid).digest()
    for i in range(0, 32, 4):
        v = int.from_bytes(d[i : i + 4], "big")
        if 0 < v < 0xFFFFFFFF:
            return v
    raise ValueError("unique id hashes to reserved node ids only")


def _random32():
    try:
        from os import urandom

        return int.from_bytes(urandom(4), "big")
    except ImportError:
        from random import getrandbits

        return getrandbits(32)


class Node:
    """The bus on one board. `start()` runs its links and timers as asyncio tasks."""

    def __init__(self, name, uid, key=None, board="", group="", rate=20000, burst=2000,
                 max_request=4059, bridge=True, max_peers=32, log=print, buf=None):
        self.name = name
        self.board = board
        self.group = group
        self.version = VERSION
        self.id = node_id(uid)
        self.nonce = _random32()
        self.auth = None  # open mode
        if key:
            from . import auth

            self.auth = auth.Auth(auth.parse_key(key), self.nonce)
        self.log = log
        self.bridge = bridge
        self.rate = rate
        self.burst = burst
        self.max_request = max_request
        self.max_peers = max_peers
        self.links = []
        self.peers = {}
        # One frame buffer for both directions: a received frame is fully read (header
        # copied, payload decoded) before anything is encoded, so the answer may overwrite it.
        # (`buf`: a caller allocating it before its imports keeps it out of a fragmented heap)
        self.tx = self.rxbuf = buf if buf is not None else bytearray(MAX_FRAME + 1)
        # the serial links' shared COBS output buffer, made by the first one
        self.cobs: tuple | None = None
        self.cfg: dict = {}  # the /hm.json settings when hm.app built this node
        self._h = [0] * 9
        self._tok = burst  # the shared bucket of nodes not in the peer table
        self._tt = _ticks()
        self._seq = 0
        self.caller = 0  # src of the request being served (for bus.subscribe)
        self.caller_nonce = 0
        self.st = {"in": 0, "out": 0, "fwd": 0}
        self.drops = {k: 0 for k in DROPS}
        self.started = _ticks()
        self.reg = Registry()
        self.rpc = Rpc(self)
        self.calls = None  # the calling side (hm.bus.call), made by the first call
        self.call_slots = 16  # calls in flight at most
        self.ev = Events(self)
        self.disc = Discovery(self)
        self.reg.on_change = self.disc.changed
        self._tasks = []

    # ------------------------------------------------------------------ lifecycle

    def add_link(self, link):
        self.links.append(link)
        link.node = self

    def start(self):
        """Open the links and start discovery (call inside the running event loop)."""
        import asyncio

        if self.auth is None:
            self.log("hm.bus: OPEN MODE - no group key, frames are neither signed nor checked")
        for link in self.links:
            self._tasks.append(asyncio.create_task(link.run()))
        self._tasks.append(asyncio.create_task(self.disc.run()))

    def stop(self):
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        for link in self.links:
            link.close()

    # ------------------------------------------------------------------ API

    def register(self, name, obj, version="1.0", methods=None, events=(), shapes=None):
        """Offer obj's methods as service `name` (async methods allowed)."""
        return self.reg.register(name, obj, version, methods, events, shapes)

    def unregister(self, name):
        self.reg.unregister(name)

    async def call(self, node, method, args=(), timeout=3000):
        """Call "service.method"(*args) on node (id or name); the result or a BusError."""
        c = self.calls
        if c is None:
            from .call import Calls

            c = self.calls = Calls(self)
        return await c.call(node, method, args, timeout)

    def subscribe(self, topic, callback, node=None):
        """callback(topic, value, src) for each "service.event" from node (id/name) or any;
        a node not on the bus yet is subscribed at when it joins."""
        self.ev.subscribe(topic, callback, node)

    def unsubscribe(self, topic, callback=None):
        self.ev.unsubscribe(topic, callback)

    def publish(self, topic, value=None):
        """Send a "service.event" value to its subscribers; how many frames went out."""
        return self.ev.publish(topic, value)

    def subscribers(self, topic):
        """Ids of the nodes subscribed to our "service.event" (a new list)."""
        return self.ev.subscribers(topic)

    def peer(self, node):
        """The peer for an id or a name, or None."""
        if type(node) is str:
            for k in self.peers:
                if self.peers[k].name == node:
                    return self.peers[k]
            return None
        return self.peers.get(node)

    def stats(self):
        rpc = self.rpc
        c = self.calls
        return {
            "frames_in": self.st["in"],
            "frames_out": self.st["out"],
            "forwarded": self.st["fwd"],
            "drops": dict(self.drops),
            "queues": {"calls": len(c.pend) if c else 0, "serving": rpc.running,
                       "subscribers": self.ev.count()},
            "pool": {"call_slots": self.call_slots, "cache": rpc.size,
                     "peers": len(self.peers), "peer_slots": self.max_peers, "tx": len(self.tx)},
            "retransmits": c.retx if c else 0,
            "executed": rpc.executed,
            "reply_cache_hits": rpc.hits,
            "subscribe_refused": self.ev.refused,
            "links": {ln.name: ln.state() for ln in self.links},
        }

    # ------------------------------------------------------------------ sending

    def next_seq(self):
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def encode(self, typ, dst, svc, mth, seq, value, flags=0, keyed=True):
        """The frame in self.tx; its length. Raises the codec's errors (OversizeError...)."""
        buf = self.tx
        end = _HDR if value is None else pack_into(buf, _HDR, value)
        plen = end - _HDR
        a = self.auth
        if keyed and a is not None:
            flags |= F_AUTH
            pack_header(buf, typ, flags, seq, self.id, dst, svc, mth, plen)
            tr = a.seal(buf, end)
            return seal_into(buf, typ, flags, seq, self.id, dst, svc, mth, plen, tr)
        return seal_into(buf, typ, flags & ~F_AUTH, seq, self.id, dst, svc, mth, plen, None)

    def route(self, dst):
        """The peer whose link and address reach dst (a bridge for a bridged node), or None."""
        p = self.peers.get(dst)
        if p is not None and p.via is not None:
            p = self.peers.get(p.via)
        return p

    def send(self, typ, dst, svc, mth, seq, value, flags=0, link=None, addr=None, keyed=True):
        """Encode and send one frame along dst's route, or to link/addr when given."""
        n = self.encode(typ, dst, svc, mth, seq, value, flags, keyed)
        if link is None:
            p = self.route(dst)
            if p is None or p.link is None:
                self.drops["route"] += 1
                return False
            link = p.link
            addr = p.addr
        return self.out(link, self.tx, n, addr)

    def out(self, link, buf, n, addr):
        if link.send(buf, n, addr):
            self.st["out"] += 1
            return True
        self.drops["link"] += 1
        return False

    # ------------------------------------------------------------------ receiving

    def _allow(self, p):
        """Token bucket per peer (one shared bucket for strangers)."""
        now = _ticks()
        o = self if p is None else p
        el = _diff(now, o._tt)
        if el > 0:
            o._tt = now
            t = o._tok + (el if el < 1000 else 1000) * self.rate // 1000
            o._tok = t if t < self.burst else self.burst
        if o._tok <= 0:
            return False
        o._tok -= 1
        return True

    def rx(self, link, buf, n, addr):
        """One frame buf[:n] from link (addr: the sender's address on a datagram link)."""
        self.st["in"] += 1
        try:
            plen = check(buf, n)
        except CrcError:
            self.drops["crc"] += 1
            return
        except CodecError:
            self.drops["codec"] += 1
            return
        h = self._h
        unpack_header(buf, h)
        src = h[4]
        if src == self.id:
            return  # our own multicast, looped back
        p = self.peers.get(src)
        if not self._allow(p):
            self.drops["rate"] += 1
            return
        flags = h[2]
        typ = h[1]
        nonce = 0
        a = self.auth
        if flags & F_AUTH:
            if a is None:  # open mode: a keyed frame it cannot check
                self.drops["auth"] += 1
                return
            if not a.verify(self, buf, plen, src, p):
                return
            nonce = a.rx_nonce
        elif a is not None:
            self.drops["auth"] += 1
            if typ == T_REQUEST and h[5] == self.id:
                self._refuse(link, addr, h)
            return
        elif p is not None and p.nonce is not None:
            nonce = p.nonce
        dst = h[5]
        if dst != self.id and dst != 0 and dst != BROADCAST:
            if self.bridge:
                from .bridge import forward

                forward(self, link, buf, n, h, addr)
            else:
                self.drops["route" if flags >> 5 < 7 else "hops"] += 1
            return
        link.heard(src)
        if p is not None:
            p.seen = _ticks()
        ack = None
        if flags & F_ACK_REQ and typ != T_ACK:
            ack = (h[6], h[7], h[3])
        if typ == T_REQUEST:
            self.rpc.serve(link, addr, h, buf, plen, nonce)
        else:
            v = None
            if plen:
                try:
                    v = unpack(buf, _HDR, _HDR + plen)
                except CodecError:
                    self.drops["codec"] += 1
                    return
            if typ in (T_RESPONSE, T_ERROR):
                if self.calls is not None:
                    self.calls.answer(h, v)
                else:
                    self.drops["late"] += 1
            elif typ == T_EVENT:
                self.ev.on_event(src, h[6], h[7], v)
            elif typ == T_BEACON:
                self.disc.on_beacon(link, addr, h, v)
        # frames sent from here on overwrite buf
        if ack is not None:
            self.send(T_ACK, src, ack[0], ack[1], ack[2], None, 0, link, addr)
        if p is None and typ != T_BEACON and not (flags >> 5) and link.dgram:
            self.disc.stranger(src, link, addr)

    def _refuse(self, link, addr, h):
        msg = self.name + " needs authenticated frames: give the caller the group key"
        self.send(T_ERROR, h[4], h[6], h[7], h[3], [NOT_AUTHORISED, "NotAuthorised", msg],
                  0, link, addr, False)

    def uptime(self):
        return _diff(_ticks(), self.started)
