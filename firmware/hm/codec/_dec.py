"""MessagePack decoding for the board (protocol.md section 3); see ``mpack``.

Every width form is accepted; each declared length is checked against the bytes
left before anything is allocated; errors are decided in reading order (the
readings pinned in tests/vectors/README.md). ``_dv`` is one viper function that
decodes the value at a position into a slot of a list (``out[i]``), so ints and
containers never need boxing helpers, and returns the next position; containers
recurse viper-to-viper. Only new str, bytes and lists and 64-bit ints are made
in bytecode helpers.
"""

# ruff: noqa: F821  (ptr8, uint are viper builtins)

import sys
from array import array

import micropython
from micropython import const

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
_MAX_STR = const(4059)

# Value kinds a fast shape may declare (shape.py); K_ANY accepts every value.
K_ANY = const(0)
K_INT = const(1)
K_FLOAT = const(2)
K_STR = const(3)
K_BIN = const(4)
K_BOOL = const(5)

_LE = sys.byteorder == "little"
_f64 = array("d", [0.0])
_f32 = array("f", [0.0])
_none = None
_true = True
_false = False
_len = len
_top = [None]  # the slot a top-level value is decoded into
_CUT = "input ends inside a value"


@micropython.native
def unpack(buf, off=0, end=None):
    """Decode the one value in buf[off:end]; it must end exactly at end."""
    if end is None:
        end = _len(buf)
    check_range(buf, off, end)
    top = _top
    pos = _dv(buf, off, end, top, 0, 0)
    v = top[0]
    top[0] = None
    if pos != end:
        raise MalformedError("trailing bytes after the value")
    return v


def check_range(buf, off, end):
    """The payload range must lie in buf, hold at most 4059 bytes, and not be empty."""
    if off < 0 or off > end or end > _len(buf):
        raise ValueError("range outside buffer")
    if end - off > MAX_PAYLOAD:
        raise OversizeError("payload longer than 4059 bytes")
    if off == end:
        raise TruncatedError("input ends before a value")


def _nones(n):
    return [None] * n


def _str(buf, pos, n):
    return str(memoryview(buf)[pos : pos + n], "utf-8")


def _bin(buf, pos, n):
    return bytes(memoryview(buf)[pos : pos + n])


def _u64(hi, lo):
    return (hi << 32) | lo


def _s64(hi, lo):
    v = (hi << 32) | lo
    return v - (1 << 64) if hi & 0x80000000 else v


@micropython.viper
def _dv(buf, pos: int, end: int, out, i: int, d: int) -> int:
    # Decode the value at buf[pos:end] into out[i] (d = containers around it);
    # returns the position after it.
    if pos >= end:
        raise TruncatedError("input ends before a value")
    p = ptr8(buf)
    c = p[pos]
    pos += 1
    if c < 0x80:
        out[i] = c
        return pos
    if c >= 0xE0:
        out[i] = c - 0x100
        return pos
    if c >= 0xA0 and c < 0xC0:
        return int(_dstr(buf, pos, end, out, i, c & 0x1F))
    if c < 0xA0 or c >= 0xDC:  # a container: depth is decided at its type byte
        if d >= MAX_DEPTH:
            raise DepthError("nesting deeper than 16")
        n = c & 0x0F
        if c >= 0xDC:
            w = 2 << (c & 1)
            if pos + w > end:
                raise TruncatedError(_CUT)
            n = (p[pos] << 8) | p[pos + 1]
            if w == 4:
                n = (n << 16) | (p[pos + 2] << 8) | p[pos + 3]
            pos += w
        left = uint(end - pos)
        if c < 0x90 or c >= 0xDE:
            if uint(n) > left >> 1:  # a map of n pairs holds 2n elements
                raise LengthError("map count larger than the bytes left")
            return int(_dmap(buf, pos, end, out, i, d + 1, n))
        if uint(n) > left:
            raise LengthError("array count larger than the bytes left")
        a = _nones(n)
        j = 0
        d += 1
        while j < n:
            pos = int(_dv(buf, pos, end, a, j, d))
            j += 1
        out[i] = a
        return pos
    if c == 0xC0:
        out[i] = _none
        return pos
    if c == 0xC2:
        out[i] = _false
        return pos
    if c == 0xC3:
        out[i] = _true
        return pos
    if c == 0xC1:
        raise MalformedError("byte 0xc1 is never used")
    if c <= 0xC9 and c >= 0xC7 or c >= 0xD4 and c <= 0xD8:
        raise UnsupportedError("ext types are not supported")
    # Fixed-size values and lengths: w bytes follow the type byte.
    if c <= 0xC6:
        w = 1 << (c - 0xC4)
    elif c == 0xCA:
        w = 4
    elif c == 0xCB:
        w = 8
    elif c <= 0xD3:
        w = 1 << (c & 3)
    else:
        w = 1 << (c - 0xD9)
    if pos + w > end:
        raise TruncatedError(_CUT)
    if c == 0xCA or c == 0xCB:
        a = _f64 if w == 8 else _f32
        f = ptr8(a)
        last = 0
        if _LE:  # the array holds the float in host order
            last = w - 1
        k = 0
        while k < w:
            f[last - k if last else k] = p[pos + k]
            k += 1
        out[i] = a[0]
        return pos + w
    if c >= 0xD0 and c <= 0xD3:  # signed: sign-extend the top byte, then shift in the rest
        x = (p[pos] ^ 0x80) - 0x80
        k = 1
        while k < w and k < 4:
            x = (x << 8) | p[pos + k]
            k += 1
        if w == 8:
            out[i] = _s64(_be32(buf, pos), _be32(buf, pos + 4))
        else:
            out[i] = x
        return pos + w
    u = uint(0)
    k = 0
    while k < w and k < 4:
        u = (u << 8) | uint(p[pos + k])
        k += 1
    if c >= 0xCC and c <= 0xCF:
        if w == 8:
            out[i] = _u64(u, _be32(buf, pos + 4))
        else:
            out[i] = u
        return pos + w
    pos += w
    if c <= 0xC6:
        if u > uint(_MAX_STR):
            raise OversizeError("bin longer than 4059 bytes")
        if u > uint(end - pos):
            raise TruncatedError(_CUT)
        out[i] = _bin(buf, pos, u)
        return pos + int(u)
    return int(_dstr(buf, pos, end, out, i, u))


@micropython.viper
def _be32(buf, pos: int) -> uint:
    p = ptr8(buf)
    return (
        (uint(p[pos]) << 24) | (uint(p[pos + 1]) << 16) | (uint(p[pos + 2]) << 8) | uint(p[pos + 3])
    )


@micropython.viper
def _dstr(buf, pos: int, end: int, out, i: int, n: uint) -> int:
    # A str of n bytes at pos: oversize first, then truncation, then UTF-8.
    if n > uint(_MAX_STR):
        raise OversizeError("str longer than 4059 bytes")
    if n > uint(end - pos):
        raise TruncatedError(_CUT)
    if not _utf8_ok(buf, pos, n):
        raise MalformedError("str is not valid UTF-8")
    out[i] = _str(buf, pos, n)
    return pos + int(n)


@micropython.viper
def _dmap(buf, pos: int, end: int, out, i: int, d: int, n: int) -> int:
    # n pairs at pos; out[i] doubles as the slot each key and value is decoded into.
    p = ptr8(buf)
    m = {}
    j = 0
    while j < n:
        if pos < end:
            c = p[pos]
            if c >= 0x80 and c <= 0x9F or c >= 0xDC and c <= 0xDF:
                raise MalformedError("an array or map cannot be a map key")
        pos = int(_dv(buf, pos, end, out, i, d))
        k = out[i]
        pos = int(_dv(buf, pos, end, out, i, d))
        m[k] = out[i]
        j += 1
    out[i] = m
    return pos


@micropython.viper
def read_shape(buf, pos: int, end: int, out, kinds: ptr8, n: int) -> int:
    """An array of exactly n values of the declared kinds (K_*) at buf[pos:end], into
    out[0:n]; returns the position after it. MalformedError for any other shape."""
    if pos >= end:
        raise TruncatedError("input ends before a value")
    p = ptr8(buf)
    c = p[pos]
    pos += 1
    m = -1
    if c >= 0x90 and c <= 0x9F:
        m = c & 0x0F
    elif c == 0xDC or c == 0xDD:
        w = 2 << (c & 1)
        if pos + w > end:
            raise TruncatedError(_CUT)
        m = (p[pos] << 8) | p[pos + 1]
        if w == 4:
            m = (m << 16) | (p[pos + 2] << 8) | p[pos + 3]
        pos += w
    if m != n:
        raise MalformedError("payload does not match the declared shape")
    i = 0
    while i < n:
        kind = kinds[i]
        if pos < end and kind != K_ANY:
            c = p[pos]
            if kind == K_INT:
                ok = c < 0x80 or c >= 0xE0 or c >= 0xCC and c <= 0xD3
            elif kind == K_FLOAT:
                ok = c == 0xCA or c == 0xCB
            elif kind == K_STR:
                ok = c >= 0xA0 and c < 0xC0 or c >= 0xD9 and c <= 0xDB
            elif kind == K_BIN:
                ok = c >= 0xC4 and c <= 0xC6
            else:
                ok = c == 0xC2 or c == 0xC3
            if not ok:
                raise MalformedError("payload does not match the declared shape")
        pos = int(_dv(buf, pos, end, out, i, 1))
        i += 1
    return pos
