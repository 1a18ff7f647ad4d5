"""Discovery and the peer table (protocol.md 8.3, 8.7).

A node probes at start (every receiver answers with its own beacon, unicast,
after 0-50 ms), beacons every second and at once when its services change. A
serial link gets a hello (a beacon with dst = 0) when it opens and every
second. A peer silent for 2.5 s is lost. Join and leave are published locally
as the `bus.join` / `bus.leave` events.
"""

import asyncio
import time

from micropython import const

from hm.codec.frame import BROADCAST, T_BEACON

INTERVAL = const(1000)
LOST = const(2500)
_SWEEP = const(100)
_JITTER = const(50)
_MAX_ANSWERS = const(16)

_ticks = time.ticks_ms
_diff = time.ticks_diff


class Peer:
    """One node as this node sees it."""

    def __init__(self, pid, now, burst):
        self.id = pid
        self.name = ""
        self.board = ""
        self.version = ""
        self.group = ""
        self.digest = -1
        self.nonce = None
        self.port = None
        self.link = None
        self.addr = None
        self.via = None  # the bridge's id when reached through one
        self.reach: list | tuple = ()  # ids this peer bridges to
        self.seen = now
        self.joined = now
        self._tok = burst
        self._tt = now

    def kind(self):
        if self.via is not None:
            return "bridge"
        return self.link.kind if self.link is not None else "none"

    def describe(self, now):
        return {"id": self.id, "name": self.name, "board": self.board, "version": self.version,
                "link": self.kind(), "last_seen_ms": _diff(now, self.seen), "state": "up",
                "via": self.via}


def _with_port(addr, port):
    """The sender's address with the port it answers on (8.3 "p")."""
    if type(addr) is tuple:
        return addr if addr[1] == port else (addr[0], port)
    if (addr[2] << 8 | addr[3]) == port:  # a raw sockaddr_in (unix port)
        return addr
    a = bytearray(addr)
    a[2] = port >> 8
    a[3] = port & 0xFF
    return bytes(a)


def _rand(n):
    try:
        from random import getrandbits

        return getrandbits(16) % n
    except ImportError:
        return _ticks() % n


class Discovery:
    def __init__(self, node):
        self.node = node
        self._asked = {}  # stranger id -> when we probed it
        self._answers = 0
        self._dirty = False

    def payload(self, link, probe=False):
        n = self.node
        b = {"n": n.name, "b": n.board, "v": n.version, "g": n.group,
             "d": n.reg.digest(), "o": n.nonce}
        if link.port:
            b["p"] = link.port
        if probe:
            b["q"] = True
        if n.bridge and len(n.links) > 1:
            from .bridge import reaches

            r = reaches(n, link)
            if r:  # with each one's digest and boot nonce: its changes reach every node (8.7)
                b["r"] = r
                b["rd"] = [n.peers[i].digest for i in r]
                b["ro"] = [n.peers[i].nonce for i in r]
        return b

    def beacon(self, link, probe=False, addr=None):
        """A beacon on link: multicast (UDP), a hello (serial), or unicast to addr."""
        if not link.up:
            return
        n = self.node
        dst = BROADCAST if link.dgram else 0
        try:
            k = n.encode(T_BEACON, dst, 0, 0, n.next_seq(), self.payload(link, probe))
        except ValueError:
            n.drops["oversize"] += 1
            return
        if link.broadcast(n.tx, k) if addr is None else link.send(n.tx, k, addr):
            n.st["out"] += 1

    def announce(self, probe=False):
        for link in self.node.links:
            self.beacon(link, probe)

    def changed(self):
        """The services changed: beacon at once (from the loop, not inside register)."""
        self._dirty = True

    async def run(self):
        last = _ticks()  # each link probes when it opens
        while True:
            await asyncio.sleep_ms(_SWEEP)
            now = _ticks()
            self.sweep(now)
            if self._dirty or _diff(now, last) >= INTERVAL:
                self._dirty = False
                last = now
                self.announce()

    def sweep(self, now):
        n = self.node
        lost = None
        for k in n.peers:
            if _diff(now, n.peers[k].seen) > LOST:
                if lost is None:
                    lost = []
                lost.append(k)
        if lost:
            for k in lost:
                p = n.peers.get(k)
                if p is not None:
                    self.remove(p)
        for link in n.links:
            link.tick(now)

    # ------------------------------------------------------------------ the table

    def new(self, pid, now):
        n = self.node
        if len(n.peers) >= n.max_peers:
            n.drops["peers"] += 1
            return None
        p = n.peers[pid] = Peer(pid, now, n.burst)
        return p

    def on_beacon(self, link, addr, h, v):
        if type(v) is not dict:
            self.node.drops["beacon"] += 1
            return
        n = self.node
        src = h[4]
        hops = h[2] >> 5
        now = _ticks()
        p = n.peers.get(src)
        fresh = p is None
        if fresh:
            p = self.new(src, now)
            if p is None:
                return
        g = v.get
        name = g("n") or ""
        renamed = p.name != name and not fresh
        p.name = name
        p.board = g("b") or ""
        p.version = g("v") or ""
        p.group = g("g") or ""
        o = g("o")
        rebooted = not fresh and o is not None and p.nonce is not None and o != p.nonce
        if o is not None:
            p.nonce = o
        if hops == 0:
            p.via = None
            p.link = link
            port = g("p")
            if link.dgram and addr is not None:
                p.addr = _with_port(addr, port) if type(port) is int else addr
            p.port = port
        p.seen = now
        d = g("d")
        changed = not fresh and d != p.digest
        p.digest = d
        r = g("r")
        if r or p.reach:  # p bridges to other nodes, or did
            from .bridge import reach

            reach(self, p, r, now, g("rd"), g("ro"))
        if fresh:
            self.joined(p)
        elif rebooted:
            self.rebooted(p, o)
        elif changed or renamed:
            n.ev.refresh(p, True)
        if (rebooted or changed) and hops == 0 and n.bridge and len(n.links) > 1:
            self._dirty = True  # the nodes we bridge p to see it change with our next beacon
        if g("q") or (fresh and not link.dgram):
            self._answer(link, addr if hops == 0 else None)

    def joined(self, p):
        n = self.node
        n.ev.refresh(p, True)
        n.publish("bus.join", {"id": p.id, "name": p.name, "link": p.kind()})

    def rebooted(self, p, nonce):
        """p came back with a new boot nonce: its old subscriptions are void, ours are redone."""
        p.nonce = nonce
        n = self.node
        n.ev.drop(p.id, nonce)
        n.ev.refresh(p, True)

    def remove(self, p):
        n = self.node
        if n.peers.pop(p.id, None) is None:
            return
        for k in [k for k in n.peers if n.peers[k].via == p.id]:
            self.remove(n.peers[k])
        n.ev.gone(p)
        n.publish("bus.leave", {"id": p.id, "name": p.name, "link": p.kind()})

    # ------------------------------------------------------------------ probes and answers

    def _answer(self, link, addr):
        if not link.dgram:
            self.beacon(link)
        elif self._answers < _MAX_ANSWERS:
            self._answers += 1
            asyncio.create_task(self._later(link, addr, _rand(_JITTER + 1)))

    async def _later(self, link, addr, delay):
        try:
            await asyncio.sleep_ms(delay)
            self.beacon(link, False, addr)
        finally:
            self._answers -= 1

    def stranger(self, src, link, addr):
        """A frame from a node not in the table: probe it directly, at most once a second."""
        now = _ticks()
        t = self._asked.get(src)
        if t is not None and _diff(now, t) < INTERVAL:
            return
        if len(self._asked) >= 16:
            self._asked.clear()
        self._asked[src] = now
        self.beacon(link, True, addr)
