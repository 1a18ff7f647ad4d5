"""Service, method and topic ids (docs/protocol.md section 4).

>>> hex(ident("sys"))
'0xb1f1'
"""

from __future__ import annotations

from .crc import crc16
from .errors import ReservedIdError


def ident(name: str) -> int:
    """CRC-16/CCITT-FALSE of the UTF-8 name; a name hashing to 0 (reserved) is refused."""
    value = crc16(name.encode("utf-8"))
    if value == 0:
        raise ReservedIdError(f"name {name!r} hashes to id 0, which means 'none': rename it")
    return value
