# Router: table, lookup by (type, svc, mth), COBS and datagram input, typed errors.
from hm.codec import cobs, frame
from hm.codec.errors import CobsError, CrcError, OversizeError, TruncatedError
from mp_vectors import expect_error

SVC = frame.ident("sensor")
READ = frame.ident("read")
WRITE = frame.ident("write")


def _wire(typ, svc, mth, payload=None, src=0xFFFFFFFF):
    buf = bytearray(frame.MAX_FRAME)
    n = frame.encode_into(buf, typ, 0, 0xBEEF, src, 0x80000001, svc, mth, payload)
    enc = bytearray(cobs.max_encoded(n))
    k = cobs.encode_into(buf, n, enc)
    return buf, n, enc, k - 1


def _router():
    r = frame.Router(8)
    assert r.add(SVC, READ, "read") == 0
    assert r.add(SVC, WRITE, "write") == 1
    assert r.add(SVC, READ, "read-event", frame.T_EVENT) == 2
    assert r.add(0xFFFF, 0xFFFF, "any", 0) == 3
    return r


def test_route_finds_the_handler_for_type_svc_and_mth():
    r = _router()
    _, _, enc, k = _wire(frame.T_REQUEST, SVC, WRITE, [1, 2.5])
    i = r.route(enc, k)
    assert r.handlers[i] == "write"
    _, _, enc, k = _wire(frame.T_EVENT, SVC, READ, 3)
    assert r.handlers[r.route(enc, k)] == "read-event"
    _, _, enc, k = _wire(frame.T_RESPONSE, 0xFFFF, 0xFFFF)
    assert r.handlers[r.route(enc, k)] == "any"


def test_route_leaves_the_header_and_frame_for_the_handler():
    r = _router()
    _, n, enc, k = _wire(frame.T_REQUEST, SVC, READ, [7, "x"])
    r.route(enc, k)
    assert tuple(r.hdr) == (1, 1, 0, 0xBEEF, 0xFFFFFFFF, 0x80000001, SVC, READ, n - 21)
    assert frame.decode(r.buf, n)[8] == [7, "x"]


def test_unknown_route_is_minus_one():
    r = _router()
    _, _, enc, k = _wire(frame.T_REQUEST, SVC, frame.ident("nope"))
    assert r.route(enc, k) == -1
    _, _, enc, k = _wire(frame.T_RESPONSE, SVC, READ)
    assert r.route(enc, k) == -1


def test_route_frame_takes_a_datagram():
    r = _router()
    buf, n, _, _ = _wire(frame.T_REQUEST, SVC, READ, 1)
    assert r.route_frame(buf, n) == 0


def test_bad_input_raises_typed_errors():
    r = _router()
    buf, n, enc, k = _wire(frame.T_REQUEST, SVC, READ, 1)
    expect_error(CobsError, r.route, b"\x05\x01", 2)
    expect_error(CobsError, r.route, b"", 0)
    buf[5] ^= 0x40
    bad = bytearray(cobs.max_encoded(n))
    expect_error(CrcError, r.route, bad, cobs.encode_into(buf, n, bad) - 1)
    expect_error(TruncatedError, r.route, b"\x03\x01\x02", 3)
    expect_error(TruncatedError, r.route_frame, buf, 20)
    expect_error(OversizeError, r.route_frame, bytearray(4097), 4097)


def test_table_refuses_duplicates_and_overflow():
    r = frame.Router(2)
    r.add(1, 2, "a")
    try:
        r.add(1, 2, "b")
    except ValueError:
        pass
    else:
        raise AssertionError("duplicate accepted")
    r.add(1, 3, "c")
    try:
        r.add(1, 4, "d")
    except ValueError:
        pass
    else:
        raise AssertionError("overflow accepted")
    assert r.find(1, 3) == 1 and r.find(1, 9) == -1
