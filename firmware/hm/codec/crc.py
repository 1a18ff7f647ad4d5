"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

Byte-at-a-time from a 256-entry table (512 bytes of RAM, built at import), in
viper. The plain-bytecode twin lives in tools/_bench_codec_mp.py.
"""

# ruff: noqa: F821  (ptr8, ptr16 are viper builtins)

from array import array

import micropython

from .errors import OversizeError

_len = len


@micropython.viper
def _fill(t: ptr16):
    b = 0
    while b < 256:
        c = b << 8
        k = 0
        while k < 8:
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
            k += 1
        t[b] = c
        b += 1


TABLE = array("H", bytes(512))
_fill(TABLE)


@micropython.viper
def update(c: int, p: ptr8, off: int, end: int, t: ptr16) -> int:
    """Continue CRC c over p[off:end] with table t (TABLE); no bounds check."""
    while off < end:
        c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ p[off]]
        off += 1
    return c


@micropython.viper
def crc16_at(buf, off: int, n: int) -> int:
    """CRC of buf[off:off+n]; raises OversizeError if that range is not inside buf."""
    if off < 0 or n < 0 or off + n > int(_len(buf)):
        raise OversizeError("crc range outside buffer")
    return int(update(0xFFFF, buf, off, off + n, TABLE))


@micropython.viper
def crc16(buf, n: int) -> int:
    """CRC of buf[:n]."""
    if n < 0 or n > int(_len(buf)):
        raise OversizeError("crc range outside buffer")
    return int(update(0xFFFF, buf, 0, n, TABLE))
