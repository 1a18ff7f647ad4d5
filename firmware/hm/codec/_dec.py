"""MessagePack decoding for the board (protocol.md section 3); see ``mpack``.

Every width form is accepted; each declared length is checked against the bytes
left before anything is allocated; errors are decided in reading order (the
readings pinned in tests/vectors/README.md). The cursor is module state, so
decoding is not reentrant (it never yields, so asyncio tasks cannot interleave).
The ``r_*`` readers decode one value of a known kind for fast shapes.
"""

import sys
from array import array

from micropython import const

from ._bytes import be as _be
from ._bytes import copy_be as _copy_be
from ._bytes import utf8_ok as _utf8_ok
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

_pos = 0
_end = 0
_src = b""
_mv = None  # memoryview of _src, made on the first str/bin
# Floats are read by copying their bytes into a one-element array: no tuple, no struct.
_f64 = array("d", [0.0])
_f32 = array("f", [0.0])
_LE = 1 if sys.byteorder == "little" else 0


def begin(buf, off, end):
    """Point the cursor at buf[off:end] (one payload); returns off."""
    global _pos, _end, _src, _mv
    if off < 0 or off > end or end > len(buf):
        raise ValueError("range outside buffer")
    if end - off > MAX_PAYLOAD:
        raise OversizeError("payload longer than 4059 bytes")
    _src = buf
    _mv = None  # a decode that raised left the previous buffer's view here
    _pos = off
    _end = end
    return off


def finish():
    """The value must have ended exactly at the end of the payload."""
    global _mv, _src
    _mv = None
    _src = b""
    if _pos != _end:
        raise MalformedError("trailing bytes after the value")


def unpack(buf, off=0, end=None):
    """Decode the one value in buf[off:end]; it must end exactly at end."""
    if end is None:
        end = len(buf)
    begin(buf, off, end)
    v = _val(buf, 0)
    finish()
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
        return _float(b, 4)
    if c == 0xCB:
        return _float(b, 8)
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


def _float(b, n):
    a = _f64 if n == 8 else _f32
    _copy_be(a, b, _take(n), n, _LE)
    return a[0]


def _view(p, n):
    global _mv
    mv = _mv
    if mv is None:
        mv = _mv = memoryview(_src)
    return mv[p : p + n]


def _str_n(n):
    if n > MAX_STR:
        raise OversizeError("str longer than 4059 bytes")
    p = _take(n)
    if not _utf8_ok(_src, p, n):
        raise MalformedError("str is not valid UTF-8")
    return str(_view(p, n), "utf-8")


def _bin_n(n):
    if n > MAX_STR:
        raise OversizeError("bin longer than 4059 bytes")
    p = _take(n)
    return bytes(_view(p, n))


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


# ---------------------------------------------------------------- fast-shape readers


def _next():
    global _pos
    p = _pos
    if p >= _end:
        raise TruncatedError("input ends before a value")
    _pos = p + 1
    return _src[p]


def _mismatch():
    return MalformedError("payload does not match the declared shape")


def r_array(b, n):
    """An array header announcing exactly n elements, any width form."""
    c = _next()
    if c == 0x90 | n and n < 16:
        return n
    if (c == 0xDC or c == 0xDD) and _uint(b, 2 << (c & 1)) == n:
        return n
    raise _mismatch()


def r_int(b):
    c = _next()
    if c < 0x80:
        return c
    if c >= 0xE0:
        return c - 0x100
    if 0xCC <= c <= 0xCF:
        return _uint(b, 1 << (c & 3))
    if 0xD0 <= c <= 0xD3:
        return _sint(b, c & 3)
    raise _mismatch()


def r_float(b):
    c = _next()
    if c == 0xCB:
        return _float(b, 8)
    if c == 0xCA:
        return _float(b, 4)
    raise _mismatch()


def r_str(b):
    c = _next()
    if 0xA0 <= c <= 0xBF:
        return _str_n(c & 0x1F)
    if 0xD9 <= c <= 0xDB:
        return _str_n(_uint(b, 1 << (c - 0xD9)))
    raise _mismatch()


def r_bin(b):
    c = _next()
    if 0xC4 <= c <= 0xC6:
        return _bin_n(_uint(b, 1 << (c & 3)))
    raise _mismatch()


def r_bool(b):
    c = _next()
    if c == 0xC3:
        return True
    if c == 0xC2:
        return False
    raise _mismatch()


def r_any(b):
    return _val(b, 1)
