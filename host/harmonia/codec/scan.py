"""Structural check of a MessagePack payload, run before msgpack allocates anything.

It walks only type bytes and length fields, in reading order, so the first
problem met decides the error class exactly as docs/protocol.md section 6 asks:
0xc1, ext types, truncation, lying container counts, nesting, oversize str/bin,
invalid UTF-8, container map keys and trailing bytes. Decoding proper is left
to the `msgpack` library.
"""

from __future__ import annotations

from .constants import MAX_DEPTH, MAX_PAYLOAD
from .errors import (
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
)

# Kinds of the first byte of a MessagePack object.
_FIXED = 0  # _ARG = size of the value after the type byte
_STR = 1  # _ARG = width of the length field; fixstr: -(length) - 1
_BIN = 2
_ARRAY = 3  # _ARG = width of the count field; fix forms: -(count) - 1
_MAP = 4
_EXT = 5
_NEVER = 6


def _tables() -> tuple[bytes, tuple[int, ...]]:
    kind = [_FIXED] * 256
    arg = [0] * 256
    for b in range(0x80, 0x90):
        kind[b], arg[b] = _MAP, -(b & 0x0F) - 1
    for b in range(0x90, 0xA0):
        kind[b], arg[b] = _ARRAY, -(b & 0x0F) - 1
    for b in range(0xA0, 0xC0):
        kind[b], arg[b] = _STR, -(b & 0x1F) - 1
    kind[0xC1] = _NEVER
    for b, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8), (0xCA, 4), (0xCB, 8)):
        arg[b] = size
    for b, size in ((0xD0, 1), (0xD1, 2), (0xD2, 4), (0xD3, 8)):
        arg[b] = size
    for b, width in ((0xD9, 1), (0xDA, 2), (0xDB, 4)):
        kind[b], arg[b] = _STR, width
    for b, width in ((0xC4, 1), (0xC5, 2), (0xC6, 4)):
        kind[b], arg[b] = _BIN, width
    for b, width in ((0xDC, 2), (0xDD, 4)):
        kind[b], arg[b] = _ARRAY, width
    for b, width in ((0xDE, 2), (0xDF, 4)):
        kind[b], arg[b] = _MAP, width
    for b in (0xC7, 0xC8, 0xC9, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8):
        kind[b] = _EXT
    return bytes(kind), tuple(arg)


_KIND, _ARG = _tables()


def check(data: bytes) -> None:
    """Raise the spec's error for the first problem in `data`, or return if it is sound."""
    end = len(data)
    pos = 0
    left = 1  # objects still to read at the current level
    in_map = False
    outer: list[tuple[int, bool]] = []  # (left, in_map) of the enclosing levels
    while True:
        if not left:
            if not outer:
                break
            left, in_map = outer.pop()
            continue
        if pos >= end:
            raise TruncatedError(f"payload ends at byte {pos} where a value should start")
        is_key = in_map and not left & 1
        left -= 1
        start = pos
        byte = data[pos]
        kind = _KIND[byte]
        arg = _ARG[byte]
        pos += 1
        if kind == _FIXED:
            pos += arg
            if pos > end:
                raise TruncatedError(f"payload ends inside a {arg}-byte value (type 0x{byte:02x})")
            continue
        if kind == _NEVER:
            raise MalformedError(f"byte 0xc1 (never used) at offset {start}")
        if kind == _EXT:
            raise UnsupportedError(f"ext type 0x{byte:02x} at offset {start} is not supported")
        if kind >= _ARRAY:
            if is_key:
                raise MalformedError(f"an array or map as a map key at offset {start}")
            if len(outer) >= MAX_DEPTH:
                raise DepthError(f"nesting deeper than {MAX_DEPTH} levels at offset {start}")
        if arg < 0:
            size = -arg - 1
        else:
            if pos + arg > end:
                raise TruncatedError(f"payload ends inside a length field at offset {pos}")
            size = int.from_bytes(data[pos : pos + arg], "big")
            pos += arg
        if kind >= _ARRAY:
            count = size * 2 if kind == _MAP else size
            if count > end - pos:
                raise LengthError(
                    f"container at offset {start} declares {count} elements"
                    f" but only {end - pos} bytes are left"
                )
            outer.append((left, in_map))
            left, in_map = count, kind == _MAP
            continue
        if size > MAX_PAYLOAD:
            raise OversizeError(f"str/bin of {size} bytes exceeds {MAX_PAYLOAD}")
        if pos + size > end:
            raise TruncatedError(f"payload ends inside a {size}-byte str/bin")
        if kind == _STR and size:
            try:
                data[pos : pos + size].decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = exc.reason
                raise MalformedError(f"invalid UTF-8 in str at offset {pos}: {reason}") from None
        pos += size
    if pos != end:
        raise MalformedError(f"{end - pos} trailing bytes after the payload value")
