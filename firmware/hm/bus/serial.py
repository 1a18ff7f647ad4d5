# ruff: noqa: SIM105  (MicroPython has no contextlib)
"""Serial link (protocol.md 2.1, 8.7): COBS-framed frames on a UART or USB-CDC stream.

Each frame goes out as 0x00, COBS(frame), 0x00: the leading delimiter ends any
garbage on the line, so one bad run costs at most itself and the next good
frame is delivered. Received bytes are gathered into a fixed buffer up to a
0x00; a run that overflows it, or does not COBS-decode, is counted and
skipped. When the port fails it is closed and reopened; a returning peer says
hello and joins again, with no help from the application.
"""

import asyncio
import gc

import micropython
from micropython import const

from hm.codec.cobs import decode_into, encode_into
from hm.codec.errors import CodecError

TYPE_CHECKING = const(False)
if TYPE_CHECKING:
    from .node import Node

_RUN = const(4114)  # the largest encoded frame is 4113 bytes
_CHUNK = const(512)


@micropython.viper
def _gather(src, i: int, n: int, dst, m: int) -> int:
    """Copy src[i:n] into dst[m:] up to the first 0x00 (bytes past dst's end are
    dropped); returns the index of that 0x00, or n."""
    s = ptr8(src)  # noqa: F821
    d = ptr8(dst)  # noqa: F821
    cap = int(len(dst))
    while i < n:
        b = s[i]
        if b == 0:
            return i
        if m < cap:
            d[m] = b
        m += 1
        i += 1
    return i


def uart(spec):
    """An opener for /hm.json's serial entry {uart, baud, tx, rx}: machine.UART on it."""

    def opener():
        import machine

        kw = {}
        for k in ("tx", "rx"):
            if k in spec:
                kw[k] = spec[k]
        return machine.UART(spec.get("uart", 1), spec.get("baud", 921600), **kw)

    return opener


class SerialLink:
    kind = "serial"
    dgram = False
    port = None
    node: Node  # set by Node.add_link, before run()

    def __init__(self, opener, name="serial", run=None, out=None):
        """opener() returns an open stream (machine.UART...) that asyncio can poll.

        run (4114 bytes, this link's) and out (4116 bytes, shared by a node's serial
        links) may be given by a caller that allocates them early, before the heap
        fragments."""
        self.name = name
        self.opener = opener
        self.up = False
        self.peer = None
        self._s = None
        self._run = run if run is not None else bytearray(_RUN)
        self._out = out
        self._m = 0
        self._chunk = bytearray(_CHUNK)
        self._tx: tuple | None = None  # the node's COBS output buffer and its views
        self.opens = 0
        self.frames = 0
        self.garbage = 0
        self.errors = 0

    async def run(self):
        n = self.node
        c = n.cobs
        if c is None:  # one COBS output buffer for every serial link of the node
            t = self._out if self._out is not None else bytearray(_RUN + 2)
            c = n.cobs = (t, memoryview(t), memoryview(t)[1:])
        self._tx = c
        while True:
            try:
                self._s = self.opener()
            except Exception:  # the port is not there (yet): try again soon
                self.errors += 1
                self._s = None
                await asyncio.sleep_ms(500)
                continue
            self.opens += 1
            self._m = 0
            self.up = True
            self.node.disc.beacon(self, True)  # link hello
            try:
                r = asyncio.StreamReader(self._s)
                while True:
                    try:
                        k = await r.readinto(self._chunk)
                    except MemoryError:  # the driver could not get a buffer: try again
                        self.errors += 1
                        gc.collect()
                        continue
                    if k:
                        self._feed(k)
            except Exception as e:
                self.errors += 1
                self.node.log("hm.bus: " + self.name + " failed: " + repr(e))
            self.close()
            self._down()
            await asyncio.sleep_ms(200)

    def _down(self):
        """The port failed: the peer on it, and the nodes it bridged to, are gone."""
        n = self.node
        for k in [k for k in n.peers if n.peers[k].link is self and n.peers[k].via is None]:
            p = n.peers.get(k)
            if p is not None:
                n.disc.remove(p)

    def _feed(self, k):
        c = self._chunk
        i = 0
        while i < k:
            j = _gather(c, i, k, self._run, self._m)
            self._m += j - i
            if j >= k:
                return
            m = self._m
            self._m = 0
            i = j + 1
            if m > _RUN:
                self.garbage += 1
            elif m:
                self._deliver(m)

    def _deliver(self, m):
        node = self.node
        try:
            n = decode_into(self._run, m, node.rxbuf)
        except CodecError:
            self.garbage += 1
            node.drops["codec"] += 1
            return
        self.frames += 1
        node.rx(self, node.rxbuf, n, None)

    def send(self, buf, n, addr=None):
        s = self._s
        t = self._tx
        if s is None or t is None:
            return False
        t[0][0] = 0
        try:
            k = encode_into(buf, n, t[2])
            s.write(t[1][: k + 1])
            return True
        except (OSError, CodecError):
            self.errors += 1
            return False

    def broadcast(self, buf, n):
        return self.send(buf, n)

    def heard(self, src):
        pass

    def tick(self, now):
        n = self.node
        self.peer = None
        for k in n.peers:
            p = n.peers[k]
            if p.link is self and p.via is None:
                self.peer = k

    def state(self):
        return {"up": self.up, "peer": self.peer, "opens": self.opens, "frames": self.frames,
                "garbage": self.garbage, "errors": self.errors}

    def close(self):
        self.up = False
        s = self._s
        self._s = None
        if s is not None:
            try:
                s.close() if hasattr(s, "close") else s.deinit()
            except Exception:
                pass
