"""Payload encoding and decoding: round trips, limits and the spec's error classes."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmonia.codec import (
    MAX_PAYLOAD,
    CodecError,
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
    pack,
    same_value,
    unpack,
)
from harmonia.codec.payload import decode_unchecked

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)
keys = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.binary(max_size=10)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)


def nested(depth: int, inner: object = 1) -> object:
    value = inner
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@given(values)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    data = pack(value)
    assert same_value(unpack(data), value)


@given(values)
def test_encoding_is_msgpack_canonical_and_stable(value: Any) -> None:
    data = pack(value)
    assert data == msgpack.packb(value, use_bin_type=True)
    assert pack(unpack(data)) == data


@given(values)
def test_every_strict_prefix_is_truncated_or_lying(value: Any) -> None:
    data = pack(value)
    for cut in range(len(data)):
        with pytest.raises((TruncatedError, LengthError)):
            unpack(data[:cut])


@given(values, st.binary(min_size=1, max_size=4))
def test_trailing_bytes_are_malformed(value: Any, extra: bytes) -> None:
    with pytest.raises(MalformedError):
        unpack(pack(value) + extra)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_give_a_value_or_a_codec_error(data: bytes) -> None:
    try:
        value = unpack(data)
    except CodecError:
        return
    assert same_value(value, decode_unchecked(data))


@given(st.binary(max_size=64))
def test_scan_never_accepts_what_msgpack_refuses(data: bytes) -> None:
    try:
        decode_unchecked(data)
    except CodecError:
        with pytest.raises(CodecError):
            unpack(data)


def test_sixteen_levels_pass_and_seventeen_are_refused_both_ways() -> None:
    assert same_value(unpack(pack(nested(16))), nested(16))
    with pytest.raises(DepthError):
        pack(nested(17))
    with pytest.raises(DepthError):
        unpack(b"\x91" * 16 + b"\x81\x00\x01")


def test_deep_nesting_fails_fast_without_recursion() -> None:
    with pytest.raises(DepthError):
        unpack(b"\x91" * 4000 + b"\x01")


@pytest.mark.parametrize(
    "value", [2**64, -(2**63) - 1, object(), {1, 2}, 1j, {(1, 2): 3}, {frozenset(): 1}]
)
def test_values_without_a_messagepack_form_are_unsupported(value: object) -> None:
    with pytest.raises(UnsupportedError):
        pack(value)


def test_int_range_edges_encode() -> None:
    assert pack(2**64 - 1) == b"\xcf" + b"\xff" * 8
    assert pack(-(2**63)) == b"\xd3\x80" + b"\x00" * 7


def test_largest_payload_fits_and_one_more_byte_is_oversize() -> None:
    assert len(pack(b"x" * (MAX_PAYLOAD - 3))) == MAX_PAYLOAD
    with pytest.raises(OversizeError):
        pack(b"x" * (MAX_PAYLOAD - 2))
    with pytest.raises(OversizeError):
        unpack(pack(b"x" * (MAX_PAYLOAD - 3)) + b"\x00")


def test_tuples_encode_as_arrays_and_decode_as_lists() -> None:
    assert unpack(pack((1, (2,)))) == [1, [2]]


def test_float32_decodes_to_float() -> None:
    value = unpack(b"\xca\x3f\xc0\x00\x00")
    assert isinstance(value, float) and value == 1.5
    assert math.isnan(unpack(b"\xca\x7f\xc0\x00\x00"))


def test_buffer_types_are_accepted() -> None:
    data = pack({"a": [1, 2]})
    assert unpack(bytearray(data)) == unpack(memoryview(data)) == {"a": [1, 2]}


def test_lying_counts_are_refused_before_allocation() -> None:
    for header in (b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xdc\xff\xff"):
        with pytest.raises(LengthError):
            unpack(header + b"\x01\x02\x03")


def test_errors_say_where() -> None:
    with pytest.raises(MalformedError, match="offset 2"):
        unpack(b"\x92\x01\xc1")
