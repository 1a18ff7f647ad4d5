"""Frames (protocol.md section 1): header, payload, auth trailer, CRC-16.

``encode_into`` / ``seal_into`` write a whole frame into a caller buffer with no
allocation; ``decode`` checks a frame in the spec's order (size, CRC, version,
type, plen, payload) and returns Python values; ``Router`` takes a COBS run or
a datagram to a handler index without allocating.
"""

# ruff: noqa: F821  (ptr8, ptr16, ptr32, uint are viper builtins)

import sys
from array import array

import micropython
from micropython import const

from .cobs import decode_crc_into as _cobs_decode_crc
from .crc import TABLE as _TABLE
from .crc import crc16
from .crc import update as _crc_update
from .errors import (
    CrcError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    VersionError,
)
from .mpack import _pk
from .mpack import unpack as _unpack

_len = len

VERSION = const(1)
HEADER_SIZE = const(19)
AUTH_SIZE = const(16)
CRC_SIZE = const(2)
MAX_FRAME = const(4096)
MAX_PAYLOAD = const(4059)

T_REQUEST = const(1)
T_RESPONSE = const(2)
T_ERROR = const(3)
T_EVENT = const(4)
T_BEACON = const(5)
T_ACK = const(6)

F_AUTH = const(0x01)
F_ACK_REQ = const(0x02)
F_RETRY = const(0x04)
F_FAST = const(0x08)
HOPS_SHIFT = const(5)
HOPS_MASK = const(0xE0)

BROADCAST = 0xFFFFFFFF  # not const(): above a 32-bit board's small-int range
LINK_LOCAL = const(0)

# Header field indexes in the lists filled by unpack_header.
H_VER = const(0)
H_TYPE = const(1)
H_FLAGS = const(2)
H_SEQ = const(3)
H_SRC = const(4)
H_DST = const(5)
H_SVC = const(6)
H_MTH = const(7)
H_PLEN = const(8)

_W64 = sys.maxsize > 0xFFFFFFFF  # the viper int is 64-bit (unix port), not 32-bit (boards)
_none = None


def ident(name):
    """Service/method/topic id: CRC-16/CCITT-FALSE of the UTF-8 name."""
    b = name.encode() if type(name) is str else name
    return crc16(b, len(b))


# ---------------------------------------------------------------- header


@micropython.viper
def pack_header(
    buf, typ: int, flags: int, seq: int, src: int, dst: int, svc: int, mth: int, plen: int
):
    """Check the fields and write the 19-byte header at buf[0:19] (struct '>BBBHIIHHH').

    Stores into ptr8 keep the low byte, so a 32-bit viper int (a board) writes the
    same bytes as a 64-bit one: 0xFFFFFFFF arrives there as -1 and still gives ff ff
    ff ff. For the same reason node ids are range-checked only where the viper int
    is 64-bit; on a board any 32-bit pattern is a node id.
    """
    if typ < T_REQUEST or typ > T_ACK or flags >> 8 or flags < 0:
        raise MalformedError("unknown message type or flags beyond 8 bits")
    if seq >> 16 or svc >> 16 or mth >> 16 or seq < 0 or svc < 0 or mth < 0:
        raise MalformedError("seq, svc and mth are 16-bit")
    if _W64 and ((src >> 16) >> 16 or (dst >> 16) >> 16):
        raise MalformedError("node ids are 32-bit")
    if plen > MAX_PAYLOAD or plen < 0:
        raise OversizeError("payload longer than 4059 bytes")
    if int(_len(buf)) < HEADER_SIZE:
        raise OversizeError("buffer shorter than a header")
    p = ptr8(buf)
    p[0] = VERSION
    p[1] = typ
    p[2] = flags
    p[3] = seq >> 8
    p[4] = seq
    p[5] = src >> 24
    p[6] = src >> 16
    p[7] = src >> 8
    p[8] = src
    p[9] = dst >> 24
    p[10] = dst >> 16
    p[11] = dst >> 8
    p[12] = dst
    p[13] = svc >> 8
    p[14] = svc
    p[15] = mth >> 8
    p[16] = mth
    p[17] = plen >> 8
    p[18] = plen


@micropython.viper
def unpack_header(buf, out):
    """Fill out[0:9] with ver, type, flags, seq, src, dst, svc, mth, plen."""
    if int(_len(buf)) < HEADER_SIZE:
        raise TruncatedError("input ends before the header")
    p = ptr8(buf)
    out[0] = p[0]
    out[1] = p[1]
    out[2] = p[2]
    out[3] = (p[3] << 8) | p[4]
    src = (uint(p[5]) << 24) | (uint(p[6]) << 16) | (uint(p[7]) << 8) | uint(p[8])
    out[4] = src
    dst = (uint(p[9]) << 24) | (uint(p[10]) << 16) | (uint(p[11]) << 8) | uint(p[12])
    out[5] = dst
    out[6] = (p[13] << 8) | p[14]
    out[7] = (p[15] << 8) | p[16]
    out[8] = (p[17] << 8) | p[18]


# ---------------------------------------------------------------- checks


@micropython.viper
def check(buf, n: int) -> int:
    """Validate frame buf[:n] up to (not including) the payload; returns plen.

    Order as protocol.md section 6: size, CRC, version, type, plen.
    """
    if n > int(_len(buf)):
        raise TruncatedError("n is beyond the buffer")
    residue = 1
    if n >= HEADER_SIZE + CRC_SIZE and n <= MAX_FRAME:
        residue = int(_crc_update(0xFFFF, buf, 0, n, _TABLE))
    return int(_validate(buf, n, residue, 0, 0))


@micropython.viper
def _validate(buf, n: int, residue: int, tab: ptr32, hdr: ptr32) -> int:
    # Checks in the spec's order; residue is the CRC over the whole frame, CRC bytes
    # included (0 when intact). Without a table (tab 0) returns plen; with one, also
    # parses the header into hdr (array 'I', H_* order) and returns the index of the
    # first (type, svc, mth) entry that matches, or -1.
    if n > MAX_FRAME:
        raise OversizeError("frame longer than 4096 bytes")
    if n < HEADER_SIZE + CRC_SIZE:
        raise TruncatedError("input ends before the header and CRC")
    if residue:
        raise CrcError("frame CRC does not match")
    p = ptr8(buf)
    if p[0] != VERSION:
        raise VersionError("protocol version is not 1")
    t = p[1]
    if t < T_REQUEST or t > T_ACK:
        raise MalformedError("unknown message type")
    plen = (p[17] << 8) | p[18]
    tr = 0
    if p[2] & F_AUTH:
        tr = AUTH_SIZE
    if HEADER_SIZE + plen + tr + CRC_SIZE != n:
        raise LengthError("plen disagrees with the frame size")
    if plen > MAX_PAYLOAD:
        raise OversizeError("payload longer than 4059 bytes")
    if int(tab) == 0:
        return plen
    hdr[0] = p[0]
    hdr[1] = t
    hdr[2] = p[2]
    hdr[3] = (p[3] << 8) | p[4]
    hdr[4] = (p[5] << 24) | (p[6] << 16) | (p[7] << 8) | p[8]
    hdr[5] = (p[9] << 24) | (p[10] << 16) | (p[11] << 8) | p[12]
    hdr[6] = (p[13] << 8) | p[14]
    hdr[7] = (p[15] << 8) | p[16]
    hdr[8] = plen
    key = (p[13] << 24) | (p[14] << 16) | (p[15] << 8) | p[16]
    cnt = int(tab[0])
    i = 0
    while i < cnt:
        if tab[2 + 2 * i] == key:
            tt = tab[1 + 2 * i]
            if tt == t or tt == 0:
                return i
        i += 1
    return -1


# ---------------------------------------------------------------- encode


@micropython.viper
def _seal(
    buf, typ: int, flags: int, seq: int, src: int, dst: int, svc: int, mth: int, plen: int, auth
) -> int:
    # Header, auth trailer, CRC around the payload at buf[19:19+plen]; returns the length.
    n = HEADER_SIZE + plen + CRC_SIZE
    has = 0
    if auth is not _none:
        if int(_len(auth)) != AUTH_SIZE:
            raise LengthError("auth trailer is 16 bytes")
        has = 1
        n += AUTH_SIZE
    if has != flags & F_AUTH:
        raise MalformedError("give an auth trailer exactly when flags has F_AUTH")
    if n > int(_len(buf)):
        raise OversizeError("frame does not fit the buffer")
    pack_header(buf, typ, flags, seq, src, dst, svc, mth, plen)
    p = ptr8(buf)
    off = HEADER_SIZE + plen
    if has:
        a = ptr8(auth)
        i = 0
        while i < AUTH_SIZE:
            p[off + i] = a[i]
            i += 1
        off += AUTH_SIZE
    c = int(_crc_update(0xFFFF, buf, 0, off, _TABLE))
    p[off] = c >> 8
    p[off + 1] = c
    return n


@micropython.native
def seal_into(buf, typ, flags, seq, src, dst, svc, mth, plen, auth=None):
    """Finish a frame whose payload is already at buf[19:19+plen]; returns its length.

    ``auth`` (16 bytes: nonce, counter, tag) is given exactly when flags has F_AUTH.
    """
    return _seal(buf, typ, flags, seq, src, dst, svc, mth, plen, auth)


@micropython.native
def encode_into(buf, typ, flags, seq, src, dst, svc, mth, payload, auth=None):
    """Encode a whole frame into buf; returns its length. No allocation for
    payloads of None/bool/int/float/str/bytes and lists of them."""
    plen = 0
    if payload is not None:  # nil travels as plen = 0
        plen = _pk(buf, HEADER_SIZE, payload, -1, 0, _len(buf)) - HEADER_SIZE
    return _seal(buf, typ, flags, seq, src, dst, svc, mth, plen, auth)


# ---------------------------------------------------------------- decode

_h = [0] * 9


@micropython.native
def decode(buf, n):
    """Check and decode frame buf[:n] to
    (ver, type, flags, seq, src, dst, svc, mth, payload, auth_or_None)."""
    plen = check(buf, n)
    h = _h
    unpack_header(buf, h)
    v = None
    if plen:
        v = _unpack(buf, HEADER_SIZE, HEADER_SIZE + plen)
    a = None
    if h[2] & F_AUTH:
        o = HEADER_SIZE + plen
        a = bytes(memoryview(buf)[o : o + AUTH_SIZE])
    return (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], v, a)


# ---------------------------------------------------------------- routing


class Router:
    """A fixed-size table of (type, svc, mth) -> handler, routed without allocation.

    ``route(run, n)`` takes a COBS run (serial; a trailing delimiter is allowed),
    ``route_frame`` a raw frame (datagram). Both check the frame as ``check``
    does (typed errors) and return the table index, ``handlers[index]`` being the
    handler, or -1 when nothing is registered for it. The header is left in
    ``hdr`` (array 'I', indexes H_*), and for ``route`` the decoded frame in ``buf``.
    The payload is not parsed: the handler decodes it (``mpack.unpack`` or a shape).
    """

    def __init__(self, size=32):
        self.size = size
        self.tab = array("I", [0] * (1 + 2 * size))  # [count, type0, key0, type1, key1, ...]
        self.handlers = [None] * size
        self.hdr = array("I", [0] * 9)
        self.buf = bytearray(MAX_FRAME)
        self.crc = array("H", [0])

    def add(self, svc, mth, handler, typ=T_REQUEST):
        """Register handler for (typ, svc, mth); typ 0 matches any type. Returns its index."""
        if not (0 <= svc <= 0xFFFF and 0 <= mth <= 0xFFFF and 0 <= typ <= T_ACK):
            raise ValueError("svc and mth are 16-bit ids, typ 0 (any) or a message type")
        tab = self.tab
        i = tab[0]
        if self.find(svc, mth, typ) >= 0:
            raise ValueError("route already registered")
        if i >= self.size:
            raise ValueError("routing table full")
        tab[1 + 2 * i] = typ
        tab[2 + 2 * i] = (svc << 16) | mth
        self.handlers[i] = handler
        tab[0] = i + 1
        return i

    def find(self, svc, mth, typ=T_REQUEST):
        """Index of the entry registered for exactly (typ, svc, mth), or -1."""
        tab = self.tab
        key = (svc << 16) | mth
        for i in range(tab[0]):
            if tab[2 + 2 * i] == key and tab[1 + 2 * i] == typ:
                return i
        return -1

    @micropython.viper
    def route(self, run, n: int) -> int:
        """COBS-decode run[:n] into self.buf (the CRC in the same pass), check it, look it up."""
        buf = self.buf
        crc = self.crc
        m = int(_cobs_decode_crc(run, n, buf, crc))
        return int(_validate(buf, m, int(ptr16(crc)[0]), self.tab, self.hdr))

    @micropython.viper
    def route_frame(self, frame, n: int) -> int:
        """Check the raw frame frame[:n] and look it up."""
        if n > int(_len(frame)):
            raise TruncatedError("n is beyond the buffer")
        residue = 1
        if n >= HEADER_SIZE + CRC_SIZE and n <= MAX_FRAME:
            residue = int(_crc_update(0xFFFF, frame, 0, n, _TABLE))
        return int(_validate(frame, n, residue, self.tab, self.hdr))
