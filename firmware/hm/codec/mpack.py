"""MessagePack payloads (protocol.md section 3) for the board.

Encoding writes into a caller buffer and emits the smallest form, byte for byte
what CPython's ``msgpack.packb(v, use_bin_type=True)`` gives. Decoding accepts
every width form, checks each declared length against the bytes left before it
allocates, and raises the typed errors of ``errors``. The decoder keeps its
cursor in module state, so it is not reentrant (it never yields, so asyncio
tasks cannot interleave it).

Hot functions keep locals + stack at 11 words or fewer so their frames stay off
the heap; the ones that cannot (dict loops) are ``@micropython.native``.
"""

from struct import pack_into as _spack
from struct import unpack_from as _sunpack

import micropython
from micropython import const

from ._bytes import be as _be
from ._bytes import utf8_ok as _utf8_ok
from ._bytes import w1 as _w1
from ._bytes import wbin as _wbin
from ._bytes import whdr as _whdr
from ._bytes import wn as _wn
from ._bytes import wraw as _wraw
from ._bytes import wstr as _wstr
from .errors import (
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
)

MAX_DEPTH = const(16)
MAX_PAYLOAD = const(4059)
MAX_STR = const(4059)

# A board whose float is 32-bit emits float32 (protocol.md section 3).
FLOAT32 = 1.0 + 1e-10 == 1.0
# len(str) counts code points on ports with unicode, bytes otherwise.
_UNI = 1 if len("\u00e9") == 1 else 0

_scratch = None

# ---------------------------------------------------------------- encoding


def pack_into(buf, off, obj):
    """Encode obj at buf[off:]; returns the end offset (OversizeError if it does not fit)."""
    return _pk(buf, off, obj, 0)


def pack(obj):
    """Encode obj to a new bytes object (at most MAX_PAYLOAD bytes)."""
    global _scratch
    if _scratch is None:
        _scratch = bytearray(MAX_PAYLOAD)
    n = _pk(_scratch, 0, obj, 0)
    return bytes(memoryview(_scratch)[:n])


def _pk(b, o, v, d):
    t = type(v)
    if t is int:
        return _int(b, o, v)
    if t is str:
        return _wstr(b, o, v, _UNI)
    if t is float:
        return _flt(b, o, v)
    if t is list or t is tuple:
        return _arr(b, o, v, d)
    if v is None:
        return _w1(b, o, 0xC0)
    if t is bool:
        return _w1(b, o, 0xC3 if v else 0xC2)
    if t is bytes or t is bytearray or t is memoryview:
        return _wbin(b, o, v)
    if isinstance(v, dict):
        return _map(b, o, v, d)
    raise UnsupportedError("no MessagePack form for this type")


def _int(b, o, v):
    if v >= 0:
        if v < 0x80:
            return _w1(b, o, v)
        if v < 0x100:
            return _wn(b, o, 0xCC, v, 1)
        if v < 0x10000:
            return _wn(b, o, 0xCD, v, 2)
        if v < 0x100000000:
            return _wn(b, o, 0xCE, v, 4)
        if v < 0x10000000000000000:
            return _w64(b, o, 0xCF, v)
        raise UnsupportedError("int above 2**64-1")
    if v >= -32:
        return _w1(b, o, v & 0xFF)
    if v >= -0x80:
        return _wn(b, o, 0xD0, v, 1)
    if v >= -0x8000:
        return _wn(b, o, 0xD1, v, 2)
    if v >= -0x80000000:
        return _wn(b, o, 0xD2, v, 4)
    if v >= -0x8000000000000000:
        return _w64(b, o, 0xD3, v)
    raise UnsupportedError("int below -2**63")


def _w64(b, o, tag, v):
    # Two 32-bit halves: a board's viper int is 32-bit.
    o = _wn(b, o, tag, (v >> 32) & 0xFFFFFFFF, 4)
    return _wraw(b, o, v & 0xFFFFFFFF, 4)


def _flt(b, o, v):
    if FLOAT32:
        _w1(b, o + 4, 0)  # bounds check for the whole value
        b[o] = 0xCA
        _spack(">f", b, o + 1, v)
        return o + 5
    _w1(b, o + 8, 0)
    b[o] = 0xCB
    _spack(">d", b, o + 1, v)
    return o + 9


def _arr(b, o, v, d):
    if d >= MAX_DEPTH:
        raise DepthError("nesting deeper than 16")
    n = len(v)
    o = _whdr(b, o, n, 0)
    d += 1
    i = 0
    while i < n:
        o = _pk(b, o, v[i], d)
        i += 1
    return o


@micropython.native
def _map(b, o, v, d):
    if d >= MAX_DEPTH:
        raise DepthError("nesting deeper than 16")
    o = _whdr(b, o, len(v), 1)
    d += 1
    for k in v:
        if type(k) is tuple:
            raise UnsupportedError("a map key must be nil, bool, int, float, str or bin")
        o = _pk(b, o, k, d)
        o = _pk(b, o, v[k], d)
    return o


# ---------------------------------------------------------------- decoding

_pos = 0
_end = 0
_mv = None


def unpack(buf, off=0, end=None):
    """Decode the one value in buf[off:end]; it must end exactly at end."""
    global _pos, _end, _mv
    if end is None:
        end = len(buf)
    if off < 0 or off > end or end > len(buf):
        raise ValueError("range outside buffer")
    if end - off > MAX_PAYLOAD:
        raise OversizeError("payload longer than 4059 bytes")
    _mv = memoryview(buf)
    _pos = off
    _end = end
    v = _val(buf, 0)
    _mv = None
    if _pos != end:
        raise MalformedError("trailing bytes after the value")
    return v


def _val(b, d):
    global _pos
    p = _pos
    if p >= _end:
        raise TruncatedError("input ends before a value")
    c = b[p]
    _pos = p + 1
    if c < 0x80:
        return c
    if c >= 0xE0:
        return c - 0x100
    if c < 0x90:
        return _map_n(b, c & 0x0F, d)
    if c < 0xA0:
        return _arr_n(b, c & 0x0F, d)
    if c < 0xC0:
        return _str_n(c & 0x1F)
    return _tagged(b, c, d)


def _tagged(b, c, d):
    # 0xC0..0xDF: one byte of type, then a fixed-size value or a length.
    if c == 0xC0:
        return None
    if c == 0xC2:
        return False
    if c == 0xC3:
        return True
    if c == 0xC1:
        raise MalformedError("byte 0xc1 is never used")
    k = c & 0x03
    if c <= 0xC6:
        return _bin_n(_uint(b, 1 << k))
    if c <= 0xC9 or c >= 0xD4 and c <= 0xD8:
        raise UnsupportedError("ext types are not supported")
    if c == 0xCA:
        return _float(b, 4, ">f")
    if c == 0xCB:
        return _float(b, 8, ">d")
    if c <= 0xCF:
        return _uint(b, 1 << k)
    if c <= 0xD3:
        return _sint(b, k)
    if c <= 0xDB:
        return _str_n(_uint(b, 1 << (c - 0xD9)))
    if d >= MAX_DEPTH:  # the 17th container fails at its type byte, before its count
        raise DepthError("nesting deeper than 16")
    if c <= 0xDD:
        return _arr_n(b, _uint(b, 2 << (c & 1)), d)
    return _map_n(b, _uint(b, 2 << (c & 1)), d)


def _take(n):
    # Claim n bytes at the cursor; returns their offset.
    global _pos
    p = _pos
    if n > _end - p:
        raise TruncatedError("input ends inside a value")
    _pos = p + n
    return p


def _uint(b, n):
    p = _take(n)
    if n == 8:
        return (_be(b, p, 4) << 32) | _be(b, p + 4, 4)
    return _be(b, p, n)


_SIGN = (0x80, 0x8000, 0x80000000, 0x8000000000000000)


def _sint(b, k):
    v = _uint(b, 1 << k)
    s = _SIGN[k]
    if v >= s:
        v -= s << 1
    return v


def _float(b, n, fmt):
    return _sunpack(fmt, b, _take(n))[0]


def _str_n(n):
    if n > MAX_STR:
        raise OversizeError("str longer than 4059 bytes")
    p = _take(n)
    if not _utf8_ok(_mv, p, n):
        raise MalformedError("str is not valid UTF-8")
    return str(_mv[p : p + n], "utf-8")


def _bin_n(n):
    if n > MAX_STR:
        raise OversizeError("bin longer than 4059 bytes")
    p = _take(n)
    return bytes(_mv[p : p + n])


def _arr_n(b, n, d):
    if d >= MAX_DEPTH:
        raise DepthError("nesting deeper than 16")
    if n > _end - _pos:
        raise LengthError("array count larger than the bytes left")
    a = [None] * n
    d += 1
    i = 0
    while i < n:
        a[i] = _val(b, d)
        i += 1
    return a


def _map_n(b, n, d):
    if d >= MAX_DEPTH:
        raise DepthError("nesting deeper than 16")
    if n + n > _end - _pos:
        raise LengthError("map count larger than the bytes left")
    m = {}
    d += 1
    while n:
        _key_type(b)
        k = _val(b, d)
        m[k] = _val(b, d)
        n -= 1
    return m


def _key_type(b):
    # An array or map key is refused at its type byte, before depth or count.
    p = _pos
    if p < _end:
        c = b[p]
        if 0x80 <= c <= 0x9F or 0xDC <= c <= 0xDF:
            raise MalformedError("an array or map cannot be a map key")
