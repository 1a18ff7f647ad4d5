# ruff: noqa: SIM105  (MicroPython has no contextlib)
"""UDP link (protocol.md 2.2, 8.2): one frame per datagram, multicast beacons.

With a specific address (virtual boards on 127.0.0.x) the link binds one
socket to (address, port) for unicast and a second to (group, port) for the
beacons, so nodes sharing a machine each get every beacon and only their own
unicast. With "0.0.0.0" (a real board) one socket does both. Where joining the
group fails, beacons go to the broadcast address.
"""

import asyncio
import asyncio.core as core  # MicroPython's scheduler: its I/O queue wakes a task on data
import socket
import sys
from errno import EAGAIN

from micropython import const

TYPE_CHECKING = const(False)
if TYPE_CHECKING:
    from .node import Node

_MAX_DGRAM = const(4097)  # one more than the largest frame, so an oversize one shows
_HDR = const(19)
_LINUX = sys.platform == "linux"
# Option numbers: Linux, else lwIP (the boards' stack). IPPROTO_IP is 0 on both.
_TTL = getattr(socket, "IP_MULTICAST_TTL", 33 if _LINUX else 5)
_IF = getattr(socket, "IP_MULTICAST_IF", 32 if _LINUX else 6)
_LOOP = getattr(socket, "IP_MULTICAST_LOOP", 34 if _LINUX else 7)
_JOIN = getattr(socket, "IP_ADD_MEMBERSHIP", 35 if _LINUX else 3)
_PEEK = getattr(socket, "MSG_PEEK", None)


def _sockaddr(host, port):
    return socket.getaddrinfo(host, port)[0][-1]


def _aton(host):
    return bytes(int(x) for x in host.split("."))


class UdpLink:
    kind = "udp"
    dgram = True
    node: Node  # set by Node.add_link, before run()

    def __init__(self, address="0.0.0.0", port=47770, group="239.255.77.70"):
        self.name = "udp:" + address + ":" + str(port)
        self.address = address
        self.port = port
        self.group = group
        self.up = False
        self.multicast = True
        self._u = None
        self._m = None
        self._dst = None
        self.errors = 0

    def _open(self):
        wild = self.address == "0.0.0.0"
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind(_sockaddr(self.address, self.port))
        for opt, val in ((_TTL, 1), (_LOOP, 1)):
            try:
                u.setsockopt(0, opt, val)
            except OSError:
                pass
        try:
            u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        except (OSError, AttributeError):
            pass
        if not wild:
            try:  # on loopback this is what lets multicast leave at all
                u.setsockopt(0, _IF, _aton(self.address))
            except OSError:
                pass
        u.setblocking(False)
        m = None
        if not wild:
            m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            m.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                m.bind(_sockaddr(self.group, self.port))
            except OSError:
                m.bind(_sockaddr("0.0.0.0", self.port))
            m.setblocking(False)
        try:
            (m or u).setsockopt(0, _JOIN, _aton(self.group) + _aton(
                "0.0.0.0" if wild else self.address))
            self.multicast = True
            self._dst = _sockaddr(self.group, self.port)
        except OSError:
            self.multicast = False
            self._dst = _sockaddr("255.255.255.255", self.port)
            self.node.log("hm.bus: cannot join " + self.group + "; beacons go to broadcast")
        self._u = u
        self._m = m

    async def run(self):
        while True:
            try:
                self._open()
            except OSError as e:
                self.node.log("hm.bus: " + self.name + " cannot open: " + repr(e))
                self.close()
                await asyncio.sleep_ms(1000)
                continue
            self.up = True
            t = asyncio.create_task(self._recv(self._m)) if self._m is not None else None
            try:
                self.node.disc.beacon(self, True)  # probe: every node answers at once
                await self._recv(self._u)
            except Exception as e:  # the link must outlive any error: reopen it
                self.node.log("hm.bus: " + self.name + " failed: " + repr(e))
            finally:
                if t is not None:
                    t.cancel()
                self.close()
            await asyncio.sleep_ms(500)

    async def _recv(self, s):
        rx = self.node.rx
        while True:
            yield core._io_queue.queue_read(s)
            while True:
                try:
                    data, a = self._take(s)
                except OSError as e:
                    if e.errno == EAGAIN:  # drained
                        break
                    raise
                except MemoryError:  # a big datagram in a fragmented heap: lose it, not the link
                    self.errors += 1
                    self.node.drops["memory"] += 1
                    s.recv(1)
                    continue
                rx(self, data, len(data), a)

    def _take(self, s):
        """One datagram: peek its header for the frame's size, then read that much, so
        a small frame never costs a buffer of the largest one."""
        if _PEEK is None:
            return s.recvfrom(_MAX_DGRAM)
        h, a = s.recvfrom(_HDR, _PEEK)
        n = len(h)
        if n == _HDR:
            n = _HDR + ((h[17] << 8) | h[18]) + (16 if h[2] & 1 else 0) + 2
            if n > _MAX_DGRAM:  # oversize by its own header: never read it in
                s.recv(1)
                return h, a
        return s.recv(n), a

    def send(self, buf, n, addr):
        if self._u is None or addr is None:
            return False
        try:
            self._u.sendto(memoryview(buf)[:n], addr)
            return True
        except OSError:
            self.errors += 1
            return False

    def broadcast(self, buf, n):
        return self.send(buf, n, self._dst)

    def heard(self, src):
        pass

    def tick(self, now):
        pass

    def state(self):
        return {"up": self.up, "multicast": self.multicast, "errors": self.errors}

    def close(self):
        self.up = False
        for s in (self._u, self._m):
            if s is not None:
                s.close()
        self._u = self._m = None
