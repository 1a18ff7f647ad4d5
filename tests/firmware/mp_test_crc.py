# CRC-16/CCITT-FALSE on the board: check value, offsets, long buffers, bounds.
from hm.codec import crc
from hm.codec.errors import OversizeError
from mp_vectors import expect_error


def _bitwise(data, n):
    c = 0xFFFF
    for i in range(n):
        c ^= data[i] << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def test_check_value_of_123456789_is_29b1():
    assert crc.crc16(b"123456789", 9) == 0x29B1
    assert crc.crc16(bytearray(b"123456789xyz"), 9) == 0x29B1
    assert crc.crc16(memoryview(b"123456789"), 9) == 0x29B1


def test_empty_input_is_the_init_value():
    assert crc.crc16(b"", 0) == 0xFFFF


def test_crc16_at_covers_a_slice():
    assert crc.crc16_at(b"--123456789--", 2, 9) == 0x29B1


def test_long_buffers_match_the_bitwise_definition():
    # Longer than 65535 bytes: no 16-bit overflow of the index or the register.
    data = bytes(range(256)) * 300
    n = len(data)
    assert crc.crc16(data, n) == _bitwise(data, n)
    assert crc.crc16(data, 4096) == _bitwise(data, 4096)


def test_every_single_byte_matches_the_bitwise_definition():
    for b in range(256):
        one = bytes((b,))
        assert crc.crc16(one, 1) == _bitwise(one, 1), b


def test_range_outside_the_buffer_is_refused():
    expect_error(OversizeError, crc.crc16, b"abc", 4)
    expect_error(OversizeError, crc.crc16, b"abc", -1)
    expect_error(OversizeError, crc.crc16_at, b"abc", 2, 2)
