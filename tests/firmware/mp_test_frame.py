# Frames on the board: header layout against struct, round trips, field checks,
# error order, ident.
import struct

from hm.codec import crc, frame
from hm.codec.errors import (
    CrcError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    VersionError,
)
from mp_vectors import expect_error, same

HDR = ">BBBHIIHHH"
AUTH = bytes(range(16))


def test_constants_match_the_spec():
    assert frame.HEADER_SIZE == 19 and frame.MAX_FRAME == 4096 and frame.MAX_PAYLOAD == 4059
    assert (frame.T_REQUEST, frame.T_ACK) == (1, 6)
    assert (frame.F_AUTH, frame.F_ACK_REQ, frame.F_RETRY, frame.F_FAST) == (1, 2, 4, 8)
    assert frame.BROADCAST == 0xFFFFFFFF


def test_ident_is_crc16_of_the_utf8_name():
    assert frame.ident("sys") == crc.crc16(b"sys", 3)
    assert frame.ident("héat") == crc.crc16("héat".encode(), 5)


def test_pack_header_gives_the_struct_layout():
    buf = bytearray(19)
    fields = (1, 5, 0xE9, 0xFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFF, 0x8000, 4059)
    frame.pack_header(buf, *fields[1:])
    assert bytes(buf) == struct.pack(HDR, *fields)
    out = [0] * 9
    frame.unpack_header(buf, out)
    assert tuple(out) == fields
    expect_error(OversizeError, frame.pack_header, bytearray(18), *fields[1:])
    expect_error(TruncatedError, frame.unpack_header, bytes(18), out)


def test_round_trip_of_every_type_with_and_without_auth():
    buf = bytearray(frame.MAX_FRAME)
    for t in range(1, 7):
        for payload in (None, 0, [1, "two", 3.5], {"k": b"\x00"}, "x" * 300):
            for auth in (None, AUTH):
                flags = 0xE8 | (1 if auth else 0)
                n = frame.encode_into(
                    buf, t, flags, 7, 0xFFFFFFFF, 0, 0xB1F1, 0xF72B, payload, auth
                )
                got = frame.decode(buf, n)
                assert got[:8] == (1, t, flags, 7, 0xFFFFFFFF, 0, 0xB1F1, 0xF72B)
                assert same(got[8], payload), (t, payload)
                assert got[9] == auth


def test_nil_payload_travels_as_plen_0():
    buf = bytearray(64)
    n = frame.encode_into(buf, frame.T_ACK, 0, 1, 2, 3, 0, 0, None)
    assert n == 21 and buf[17] == 0 and buf[18] == 0


def test_seal_into_finishes_a_payload_written_in_place():
    buf = bytearray(64)
    buf[19:22] = b"\x92\x01\x02"
    n = frame.seal_into(buf, frame.T_EVENT, frame.F_FAST, 9, 1, 2, 3, 4, 3)
    assert frame.decode(buf, n)[8] == [1, 2]


def test_header_fields_out_of_range_are_refused():
    buf = bytearray(64)
    good = [buf, 1, 0, 0, 0, 0, 0, 0, 1]
    for i, bad in (
        (1, 0),
        (1, 7),
        (2, 256),
        (3, 65536),
        (3, -1),
        (4, 2**32),
        (5, -1),
        (6, 65536),
        (7, -1),
    ):
        args = list(good)
        args[i] = bad
        expect_error(MalformedError, frame.encode_into, *args)


def test_auth_must_match_the_flag():
    buf = bytearray(64)
    expect_error(MalformedError, frame.encode_into, buf, 1, frame.F_AUTH, 0, 0, 0, 0, 0, 1)
    expect_error(MalformedError, frame.encode_into, buf, 1, 0, 0, 0, 0, 0, 0, 1, AUTH)
    expect_error(LengthError, frame.encode_into, buf, 1, 1, 0, 0, 0, 0, 0, 1, AUTH[:8])


def test_frame_that_does_not_fit_the_buffer_is_oversize():
    expect_error(OversizeError, frame.encode_into, bytearray(40), 1, 0, 0, 0, 0, 0, 0, "x" * 30)
    expect_error(OversizeError, frame.encode_into, bytearray(29), 1, 0, 0, 0, 0, 0, 0, "x" * 8)
    assert frame.encode_into(bytearray(30), 1, 0, 0, 0, 0, 0, 0, "x" * 8) == 30
    big = bytearray(5000)
    two = [b"x" * 4000, b"y" * 60]
    expect_error(OversizeError, frame.encode_into, big, 1, 0, 0, 0, 0, 0, 0, two)


def _frame(typ=1, flags=0, plen_delta=0, ver=1, payload=b"\x01"):
    buf = bytearray(64)
    n = frame.encode_into(buf, typ, flags, 1, 2, 3, 4, 5, 1 if payload == b"\x01" else payload)
    buf[0] = ver
    buf[18] += plen_delta
    c = crc.crc16(buf, n - 2)
    buf[n - 2] = c >> 8
    buf[n - 1] = c & 0xFF
    return buf, n


def test_decode_checks_size_crc_version_type_plen_in_that_order():
    buf, n = _frame()
    expect_error(TruncatedError, frame.decode, buf, 20)
    expect_error(OversizeError, frame.decode, bytearray(4097), 4097)
    bad = bytearray(buf)
    bad[5] ^= 1
    expect_error(CrcError, frame.decode, bad, n)
    buf, n = _frame(ver=2, plen_delta=3)
    expect_error(VersionError, frame.decode, buf, n)
    buf, n = _frame(plen_delta=3)
    expect_error(LengthError, frame.decode, buf, n)
    expect_error(TruncatedError, frame.decode, buf, n + 100)


def test_decode_accepts_bytes_bytearray_and_memoryview():
    buf, n = _frame()
    for b in (bytes(buf[:n]), buf, memoryview(buf)):
        assert frame.decode(b, n)[8] == 1
