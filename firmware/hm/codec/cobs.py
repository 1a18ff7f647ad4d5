"""COBS framing for serial links (protocol.md 2.1), into caller buffers.

Both directions are viper loops over raw pointers; every write is bounded by
len(dst) so a lying or overlong input can never write past the buffer.
"""

# ruff: noqa: F821  (ptr8, ptr16 are viper builtins)

from array import array

import micropython

from .crc import TABLE as _TABLE
from .errors import CobsError, OversizeError

_len = len
_sink = array("H", [0])


def max_encoded(n):
    """Bytes encode_into may write for n input bytes, delimiter included."""
    return n + n // 254 + 2


@micropython.viper
def encode_into(src, n: int, dst) -> int:
    """COBS of src[:n] followed by the 0x00 delimiter into dst; returns bytes written."""
    if n < 0 or n > int(_len(src)):
        raise OversizeError("cobs source range outside buffer")
    if n + n // 254 + 2 > int(_len(dst)):
        raise OversizeError("cobs destination too small")
    return int(_encode(0, 1, 1, n, src, dst))


@micropython.viper
def _encode(i: int, o: int, code: int, n: int, s: ptr8, d: ptr8) -> int:
    # The loop's own variables come first: viper keeps its first locals in registers.
    cp = 0
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
    """Decode the COBS run src[:n] into dst; returns the decoded length.

    One trailing 0x00 delimiter is allowed and dropped; an empty run, a zero
    inside the run or a block running past its end is a CobsError.
    """
    return int(decode_crc_into(src, n, dst, _sink))


@micropython.viper
def decode_crc_into(src, n: int, dst, crc_out: ptr16) -> int:
    """decode_into that also leaves the CRC-16 of the decoded bytes in crc_out[0].

    A frame ends in the big-endian CRC of the bytes before it, so the CRC over a
    whole intact frame is 0: a receiver checks its CRC in the same pass.
    """
    if n < 0 or n > int(_len(src)):
        raise OversizeError("cobs source range outside buffer")
    s = ptr8(src)
    if n > 0 and s[n - 1] == 0:
        n -= 1
    if n == 0:
        raise CobsError("empty COBS run")
    cap = int(_len(dst))
    d = ptr8(dst)
    t = ptr16(_TABLE)
    i = 0
    o = 0
    c = 0xFFFF
    # Blocks of (code, code-1 data bytes), an implied zero after each short block
    # but the last; the CRC runs over the output as it is written.
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
        q = ptr8(int(d) + o - i)  # q[i] is d[o] for the bytes of this block
        while i < end:
            b = s[i]
            if b == 0:
                raise CobsError("zero byte inside a COBS run")
            q[i] = b
            c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ b]
            i += 1
        o += code - 1
        if code < 0xFF and i < n:
            if o >= cap:
                raise OversizeError("decoded frame larger than the buffer")
            d[o] = 0
            c = ((c << 8) & 0xFFFF) ^ t[c >> 8]
            o += 1
    crc_out[0] = c
    return o
