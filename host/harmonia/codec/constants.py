"""Wire constants of protocol v1 (docs/protocol.md sections 1 and 5)."""

from __future__ import annotations

VERSION = 1
HEADER_SIZE = 19
CRC_SIZE = 2
AUTH_TRAILER_SIZE = 16
MAX_FRAME = 4096
MAX_PAYLOAD = MAX_FRAME - HEADER_SIZE - AUTH_TRAILER_SIZE - CRC_SIZE  # 4059
MIN_FRAME = HEADER_SIZE + CRC_SIZE
MAX_ENCODED_FRAME = MAX_FRAME + -(-MAX_FRAME // 254)  # 4113, COBS form without delimiter
MAX_DEPTH = 16

BROADCAST = 0xFFFFFFFF
LINK_LOCAL = 0
NO_ID = 0

# Message types (section 1.2).
REQUEST = 1
RESPONSE = 2
ERROR = 3
EVENT = 4
BEACON = 5
ACK = 6
MESSAGE_TYPES = {
    REQUEST: "REQUEST",
    RESPONSE: "RESPONSE",
    ERROR: "ERROR",
    EVENT: "EVENT",
    BEACON: "BEACON",
    ACK: "ACK",
}

# Flag bits (section 1.3); bits 5-7 hold the hop count.
FLAG_AUTH = 0x01
FLAG_ACK_REQ = 0x02
FLAG_RETRY = 0x04
FLAG_FAST = 0x08
FLAG_RESERVED = 0x10
HOPS_SHIFT = 5
HOPS_MASK = 0xE0
MAX_HOPS = 7
