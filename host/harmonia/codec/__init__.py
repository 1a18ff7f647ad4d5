"""The Harmonia wire codec, host side (docs/protocol.md is the authority).

>>> from harmonia.codec import Header, REQUEST, ident, encode_frame, decode_frame
>>> hdr = Header(REQUEST, 0, seq=1, src=0x0A0B0C0D, dst=0, svc=ident("sys"), mth=ident("ping"))
>>> frame = decode_frame(encode_frame(hdr, [1, "two"]))
>>> frame.header == hdr, frame.payload
(True, [1, 'two'])

Serial links add COBS around each frame: `cobs.encode(frame)` to send, a
`Deframer` to receive.
"""

from . import cobs
from .cobs import Deframer
from .constants import (
    ACK,
    AUTH_TRAILER_SIZE,
    BEACON,
    BROADCAST,
    CRC_SIZE,
    ERROR,
    EVENT,
    FLAG_ACK_REQ,
    FLAG_AUTH,
    FLAG_FAST,
    FLAG_RESERVED,
    FLAG_RETRY,
    HEADER_SIZE,
    HOPS_MASK,
    HOPS_SHIFT,
    LINK_LOCAL,
    MAX_DEPTH,
    MAX_ENCODED_FRAME,
    MAX_FRAME,
    MAX_HOPS,
    MAX_PAYLOAD,
    MESSAGE_TYPES,
    MIN_FRAME,
    NO_ID,
    REQUEST,
    RESPONSE,
    VERSION,
)
from .crc import crc16
from .errors import (
    ERRORS,
    CobsError,
    CodecError,
    CrcError,
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    ReservedIdError,
    TruncatedError,
    UnsupportedError,
    VersionError,
)
from .frame import Frame, auth_input, check_frame, decode_frame, encode_frame, set_hops
from .header import Header
from .ids import ident
from .payload import pack, unpack
from .tagged import from_tagged, same_value, to_tagged

__all__ = [
    "ACK",
    "AUTH_TRAILER_SIZE",
    "BEACON",
    "BROADCAST",
    "CRC_SIZE",
    "ERROR",
    "ERRORS",
    "EVENT",
    "FLAG_ACK_REQ",
    "FLAG_AUTH",
    "FLAG_FAST",
    "FLAG_RESERVED",
    "FLAG_RETRY",
    "HEADER_SIZE",
    "HOPS_MASK",
    "HOPS_SHIFT",
    "LINK_LOCAL",
    "MAX_DEPTH",
    "MAX_ENCODED_FRAME",
    "MAX_FRAME",
    "MAX_HOPS",
    "MAX_PAYLOAD",
    "MESSAGE_TYPES",
    "MIN_FRAME",
    "NO_ID",
    "REQUEST",
    "RESPONSE",
    "VERSION",
    "CobsError",
    "CodecError",
    "CrcError",
    "Deframer",
    "DepthError",
    "Frame",
    "Header",
    "LengthError",
    "MalformedError",
    "OversizeError",
    "ReservedIdError",
    "TruncatedError",
    "UnsupportedError",
    "VersionError",
    "auth_input",
    "check_frame",
    "cobs",
    "crc16",
    "decode_frame",
    "encode_frame",
    "from_tagged",
    "ident",
    "pack",
    "same_value",
    "set_hops",
    "to_tagged",
    "unpack",
]
