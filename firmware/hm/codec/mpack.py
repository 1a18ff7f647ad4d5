"""MessagePack payloads (protocol.md section 3) for the board.

Encoding writes into a caller buffer and emits the smallest form, byte for byte
what CPython's ``msgpack.packb(v, use_bin_type=True)`` gives. ``unpack`` (from
``_dec``) accepts every width form, checks each declared length against the
bytes left before it allocates, and raises the typed errors of ``errors``.

Hot functions keep locals + stack at 11 words or fewer so their frames stay off
the heap; the ones that cannot (dict loops) are ``@micropython.native``.
"""

from struct import pack_into as _spack

import micropython
from micropython import const

from ._bytes import w1 as _w1
from ._bytes import wbin as _wbin
from ._bytes import whdr as _whdr
from ._bytes import wn as _wn
from ._bytes import wraw as _wraw
from ._bytes import wstr as _wstr
from ._dec import unpack  # noqa: F401 - public API: mpack.unpack
from .errors import DepthError, UnsupportedError

MAX_DEPTH = const(16)
MAX_PAYLOAD = const(4059)

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
