# 32-bit edges. Viper ints are 64-bit on the unix port but 32-bit on the boards, where
# 0xFFFFFFFF reaches a viper `int` argument as -1 and 0x80000000 as -2**31. The byte
# writers must give the same bytes for both forms, and readers must hand back
# non-negative uint32 values.
from array import array

from hm.codec import _bytes, _dec, cobs, crc, frame, mpack


def test_header_writer_gives_the_same_bytes_for_32_bit_truncated_ids():
    # As on a board: the viper int is 32-bit, so ids are not range-checked there.
    a = bytearray(19)
    b = bytearray(19)
    frame.pack_header(a, 1, 0, 0xFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFF, 0x8000, 0)
    saved = frame._W64
    frame._W64 = False
    try:
        frame.pack_header(b, 1, 0, 0xFFFF, -1, -(2**31), 0xFFFF, 0x8000, 0)
    finally:
        frame._W64 = saved
    assert a == b
    assert bytes(a[3:13]) == b"\xff\xff\xff\xff\xff\xff\x80\x00\x00\x00"


def test_value_writers_give_the_same_bytes_for_32_bit_truncated_values():
    a = bytearray(5)
    b = bytearray(5)
    _bytes.wn(a, 0, 0xCE, 0xFFFFFFFF, 4)
    _bytes.wn(b, 0, 0xCE, -1, 4)
    assert a == b == b"\xce\xff\xff\xff\xff"
    _bytes.wraw(a, 0, 0x80000000, 4)
    _bytes.wraw(b, 0, -(2**31), 4)
    assert a[:4] == b[:4] == b"\x80\x00\x00\x00"


def test_reader_returns_uint32_not_negative():
    assert _dec._be32(b"\xff\xff\xff\xff", 0) == 0xFFFFFFFF
    assert _dec._be32(b"\x80\x00\x00\x00", 0) == 0x80000000


def test_uint32_and_int32_boundaries_in_payloads():
    cases = [
        (0x7FFFFFFF, "ce7fffffff"),
        (0x80000000, "ce80000000"),
        (0xFFFFFFFF, "ceffffffff"),
        (-(2**31), "d280000000"),
        (-(2**31) - 1, "d3ffffffff7fffffff"),
        (2**63, "cf8000000000000000"),
        (2**64 - 1, "cfffffffffffffffff"),
        (-(2**63), "d38000000000000000"),
        (0x3FFFFFFF, "ce3fffffff"),
        (0x40000000, "ce40000000"),
    ]
    for v, h in cases:
        assert mpack.pack(v).hex() == h, (v, mpack.pack(v).hex())
        assert mpack.unpack(bytes.fromhex(h)) == v, h


def test_node_ids_with_the_top_bit_set_survive_every_header_path():
    buf = bytearray(64)
    for src, dst in ((0xFFFFFFFF, 0x80000000), (0x80000000, 0xFFFFFFFF), (0x7FFFFFFF, 0)):
        n = frame.encode_into(buf, 2, 0, 0xFFFF, src, dst, 0xFFFF, 0xFFFF, None)
        assert frame.decode(buf, n)[4:6] == (src, dst)
        for out in ([0] * 9, array("I", [0] * 9)):
            frame.unpack_header(buf, out)
            assert (out[4], out[5]) == (src, dst)
        r = frame.Router(2)
        r.add(0xFFFF, 0xFFFF, "h", 2)
        assert r.route_frame(buf, n) == 0
        assert (r.hdr[4], r.hdr[5], r.hdr[6], r.hdr[7]) == (src, dst, 0xFFFF, 0xFFFF)


def test_crc_and_cobs_over_more_than_65535_bytes():
    data = bytes(i * 7 & 0xFF for i in range(70000))
    c = crc.crc16(data, len(data))
    assert c == crc.crc16_at(b"\x00" + data, 1, len(data))
    enc = bytearray(cobs.max_encoded(len(data)))
    k = cobs.encode_into(data, len(data), enc)
    out = bytearray(len(data))
    m = cobs.decode_into(enc, k - 1, out)
    assert m == len(data) and crc.crc16(out, m) == c
