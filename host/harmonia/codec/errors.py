"""The codec's error classes, named as in docs/protocol.md section 6.

Every decoding failure is a `CodecError`; callers that only want "drop this
frame" catch the base class, tests and counters look at the subclass.
"""

from __future__ import annotations

from ..errors import HarmoniaError


class CodecError(HarmoniaError):
    """Bytes that are not a valid frame or payload, or a value with no wire form."""


class TruncatedError(CodecError):
    """The input ends before a header, a length or a value is complete."""


class CrcError(CodecError):
    """The CRC-16 of a frame does not match its bytes."""


class CobsError(CodecError):
    """The bytes between two delimiters are not valid COBS."""


class VersionError(CodecError):
    """The frame's `ver` byte is not a protocol version this codec speaks."""


class LengthError(CodecError):
    """A length field disagrees with the bytes present."""


class DepthError(CodecError):
    """Arrays and maps are nested deeper than 16 levels."""


class OversizeError(CodecError):
    """A frame, payload, str or bin exceeds the limits of protocol.md section 5."""


class MalformedError(CodecError):
    """Unknown type, byte 0xc1, invalid UTF-8, unhashable map key or trailing bytes."""


class UnsupportedError(CodecError):
    """An ext type on the wire, or a value with no MessagePack form to encode."""


class ReservedIdError(CodecError):
    """A service, method or topic name whose id is 0, the value reserved for "none"."""


ERRORS: dict[str, type[CodecError]] = {
    cls.__name__: cls
    for cls in (
        TruncatedError,
        CrcError,
        CobsError,
        VersionError,
        LengthError,
        DepthError,
        OversizeError,
        MalformedError,
        UnsupportedError,
    )
}
"""The wire error classes by name, as the test vectors spell them."""
