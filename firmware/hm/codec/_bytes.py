"""Viper byte helpers shared by the MessagePack encoder and decoder.

Every writer checks its bounds against len(buf) itself, so a viper store can
never land past the buffer. Values are masked byte by byte, which gives the
same bytes whether the viper int is 32-bit (boards) or 64-bit (unix port).
"""

# ruff: noqa: F821  (ptr8, ptr32, uint are viper builtins)

import micropython
from micropython import const

from .errors import OversizeError

_MAX_STR = const(4059)


@micropython.viper
def w1(buf, off: int, x: int) -> int:
    """One byte at off; returns off + 1."""
    if off + 1 > int(len(buf)):
        raise OversizeError("payload does not fit the buffer")
    p = ptr8(buf)
    p[off] = x
    return off + 1


@micropython.viper
def wn(buf, off: int, tag: int, v: int, n: int) -> int:
    """tag byte then the low n bytes of v, big-endian; returns the end offset."""
    end = off + 1 + n
    if end > int(len(buf)):
        raise OversizeError("payload does not fit the buffer")
    p = ptr8(buf)
    p[off] = tag
    i = end
    while i > off + 1:
        i -= 1
        p[i] = v
        v >>= 8
    return end


@micropython.viper
def wraw(buf, off: int, v: int, n: int) -> int:
    """The low n bytes of v, big-endian, no tag; returns the end offset."""
    end = off + n
    if end > int(len(buf)):
        raise OversizeError("payload does not fit the buffer")
    p = ptr8(buf)
    i = end
    while i > off:
        i -= 1
        p[i] = v
        v >>= 8
    return end


@micropython.viper
def whdr(buf, off: int, n: int, is_map: int) -> int:
    """Array (is_map=0) or map header of n entries, smallest form."""
    fix = 0x90
    tag16 = 0xDC
    if is_map:
        fix = 0x80
        tag16 = 0xDE
    cap = int(len(buf))
    p = ptr8(buf)
    if n < 16:
        if off + 1 > cap:
            raise OversizeError("payload does not fit the buffer")
        p[off] = fix | n
        return off + 1
    if n < 0x10000:
        if off + 3 > cap:
            raise OversizeError("payload does not fit the buffer")
        p[off] = tag16
        p[off + 1] = n >> 8
        p[off + 2] = n
        return off + 3
    if off + 5 > cap:
        raise OversizeError("payload does not fit the buffer")
    p[off] = tag16 + 1
    p[off + 1] = n >> 24
    p[off + 2] = n >> 16
    p[off + 3] = n >> 8
    p[off + 4] = n
    return off + 5


@micropython.viper
def _raw(buf, off: int, src: ptr8, n: int, small: int, tag8: int) -> int:
    # Header (smallest form) then n bytes of src. small=0xA0 for str (fixstr form),
    # 0 for bin (no fix form).
    if n > _MAX_STR:
        raise OversizeError("str/bin longer than 4059 bytes")
    h = 3
    if n < 0x100:
        h = 2
        if small and n < 32:
            h = 1
    if off + h + n > int(len(buf)):
        raise OversizeError("payload does not fit the buffer")
    p = ptr8(buf)
    if h == 1:
        p[off] = small | n
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
def utf8_len(s, uni: int) -> int:
    """Bytes in str s: MicroPython keeps str as UTF-8, len() counts code points
    when the port has unicode (uni != 0)."""
    nc = int(len(s))
    if not uni:
        return nc
    p = ptr8(s)
    i = 0
    c = 0
    while c < nc:
        x = p[i]
        if x < 0x80:
            i += 1
        elif x < 0xE0:
            i += 2
        elif x < 0xF0:
            i += 3
        else:
            i += 4
        c += 1
    return i


def wstr(buf, off, s, uni):
    return _raw(buf, off, s, utf8_len(s, uni), 0xA0, 0xD9)


def wbin(buf, off, b):
    return _raw(buf, off, b, len(b), 0, 0xC4)


@micropython.viper
def be(buf, off: int, n: int) -> uint:
    """Unsigned big-endian value of buf[off:off+n], n <= 4 (caller checked bounds)."""
    p = ptr8(buf)
    v = uint(0)
    i = off
    end = off + n
    while i < end:
        v = (v << 8) | uint(p[i])
        i += 1
    return v


@micropython.viper
def copy_be(dst, src, off: int, n: int, swap: int):
    """src[off:off+n] (big-endian) into dst[0:n] in host order: reversed when swap."""
    d = ptr8(dst)
    s = ptr8(src)
    i = 0
    while i < n:
        if swap:
            d[n - 1 - i] = s[off + i]
        else:
            d[i] = s[off + i]
        i += 1


@micropython.viper
def utf8_ok(buf, off: int, n: int) -> bool:
    """Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF."""
    p = ptr8(buf)
    i = off
    end = off + n
    while i < end:
        c = p[i]
        if c < 0x80:
            i += 1
            continue
        lo = 0x80
        hi = 0xBF
        if c < 0xC2:
            return False
        if c < 0xE0:
            k = 1
        elif c < 0xF0:
            k = 2
            if c == 0xE0:
                lo = 0xA0
            elif c == 0xED:
                hi = 0x9F
        elif c < 0xF5:
            k = 3
            if c == 0xF0:
                lo = 0x90
            elif c == 0xF4:
                hi = 0x8F
        else:
            return False
        if i + k >= end:
            return False
        x = p[i + 1]
        if x < lo or x > hi:
            return False
        j = i + 2
        i += k + 1
        while j < i:
            if (p[j] & 0xC0) != 0x80:
                return False
            j += 1
    return True
