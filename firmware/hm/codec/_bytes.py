"""Viper byte helpers for the MessagePack encoder's rarer paths and the decoder.

Every writer checks its bounds against len(buf) itself, so a viper store can
never land past the buffer. Values are stored byte by byte (a ptr8 store keeps
the low byte), which gives the same bytes whether the viper int is 32-bit
(boards) or 64-bit (unix port).
"""

# ruff: noqa: F821  (ptr8 is a viper builtin)

import micropython

from .errors import OversizeError

_len = len


@micropython.viper
def wn(buf, off: int, tag: int, v: int, n: int) -> int:
    """tag byte then the low n bytes of v, big-endian; returns the end offset."""
    end = off + 1 + n
    if end > int(_len(buf)):
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
    if end > int(_len(buf)):
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
    cap = int(_len(buf))
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
