# Fast shapes: same bytes as the generic encoder, strict readers, typed errors.
from hm.codec import frame, mpack, shape
from hm.codec.errors import MalformedError, OversizeError, TruncatedError, UnsupportedError
from mp_vectors import expect_error, same


def test_writer_gives_the_generic_encoders_bytes():
    cases = [
        ("iif", [1, 2, 3.5]),
        ("iif", [-1, 70000, -0.0]),
        ("iif", [2**63, -(2**63), 1e300]),
        ("sb?x", ["héllo", b"\x00", True, {"a": [1, None]}]),
        ("f", [float("inf")]),
        ("s", ["x" * 300]),
        ("b", [bytearray(b"ab")]),
        ("x" * 15, list(range(15))),
    ]
    buf = bytearray(512)
    for codes, vals in cases:
        s = shape.Shape(codes)
        end = s.pack_into(buf, 2, vals)
        assert bytes(buf[2:end]) == mpack.pack(vals), codes
        out = [None] * len(codes)
        s.unpack_into(buf, 2, end, out)
        assert same(out, [bytes(v) if type(v) is bytearray else v for v in vals]), codes


def test_reader_accepts_every_width_form_of_its_kinds():
    s = shape.Shape("iifsb?")
    data = bytes.fromhex("dc0006cd0005d3ffffffffffffffffca3fc00000da000161c5000162c2")
    out = [None] * 6
    assert s.unpack_into(data, 0, len(data), out) == [5, -1, 1.5, "a", b"b", False]


def test_reader_refuses_a_payload_of_another_shape():
    s = shape.Shape("if")
    for vals in ([1, 2], [1.5, 2.5], [1], [1, 2.5, 3], ["a", 2.5]):
        data = mpack.pack(vals)
        expect_error(MalformedError, s.unpack_into, data, 0, len(data), [0, 0])
    expect_error(TruncatedError, s.unpack_into, b"\x92\x01", 0, 2, [0, 0])
    trailing = b"\x92\x01\xca\x00\x00\x00\x00\x00"
    expect_error(MalformedError, s.unpack_into, trailing, 0, len(trailing), [0, 0])


def test_writer_refuses_values_of_another_kind():
    s = shape.Shape("if")
    buf = bytearray(32)
    for vals in ([1, 2], [True, 2.5], [1.5, 2.5], [1], [1, 2.5, 3]):
        expect_error(UnsupportedError, s.pack_into, buf, 0, vals)
    expect_error(OversizeError, s.pack_into, bytearray(5), 0, [1, 2.5])


def test_bad_shape_declarations_are_refused():
    for codes in ("", "q", "x" * 16):
        try:
            shape.Shape(codes)
        except ValueError:
            continue
        raise AssertionError("accepted " + codes)


def test_shaped_frame_round_trip_with_the_fast_flag():
    s = shape.Shape("iif")
    buf = bytearray(64)
    end = s.pack_into(buf, frame.HEADER_SIZE, [3, -4, 0.5])
    n = frame.seal_into(buf, frame.T_REQUEST, frame.F_FAST, 1, 2, 3, 4, 5, end - frame.HEADER_SIZE)
    r = frame.Router(1)
    r.add(4, 5, s)
    i = r.route_frame(buf, n)
    assert r.hdr[frame.H_FLAGS] & frame.F_FAST
    out = [0, 0, 0]
    r.handlers[i].unpack_into(buf, frame.HEADER_SIZE, frame.HEADER_SIZE + r.hdr[frame.H_PLEN], out)
    assert out == [3, -4, 0.5]
    assert frame.decode(buf, n)[8] == [3, -4, 0.5]
