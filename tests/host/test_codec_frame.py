"""Frames: header fields, AUTH trailer, hop count, limits and the order of checks."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmonia.codec import (
    ACK,
    AUTH_TRAILER_SIZE,
    BROADCAST,
    EVENT,
    FLAG_AUTH,
    MAX_FRAME,
    MAX_PAYLOAD,
    REQUEST,
    CrcError,
    Header,
    LengthError,
    MalformedError,
    OversizeError,
    VersionError,
    auth_input,
    crc16,
    decode_frame,
    encode_frame,
    same_value,
    set_hops,
)

AUTH = bytes(range(AUTH_TRAILER_SIZE))
payloads = st.recursive(
    st.none() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20) | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@st.composite
def headers_and_auth(draw: st.DrawFn) -> tuple[Header, bytes | None]:
    u16, u32 = st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
    flags = draw(st.integers(0, 0xFF))
    header = Header(
        draw(st.integers(1, 6)), flags, draw(u16), draw(u32), draw(u32), draw(u16), draw(u16)
    )
    auth = draw(st.binary(min_size=16, max_size=16)) if flags & FLAG_AUTH else None
    return header, auth


@given(headers_and_auth(), payloads)
def test_frame_round_trip(hdr_auth: tuple[Header, bytes | None], payload: Any) -> None:
    header, auth = hdr_auth
    data = encode_frame(header, payload, auth)
    frame = decode_frame(data)
    assert frame.header == header and frame.auth == auth
    assert same_value(frame.payload, payload)
    assert len(data) <= MAX_FRAME


@given(headers_and_auth(), payloads, st.data())
def test_any_single_byte_change_is_a_crc_error(
    hdr_auth: tuple[Header, bytes | None], payload: Any, data: st.DataObject
) -> None:
    raw = bytearray(encode_frame(hdr_auth[0], payload, hdr_auth[1]))
    raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CrcError):
        decode_frame(bytes(raw))


def test_header_layout_is_big_endian_in_spec_order() -> None:
    data = encode_frame(Header(REQUEST, 0x22, 0x0102, 0x03040506, 0x0708090A, 0x0B0C, 0x0D0E), 5)
    assert data[:19] == bytes.fromhex("01 01 22 0102 03040506 0708090a 0b0c 0d0e 0001")
    assert data[19] == 5 and len(data) == 22
    assert crc16(data[:-2]).to_bytes(2, "big") == data[-2:]


def test_nil_payload_is_sent_as_plen_zero() -> None:
    data = encode_frame(Header(ACK, 0, 1, 2, 3, 0, 0))
    assert struct.unpack_from(">H", data, 17) == (0,) and len(data) == 21
    assert decode_frame(data).payload is None


def test_explicit_nil_payload_also_decodes_as_none() -> None:
    head = struct.pack(">BBBHIIHHH", 1, ACK, 0, 1, 2, 3, 0, 0, 1) + b"\xc0"
    assert decode_frame(head + crc16(head).to_bytes(2, "big")).payload is None


def test_hops_live_in_the_top_three_flag_bits() -> None:
    header = Header(EVENT, FLAG_AUTH | (5 << 5), 1, 2, BROADCAST, 3, 4)
    assert header.hops == 5
    assert header.with_hops(7).flags == FLAG_AUTH | 0xE0
    assert header.with_hops(0).flags == FLAG_AUTH
    with pytest.raises(ValueError):
        header.with_hops(8)


def test_bridge_hop_bump_keeps_frame_valid_and_auth_input_stable() -> None:
    header = Header(REQUEST, FLAG_AUTH, 9, 1, 2, 3, 4)
    data = encode_frame(header, [1, 2], AUTH)
    bumped = set_hops(data, 3)
    assert decode_frame(bumped).header == header.with_hops(3)
    assert auth_input(bumped) == auth_input(data)
    assert auth_input(data) == data[: -2 - 8]
    with pytest.raises(ValueError):
        set_hops(data, 8)


@pytest.mark.parametrize(
    ("header", "auth", "error"),
    [
        (Header(REQUEST, 0, 1, 2, 3, 4, 5, ver=2), None, VersionError),
        (Header(7, 0, 1, 2, 3, 4, 5), None, MalformedError),
        (Header(REQUEST, FLAG_AUTH, 1, 2, 3, 4, 5), None, MalformedError),
        (Header(REQUEST, 0, 1, 2, 3, 4, 5), AUTH, MalformedError),
        (Header(REQUEST, FLAG_AUTH, 1, 2, 3, 4, 5), b"short", LengthError),
        (Header(REQUEST, 0, 0x10000, 2, 3, 4, 5), None, MalformedError),
        (Header(REQUEST, 0, 1, 2**32, 3, 4, 5), None, MalformedError),
        (Header(REQUEST, 0x100, 1, 2, 3, 4, 5), None, MalformedError),
    ],
)
def test_encode_refuses_inconsistent_headers(
    header: Header, auth: bytes | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        encode_frame(header, [], auth)


def test_largest_frame_is_exactly_the_limit() -> None:
    header = Header(REQUEST, FLAG_AUTH, 1, 2, 3, 4, 5)
    assert len(encode_frame(header, b"x" * (MAX_PAYLOAD - 3), AUTH)) == MAX_FRAME
    with pytest.raises(OversizeError):
        encode_frame(header, b"x" * (MAX_PAYLOAD - 2), AUTH)


def test_decode_accepts_buffers() -> None:
    data = encode_frame(Header(EVENT, 0, 1, 2, 3, 4, 5), "x")
    assert decode_frame(bytearray(data)) == decode_frame(memoryview(data))
