# MessagePack on the board beyond the shared vectors: round trips, every width form,
# encoder errors, lying lengths that must not allocate, and the float32 board path.
import micropython
from hm.codec import mpack
from hm.codec.errors import (
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
)
from mp_vectors import expect_error, same

VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    127,
    128,
    -32,
    -33,
    255,
    256,
    65535,
    65536,
    2**31 - 1,
    2**31,
    2**32 - 1,
    2**32,
    2**63 - 1,
    2**63,
    2**64 - 1,
    -(2**7),
    -(2**7) - 1,
    -(2**15),
    -(2**15) - 1,
    -(2**31),
    -(2**31) - 1,
    -(2**63),
    0.0,
    -0.0,
    1.5,
    -2.25,
    1e300,
    float("inf"),
    float("-inf"),
    "",
    "a",
    "x" * 31,
    "x" * 32,
    "y" * 255,
    "y" * 256,
    "z" * 4000,
    "héllo €😀",
    b"",
    b"\x00",
    b"b" * 255,
    b"b" * 256,
    bytearray(b"ba"),
    [],
    [1, [2, [3, []]]],
    list(range(15)),
    list(range(16)),
    list(range(70000 // 7000)),
    {},
    {"a": 1},
    {1: "x", b"k": None, 2.5: [True]},
    {"k" + str(i): i for i in range(16)},
]


def test_round_trip_of_every_kind_and_boundary():
    for v in VALUES:
        got = mpack.unpack(mpack.pack(v))
        want = bytes(v) if type(v) is bytearray else v
        assert same(got, want), repr(v)[:60]


def test_tuple_and_memoryview_encode_as_array_and_bin():
    assert mpack.pack((1, 2)) == mpack.pack([1, 2])
    assert mpack.pack(memoryview(b"ab")) == b"\xc4\x02ab"


def test_non_minimal_width_forms_decode():
    cases = [
        ("cd0005", 5),
        ("ce00000005", 5),
        ("cf0000000000000005", 5),
        ("cc05", 5),
        ("d0fb", -5),
        ("d1fffb", -5),
        ("d2fffffffb", -5),
        ("d3fffffffffffffffb", -5),
        ("d005", 5),
        ("d9016b", "k"),
        ("da00016b", "k"),
        ("db000000016b", "k"),
        ("c5000100", b"\x00"),
        ("c600000001ff", b"\xff"),
        ("dc000101", [1]),
        ("dd0000000101", [1]),
        ("de00010102", {1: 2}),
        ("df000000010102", {1: 2}),
        ("ca3fc00000", 1.5),
    ]
    for h, want in cases:
        assert same(mpack.unpack(bytes.fromhex(h)), want), h


def test_unpack_range_must_be_consumed_exactly():
    data = b"\xff\xff\x93\x01\x02\x03\xee"
    assert mpack.unpack(data, 2, 6) == [1, 2, 3]
    expect_error(MalformedError, mpack.unpack, data, 2, 7)
    expect_error(LengthError, mpack.unpack, data, 2, 5)
    expect_error(TruncatedError, mpack.unpack, b"\x92\x01\xcd\x00", 0, 4)


def test_pack_into_writes_at_the_offset_and_returns_the_end():
    buf = bytearray(16)
    assert mpack.pack_into(buf, 5, [1, "a"]) == 9
    assert bytes(buf[5:9]) == b"\x92\x01\xa1a"


def test_pack_into_a_short_buffer_is_oversize_at_every_cut():
    for v in (300, 2**40, -(2**40), 1.5, "hello", b"hello", [1, 2, 3], {"a": 1}, None):
        n = len(mpack.pack(v))
        expect_error(OversizeError, mpack.pack_into, bytearray(n - 1), 0, v)
        assert mpack.pack_into(bytearray(n), 0, v) == n


def test_values_without_a_messagepack_form_are_unsupported():
    for v in (2**64, -(2**63) - 1, object(), {1, 2}, {(1, 2): 3}, len):
        expect_error(UnsupportedError, mpack.pack, v)


def test_encoding_deeper_than_16_levels_is_a_depth_error():
    v = [0]
    for _ in range(15):
        v = [v]
    assert mpack.unpack(mpack.pack(v)) == v  # 16 levels
    expect_error(DepthError, mpack.pack, [v])
    expect_error(DepthError, mpack.pack, {"k": [v]})


def test_str_and_bin_above_4059_bytes_are_oversize_on_encode():
    expect_error(OversizeError, mpack.pack_into, bytearray(5000), 0, "a" * 4060)
    expect_error(OversizeError, mpack.pack_into, bytearray(5000), 0, b"a" * 4060)
    expect_error(OversizeError, mpack.pack_into, bytearray(5000), 0, "é" * 2030)


def _alloc(fn, data):
    before = micropython.mem_total()
    try:
        fn(data)
    except Exception as e:  # noqa: BLE001
        err = e
    return micropython.mem_total() - before, err


def test_lying_lengths_raise_before_allocating():
    # Counts and lengths of up to 2**32-1 with a few bytes behind them: a typed
    # error, and only the exception object's worth of heap.
    cases = [
        ("ddffffffff01", LengthError),
        ("dfffffffff0102", LengthError),
        ("dbffffffff61", OversizeError),
        ("c6ffffffff00", OversizeError),
        ("db00000fdc61", OversizeError),
        ("db00000fdb61", TruncatedError),
        ("d90a6162", TruncatedError),
        ("c40a00", TruncatedError),
        ("dc00030102", LengthError),
    ]
    for h, cls in cases:
        used, err = _alloc(mpack.unpack, bytes.fromhex(h))
        assert type(err) is cls, (h, err)
        assert used < 400, (h, used)


def test_payload_longer_than_4059_bytes_is_oversize_first():
    expect_error(OversizeError, mpack.unpack, b"\xc1" * 4060)


def test_container_nesting_is_counted_from_the_top_level():
    ok = b"\x91" * 15 + b"\x90"  # 16 levels
    assert mpack.unpack(ok) is not None
    expect_error(DepthError, mpack.unpack, b"\x91" * 16 + b"\x90")
    expect_error(DepthError, mpack.unpack, b"\x91" * 16 + b"\xdc")  # before its count


def test_map_key_that_is_a_container_is_malformed_at_its_type_byte():
    expect_error(MalformedError, mpack.unpack, bytes.fromhex("81dc0000"))
    expect_error(MalformedError, mpack.unpack, bytes.fromhex("81" * 17 + "9001"))


def test_float32_board_emits_float32():
    saved = mpack.FLOAT32
    mpack.FLOAT32 = True
    try:
        assert mpack.pack(1.5) == b"\xca\x3f\xc0\x00\x00"
        assert mpack.pack([0.25]) == b"\x91\xca\x3e\x80\x00\x00"
        expect_error(OversizeError, mpack.pack_into, bytearray(4), 0, 1.5)
    finally:
        mpack.FLOAT32 = saved
    assert mpack.pack(1.5) == b"\xcb\x3f\xf8" + bytes(6)


def test_a_failed_decode_leaves_no_state_behind():
    # The cursor's view of a buffer must not outlive a decode that raised.
    expect_error(TruncatedError, mpack.unpack, b"\x92\xa1x\xa5abc")
    assert mpack.unpack(b"\x92\xa1y\xa1z") == ["y", "z"]
    expect_error(TruncatedError, mpack.unpack, bytearray(b"\x92\xc4\x01\x00\xc4\x09"))
    assert mpack.unpack(b"\xc4\x02ok") == b"ok"
