"""MessagePack payloads (protocol.md section 3) for the board.

Encoding writes into a caller buffer and emits the smallest form, byte for byte
what CPython's ``msgpack.packb(v, use_bin_type=True)`` gives. ``unpack`` (from
``_dec``) accepts every width form, checks each declared length against the
bytes left before it allocates, and raises the typed errors of ``errors``.

The encoder is one viper function: the type test, the smallest-form choice and
the byte stores happen in machine code, one call encodes all the items of a list
(a nested list recurses viper-to-viper, the cheapest call there is), and the
globals it needs per item are fetched once per call. Builtins are reached through
module aliases: a builtin name is a linear search of the builtins table at every
use (~800 instructions on the unix port).
"""

# ruff: noqa: F821  (ptr8 is a viper builtin)

import sys
from array import array

import micropython
from micropython import const

from ._bytes import whdr as _whdr
from ._bytes import wn as _wn
from ._bytes import wraw as _wraw
from ._dec import unpack  # noqa: F401 - public API: mpack.unpack
from .errors import DepthError, OversizeError, UnsupportedError

MAX_DEPTH = const(16)
MAX_PAYLOAD = const(4059)
_MAX_STR = const(4059)

# A board whose float is 32-bit emits float32 (protocol.md section 3).
FLOAT32 = 1.0 + 1e-10 == 1.0
# len(str) counts code points on ports with unicode, bytes otherwise.
_UNI = len("\u00e9") == 1
_LE = sys.byteorder == "little"
# Ints in [_NSMALL, _SMALL] (the platform's small-int range, so comparing to these
# never touches a long int) convert to a viper int exactly; others take bytecode.
_NSMALL = -(1 << 62) if sys.maxsize > 0xFFFFFFFF else -(1 << 30)
_SMALL = -1 - _NSMALL

_type = type
_len = len
_isinstance = isinstance
_int_t = int
_str_t = str
_float_t = float
_list_t = list
_tuple_t = tuple
_bytes_t = bytes
_bytearray_t = bytearray
_memoryview_t = memoryview
_dict_t = dict
_bool_t = bool
_none = None
_true = True
_false = False
_f64 = array("d", [0.0])
_f32 = array("f", [0.0])

_FIT = "payload does not fit the buffer"
# The type a fast-shape kind (_dec.K_*) requires; bin also takes bytearray/memoryview.
_KIND_TYPES = (None, int, float, str, bytes, bool)
_scratch = None


def pack_into(buf, off, obj):
    """Encode obj at buf[off:]; returns the end offset (OversizeError if it does not fit)."""
    return _pk(buf, off, obj, -1, 0, len(buf))


def pack(obj):
    """Encode obj to a new bytes object (at most MAX_PAYLOAD bytes)."""
    global _scratch
    if _scratch is None:
        _scratch = bytearray(MAX_PAYLOAD)
    n = _pk(_scratch, 0, obj, -1, 0, MAX_PAYLOAD)
    return bytes(memoryview(_scratch)[:n])


@micropython.viper
def _pk(buf, off: int, x, n: int, d: int, cap: int) -> int:
    # Encode x (n < 0) or x[0], ..., x[n-1] one after another (a list's items) at
    # buf[off:cap], d containers deep; returns the end offset. Scalars are written
    # here; a nested list recurses once for all its items.
    p = ptr8(buf)
    ty = _type
    int_t = _int_t
    str_t = _str_t
    float_t = _float_t
    cnt = n
    if n < 0:
        cnt = 1
    i = 0
    while i < cnt:
        v = x
        if n >= 0:
            v = x[i]
        i += 1
        t = ty(v)
        if t is int_t:
            if v > _SMALL or v < _NSMALL:
                off = int(_big(buf, off, v))  # its writers check against len(buf) == cap
                continue
            w = int(v)  # exact: v is in the small-int range
            if w >= 0:
                if w < 0x80:
                    k = 0
                    tag = w
                elif w < 0x100:
                    k = 1
                    tag = 0xCC
                elif w < 0x10000:
                    k = 2
                    tag = 0xCD
                elif (w >> 16) >> 16 == 0:
                    k = 4
                    tag = 0xCE
                else:
                    k = 8
                    tag = 0xCF
            elif w >= -32:
                k = 0
                tag = w & 0xFF
            elif w >= -0x80:
                k = 1
                tag = 0xD0
            elif w >= -0x8000:
                k = 2
                tag = 0xD1
            elif (w >> 16) >> 15 == -1:
                k = 4
                tag = 0xD2
            else:
                k = 8
                tag = 0xD3
            end = off + 1 + k
            if end > cap:
                raise OversizeError(_FIT)
            p[off] = tag
            j = end
            while j > off + 1:
                j -= 1
                p[j] = w
                w >>= 8
            off = end
        elif t is str_t:
            s = ptr8(v)
            nc = int(_len(v))
            k = nc
            if _UNI:  # bytes from the lead byte of each code point
                k = 0
                c = 0
                while c < nc:
                    b = s[k]
                    if b < 0x80:
                        k += 1
                    elif b < 0xE0:
                        k += 2
                    elif b < 0xF0:
                        k += 3
                    else:
                        k += 4
                    c += 1
            off = int(_raw(buf, off, v, k, cap, 0xD9))
        elif t is float_t:
            off = int(_float(buf, off, v, cap))
        elif t is _list_t or t is _tuple_t:
            if d >= MAX_DEPTH:
                raise DepthError("nesting deeper than 16")
            k = int(_len(v))
            off = int(_whdr(buf, off, k, 0))
            off = int(_pk(buf, off, v, k, d + 1, cap))
        elif v is _none or t is _bool_t:
            if off >= cap:
                raise OversizeError(_FIT)
            p[off] = 0xC0
            if v is _true:
                p[off] = 0xC3
            elif v is _false:
                p[off] = 0xC2
            off += 1
        elif t is _bytes_t or t is _bytearray_t or t is _memoryview_t:
            off = int(_raw(buf, off, v, int(_len(v)), cap, 0xC4))
        elif _isinstance(v, _dict_t):
            off = int(_map(buf, off, v, d, cap))
        else:
            raise UnsupportedError("no MessagePack form for this type")
    return off


@micropython.viper
def _raw(buf, off: int, src: ptr8, n: int, cap: int, tag8: int) -> int:
    # str (tag8 0xD9, fixstr below 32) or bin (tag8 0xC4) header, then n bytes of src.
    if n > _MAX_STR:
        raise OversizeError("str/bin longer than 4059 bytes")
    p = ptr8(buf)
    if tag8 == 0xD9 and n < 32:
        h = 1
    elif n < 0x100:
        h = 2
    else:
        h = 3
    if off + h + n > cap:
        raise OversizeError(_FIT)
    if h == 1:
        p[off] = 0xA0 | n
    elif h == 2:
        p[off] = tag8
        p[off + 1] = n
    else:
        p[off] = tag8 + 1
        p[off + 1] = n >> 8
        p[off + 2] = n
    o = off + h
    i = 0
    while i < n:
        p[o + i] = src[i]
        i += 1
    return o + n


@micropython.viper
def _float(buf, off: int, v, cap: int) -> int:
    # float64 (float32 on a board whose float is 32-bit), big-endian, from an array's bytes.
    n = 8
    a = _f64
    if FLOAT32:
        n = 4
        a = _f32
    if off + 1 + n > cap:
        raise OversizeError(_FIT)
    a[0] = v
    s = ptr8(a)
    p = ptr8(buf)
    p[off] = 0xCB if n == 8 else 0xCA
    i = 0
    if _LE:
        while i < n:
            p[off + 1 + i] = s[n - 1 - i]
            i += 1
    else:
        while i < n:
            p[off + 1 + i] = s[i]
            i += 1
    return off + 1 + n


def _big(b, o, v):
    # Ints beyond the viper int: bytecode range checks on the Python int.
    if v >= 0:
        if v < 0x100000000:
            return _wn(b, o, 0xCE, v, 4)
        if v < 0x10000000000000000:
            return _w64(b, o, 0xCF, v)
        raise UnsupportedError("int above 2**64-1")
    if v >= -0x80000000:
        return _wn(b, o, 0xD2, v, 4)
    if v >= -0x8000000000000000:
        return _w64(b, o, 0xD3, v)
    raise UnsupportedError("int below -2**63")


def _w64(b, o, tag, v):
    # Two 32-bit halves: a board's viper int is 32-bit.
    o = _wn(b, o, tag, (v >> 32) & 0xFFFFFFFF, 4)
    return _wraw(b, o, v & 0xFFFFFFFF, 4)


@micropython.viper
def pack_kinds(buf, off: int, vals, n: int, kinds: ptr8, cap: int) -> int:
    """The array of the n values vals[0:n], each of the declared kind (shape codes,
    ``_dec.K_*``); UnsupportedError for a value of another type. Same bytes as
    pack_into(vals)."""
    ty = _type
    kt = _KIND_TYPES
    i = 0
    while i < n:
        t = ty(vals[i])
        k = kinds[i]
        bin_like = t is _bytearray_t or t is _memoryview_t
        if k != 0 and t is not kt[k] and not (k == 4 and bin_like):
            raise UnsupportedError("value does not match the shape")
        i += 1
    off = int(_whdr(buf, off, n, 0))
    return int(_pk(buf, off, vals, n, 1, cap))


@micropython.native
def _map(b, o, v, d, cap):
    if d >= MAX_DEPTH:
        raise DepthError("nesting deeper than 16")
    o = _whdr(b, o, _len(v), 1)
    d += 1
    for k in v:
        if _type(k) is _tuple_t:
            raise UnsupportedError("a map key must be nil, bool, int, float, str or bin")
        o = _pk(b, o, k, -1, d, cap)
        o = _pk(b, o, v[k], -1, d, cap)
    return o
