"""MessagePack payloads (docs/protocol.md section 3), via the `msgpack` library.

>>> pack([1, "a", b"\\x00"]).hex()
'9301a161c40100'
>>> unpack(bytes.fromhex("9301a161c40100"))
[1, 'a', b'\\x00']
"""

from __future__ import annotations

from typing import Any

import msgpack  # type: ignore[import-untyped]

from .constants import MAX_DEPTH, MAX_PAYLOAD
from .errors import (
    CodecError,
    DepthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
)
from .scan import check

_NESTED = (list, tuple, dict)
_KEY_TYPES = (type(None), bool, int, float, str, bytes, bytearray, memoryview)


def pack(value: object) -> bytes:
    """The canonical (smallest-form) MessagePack encoding of `value`."""
    _check_value(value)
    try:
        data: bytes = msgpack.packb(value, use_bin_type=True)
    except OverflowError:
        raise UnsupportedError("int outside [-2**63, 2**64-1] has no MessagePack form") from None
    except (TypeError, ValueError) as exc:
        raise UnsupportedError(f"value has no MessagePack form: {exc}") from None
    if len(data) > MAX_PAYLOAD:
        raise OversizeError(f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD}")
    return data


def unpack(data: bytes | bytearray | memoryview) -> Any:
    """Decode one payload that fills `data` exactly; raise a `CodecError` subclass if bad."""
    raw = bytes(data)
    if len(raw) > MAX_PAYLOAD:
        raise OversizeError(f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD}")
    check(raw)
    return decode_unchecked(raw)


def _refuse_ext(code: int, data: bytes) -> Any:
    raise UnsupportedError(f"ext type {code} is not supported")


def decode_unchecked(raw: bytes) -> Any:
    """msgpack's decoding with its exceptions mapped to ours, without the structural check.

    Lengths are still bounded by the payload size, so nothing large is allocated;
    only `unpack` gives the spec's error for lying counts and deep nesting, and
    refuses the timestamp ext (-1), which msgpack decodes without calling `ext_hook`.
    """
    try:
        return msgpack.unpackb(
            raw,
            raw=False,
            strict_map_key=False,
            use_list=True,
            ext_hook=_refuse_ext,
            max_str_len=MAX_PAYLOAD,
            max_bin_len=MAX_PAYLOAD,
            max_array_len=MAX_PAYLOAD,
            max_map_len=MAX_PAYLOAD // 2,
            max_ext_len=MAX_PAYLOAD,
        )
    except CodecError:
        raise
    except msgpack.ExtraData:
        raise MalformedError("trailing bytes after the payload value") from None
    except msgpack.StackError:
        raise DepthError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except msgpack.FormatError:
        raise MalformedError("byte 0xc1 (never used) in payload") from None
    except UnicodeDecodeError as exc:
        raise MalformedError(f"invalid UTF-8 in str: {exc.reason}") from None
    except TypeError as exc:
        raise MalformedError(f"unhashable map key: {exc}") from None
    except ValueError as exc:
        if "incomplete" in str(exc):
            raise TruncatedError("payload ends before its value is complete") from None
        if "exceeds max" in str(exc):
            raise OversizeError(f"payload declares a length past the limits: {exc}") from None
        raise MalformedError(f"not a MessagePack payload: {exc}") from None


def _check_value(value: object) -> None:
    """Refuse nesting the decoder would refuse, and container map keys, before packing."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple)):
            children: Any = item
        elif isinstance(item, dict):
            for key in item:
                if not isinstance(key, _KEY_TYPES):
                    raise UnsupportedError(f"map key of type {type(key).__name__} is not allowed")
            children = item.values()
        else:
            continue
        if depth > MAX_DEPTH:
            raise DepthError(f"value nests deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, _NESTED))
