# COBS on the board: round trips over the block boundaries, errors, buffer bounds.
from hm.codec import cobs
from hm.codec.errors import CobsError, OversizeError
from mp_vectors import expect_error


def _round_trip(raw):
    enc = bytearray(cobs.max_encoded(len(raw)))
    n = cobs.encode_into(raw, len(raw), enc)
    assert enc[n - 1] == 0
    assert all(enc[i] for i in range(n - 1))
    out = bytearray(len(raw) + 1)
    m = cobs.decode_into(enc, n - 1, out)
    assert bytes(out[:m]) == raw, (len(raw), bytes(enc[:n]).hex())
    return n


def test_round_trip_every_length_around_block_boundaries():
    for n in (0, 1, 2, 253, 254, 255, 256, 507, 508, 509, 1000, 4096):
        _round_trip(bytes((i % 255) + 1 for i in range(n)))
        _round_trip(bytes(n))
        _round_trip(bytes(i % 256 for i in range(n)))


def test_largest_frame_encodes_within_the_spec_bound():
    n = _round_trip(bytes((i % 255) + 1 for i in range(4096)))
    assert n <= 4096 + 17 + 1


def test_full_final_block_has_no_trailing_01():
    raw = bytes(range(1, 255))
    enc = bytearray(300)
    n = cobs.encode_into(raw, 254, enc)
    assert n == 256 and enc[0] == 0xFF and enc[255] == 0


def test_zero_inside_a_run_is_a_cobs_error():
    expect_error(CobsError, cobs.decode_into, b"\x03\x11\x00\x22", 4, bytearray(8))
    expect_error(CobsError, cobs.decode_into, b"\x00", 1, bytearray(8))


def test_block_running_past_the_end_is_a_cobs_error():
    expect_error(CobsError, cobs.decode_into, b"\x05\x11\x22", 3, bytearray(8))
    expect_error(CobsError, cobs.decode_into, b"\xff\x01", 2, bytearray(300))


def test_empty_run_is_a_cobs_error():
    expect_error(CobsError, cobs.decode_into, b"", 0, bytearray(8))


def test_decoded_frame_larger_than_the_buffer_is_oversize():
    enc = bytearray(cobs.max_encoded(100))
    n = cobs.encode_into(bytes(100), 100, enc)
    expect_error(OversizeError, cobs.decode_into, enc, n - 1, bytearray(50))
    n = cobs.encode_into(b"\x01" * 100, 100, enc)
    expect_error(OversizeError, cobs.decode_into, enc, n - 1, bytearray(50))


def test_encode_into_a_short_buffer_is_oversize():
    expect_error(OversizeError, cobs.encode_into, b"abc", 3, bytearray(4))
    expect_error(OversizeError, cobs.encode_into, b"abc", 4, bytearray(40))


def test_decode_accepts_a_memoryview_slice_of_a_receive_buffer():
    rx = bytearray(b"junk\x00\x03\x11\x22\x02\x33\x00")
    out = bytearray(8)
    m = cobs.decode_into(memoryview(rx)[5:], 5, out)
    assert bytes(out[:m]) == b"\x11\x22\x00\x33"
