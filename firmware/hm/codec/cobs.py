"""COBS framing for serial links (protocol.md 2.1), into caller buffers.

Both directions are viper loops over raw pointers; every write is bounded by
len(dst) so a lying or overlong input can never write past the buffer.
"""

# ruff: noqa: F821  (ptr8, ptr32, uint are viper builtins)

import micropython

from .errors import CobsError, OversizeError


def max_encoded(n):
    """Bytes encode_into may write for n input bytes, delimiter included."""
    return n + n // 254 + 2


@micropython.viper
def encode_into(src, n: int, dst) -> int:
    """COBS of src[:n] followed by the 0x00 delimiter into dst; returns bytes written."""
    if n < 0 or n > int(len(src)):
        raise OversizeError("cobs source range outside buffer")
    if n + n // 254 + 2 > int(len(dst)):
        raise OversizeError("cobs destination too small")
    s = ptr8(src)
    d = ptr8(dst)
    cp = 0
    o = 1
    code = 1
    i = 0
    while i < n:
        b = s[i]
        i += 1
        if b:
            d[o] = b
            o += 1
            code += 1
            if code == 0xFF:
                d[cp] = 0xFF
                code = 1
                cp = o
                if i < n:
                    o += 1
        else:
            d[cp] = code
            code = 1
            cp = o
            o += 1
    d[cp] = code  # when a 254-byte block ended the input, cp == o and the 0 overwrites it
    d[o] = 0
    return o + 1


@micropython.viper
def decode_into(src, n: int, dst) -> int:
    """Decode the COBS run src[:n] (no delimiter) into dst; returns the decoded length."""
    if n < 0 or n > int(len(src)):
        raise OversizeError("cobs source range outside buffer")
    if n == 0:
        raise CobsError("empty COBS run")
    cap = int(len(dst))
    s = ptr8(src)
    d = ptr8(dst)
    i = 0
    o = 0
    while i < n:
        code = s[i]
        if code == 0:
            raise CobsError("zero byte inside a COBS run")
        end = i + code
        if end > n:
            raise CobsError("COBS block runs past the end")
        i += 1
        if o + code - 1 > cap:
            raise OversizeError("decoded frame larger than the buffer")
        while i < end:
            b = s[i]
            if b == 0:
                raise CobsError("zero byte inside a COBS run")
            d[o] = b
            o += 1
            i += 1
        if code < 0xFF and i < n:
            if o >= cap:
                raise OversizeError("decoded frame larger than the buffer")
            d[o] = 0
            o += 1
    return o
