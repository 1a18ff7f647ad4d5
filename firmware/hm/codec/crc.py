"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

Table-free byte-at-a-time form: eight shift/xor steps per byte in viper, no
512-byte table in RAM. The plain-bytecode twin lives in tools/_bench_codec_mp.py.
"""

# ruff: noqa: F821  (ptr8, ptr32, uint are viper builtins)

import micropython

from .errors import OversizeError


@micropython.viper
def crc16_at(buf, off: int, n: int) -> int:
    """CRC of buf[off:off+n]; raises OversizeError if that range is not inside buf."""
    if off < 0 or n < 0 or off + n > int(len(buf)):
        raise OversizeError("crc range outside buffer")
    p = ptr8(buf)
    c = 0xFFFF
    i = off
    end = off + n
    while i < end:
        x = ((c >> 8) ^ p[i]) & 0xFF
        x ^= x >> 4
        c = ((c << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xFFFF
        i += 1
    return c


@micropython.viper
def crc16(buf, n: int) -> int:
    """CRC of buf[:n]."""
    if n < 0 or n > int(len(buf)):
        raise OversizeError("crc range outside buffer")
    p = ptr8(buf)
    c = 0xFFFF
    i = 0
    while i < n:
        x = ((c >> 8) ^ p[i]) & 0xFF
        x ^= x >> 4
        c = ((c << 8) ^ (x << 12) ^ (x << 5) ^ x) & 0xFFFF
        i += 1
    return c
