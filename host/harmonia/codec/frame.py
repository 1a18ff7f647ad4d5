"""Whole frames: header, payload, auth trailer and CRC (docs/protocol.md section 1).

>>> from harmonia.codec import Header, RESPONSE, encode_frame, decode_frame
>>> wire = encode_frame(Header(RESPONSE, 0, 9, 0x11, 0x22, 1, 2), {"t": 21.5})
>>> decode_frame(wire).payload
{'t': 21.5}
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from .constants import (
    AUTH_TRAILER_SIZE,
    CRC_SIZE,
    FLAG_AUTH,
    HEADER_SIZE,
    HOPS_MASK,
    HOPS_SHIFT,
    MAX_FRAME,
    MAX_HOPS,
    MAX_PAYLOAD,
    MESSAGE_TYPES,
    MIN_FRAME,
    VERSION,
)
from .crc import crc16
from .errors import (
    CrcError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    VersionError,
)
from .header import Header
from .payload import pack, unpack

_HEADER = struct.Struct(">BBBHIIHHH")


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded frame; `payload` is None when `plen` is 0."""

    header: Header
    payload: Any
    auth: bytes | None = None


def encode_frame(header: Header, payload: object = None, auth: bytes | None = None) -> bytes:
    """Frame bytes (no COBS). A None payload is sent as `plen = 0`.

    `auth` (16 bytes) must be given exactly when `header.flags` has AUTH set.
    """
    if header.ver != VERSION:
        raise VersionError(f"cannot encode protocol version {header.ver}, only {VERSION}")
    if header.type not in MESSAGE_TYPES:
        raise MalformedError(f"unknown message type {header.type}")
    if (auth is not None) != bool(header.flags & FLAG_AUTH):
        raise MalformedError("give an auth trailer exactly when the header's AUTH flag is set")
    if auth is not None and len(auth) != AUTH_TRAILER_SIZE:
        raise LengthError(f"auth trailer is {len(auth)} bytes, not {AUTH_TRAILER_SIZE}")
    body = b"" if payload is None else pack(payload)
    try:
        head = _HEADER.pack(
            header.ver,
            header.type,
            header.flags,
            header.seq,
            header.src,
            header.dst,
            header.svc,
            header.mth,
            len(body),
        )
    except struct.error as exc:
        raise MalformedError(f"header field out of range: {header} ({exc})") from None
    frame = head + body + (auth or b"")
    return frame + crc16(frame).to_bytes(CRC_SIZE, "big")


def check_frame(data: bytes) -> bytes:
    """`data` if its size is within the frame limits and its CRC matches."""
    size = len(data)
    if size > MAX_FRAME:
        raise OversizeError(f"frame of {size} bytes exceeds {MAX_FRAME}")
    if size < MIN_FRAME:
        raise TruncatedError(f"frame of {size} bytes is shorter than {MIN_FRAME}")
    if crc16(data[:-CRC_SIZE]) != int.from_bytes(data[-CRC_SIZE:], "big"):
        raise CrcError("frame CRC does not match")
    return data


def decode_frame(data: bytes | bytearray | memoryview) -> Frame:
    """Check and decode one frame, in the spec's order: size, CRC, version, type, plen, payload."""
    raw = check_frame(bytes(data))
    ver, mtype, flags, seq, src, dst, svc, mth, plen = _HEADER.unpack_from(raw)
    if ver != VERSION:
        raise VersionError(f"frame has protocol version {ver}; this codec speaks {VERSION}")
    if mtype not in MESSAGE_TYPES:
        raise MalformedError(f"unknown message type {mtype}")
    trailer = AUTH_TRAILER_SIZE if flags & FLAG_AUTH else 0
    if HEADER_SIZE + plen + trailer + CRC_SIZE != len(raw):
        raise LengthError(
            f"plen {plen} (+{trailer} trailer) disagrees with a frame of {len(raw)} bytes"
        )
    if plen > MAX_PAYLOAD:
        raise OversizeError(f"payload of {plen} bytes exceeds {MAX_PAYLOAD}")
    end = HEADER_SIZE + plen
    payload = unpack(raw[HEADER_SIZE:end]) if plen else None
    auth = raw[end : end + trailer] if trailer else None
    return Frame(Header(mtype, flags, seq, src, dst, svc, mth, ver), payload, auth)


def auth_input(data: bytes) -> bytes:
    """The bytes the auth tag covers: header with HOPS zeroed, payload, nonce and counter."""
    if len(data) < HEADER_SIZE + AUTH_TRAILER_SIZE + CRC_SIZE:
        raise TruncatedError("frame too short to carry an auth trailer")
    return data[:2] + bytes((data[2] & ~HOPS_MASK,)) + data[3 : -CRC_SIZE - 8]


def set_hops(data: bytes, hops: int) -> bytes:
    """The same frame with its hop count replaced and the CRC recomputed (for bridges)."""
    if not 0 <= hops <= MAX_HOPS:
        raise ValueError(f"hop count {hops} is outside 0..{MAX_HOPS}")
    if len(data) < MIN_FRAME:
        raise TruncatedError(f"frame of {len(data)} bytes is shorter than {MIN_FRAME}")
    flags = (data[2] & ~HOPS_MASK) | (hops << HOPS_SHIFT)
    body = data[:2] + bytes((flags,)) + data[3:-CRC_SIZE]
    return body + crc16(body).to_bytes(CRC_SIZE, "big")
