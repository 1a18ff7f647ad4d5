"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

`binascii.crc_hqx` is exactly this CRC with a caller-chosen initial value, in C.

>>> hex(crc16(b"123456789"))
'0x29b1'
"""

from __future__ import annotations

from binascii import crc_hqx


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """The CRC of `data`; pass a previous result as `crc` to continue over more bytes."""
    return crc_hqx(data, crc)
