# The shared vectors (tests/vectors/*.json) through the board codec.
from hm.codec import cobs, crc, frame, mpack
from mp_vectors import check_all, error_class, expect_error, from_tagged, load, same, unhex


def test_crc_vectors():
    def one(v):
        data = unhex(v["data"])
        assert crc.crc16(data, len(data)) == v["crc"], hex(crc.crc16(data, len(data)))

    assert check_all(load("crc"), one) >= 1


def test_cobs_vectors_encode_and_decode():
    out = bytearray(cobs.max_encoded(4096))
    raw_out = bytearray(4200)

    def one(v):
        enc = unhex(v["encoded"])
        if "error" in v:
            expect_error(error_class(v["error"]), cobs.decode_into, enc, len(enc) - 1, raw_out)
            return
        raw = unhex(v["raw"])
        n = cobs.encode_into(raw, len(raw), out)
        assert bytes(out[:n]) == enc, "encode gives " + bytes(out[:n]).hex()
        m = cobs.decode_into(enc, len(enc) - 1, raw_out)
        assert bytes(raw_out[:m]) == raw, "decode gives " + bytes(raw_out[:m]).hex()

    assert check_all(load("cobs"), one) >= 1


def test_payload_vectors_decode():
    def one(v):
        data = unhex(v["hex"])
        if "error" in v:
            expect_error(error_class(v["error"]), mpack.unpack, data)
            return
        got = mpack.unpack(data)
        assert same(got, from_tagged(v["value"])), "decoded " + repr(got)[:80]

    assert check_all(load("payloads"), one) >= 1


def test_payload_vectors_encode_canonical():
    buf = bytearray(4200)

    def one(v):
        if not v.get("canonical"):
            return
        value = from_tagged(v["value"])
        want = unhex(v["hex"])
        assert mpack.pack(value) == want, "pack gives " + mpack.pack(value).hex()
        end = mpack.pack_into(buf, 3, value)
        assert bytes(buf[3:end]) == want

    assert check_all(load("payloads"), one) >= 1


def _header_tuple(h):
    return (h["ver"], h["type"], h["flags"], h["seq"], h["src"], h["dst"], h["svc"], h["mth"])


def test_frame_vectors_decode():
    def one(v):
        data = unhex(v["hex"])
        if "error" in v:
            expect_error(error_class(v["error"]), frame.decode, data, len(data))
            return
        got = frame.decode(data, len(data))
        assert got[:8] == _header_tuple(v["header"]), repr(got[:8])
        assert same(got[8], from_tagged(v["payload"])), repr(got[8])[:80]
        auth = v["auth"]
        assert got[9] == (None if auth is None else unhex(auth))

    assert check_all(load("frames"), one) >= 1


def test_frame_vectors_encode():
    buf = bytearray(frame.MAX_FRAME + 8)

    def one(v):
        if "error" in v:
            return
        h = v["header"]
        auth = None if v["auth"] is None else unhex(v["auth"])
        payload = from_tagged(v["payload"])
        n = frame.encode_into(
            buf,
            h["type"],
            h["flags"],
            h["seq"],
            h["src"],
            h["dst"],
            h["svc"],
            h["mth"],
            payload,
            auth,
        )
        assert bytes(buf[:n]) == unhex(v["hex"]), "encode gives " + bytes(buf[:n]).hex()[:80]

    assert check_all(load("frames"), one) >= 1


def test_frame_vectors_route():
    # Valid vector frames route (COBS run and datagram); bad ones raise decode's class,
    # except payload errors, which routing leaves to the handler (it never parses payloads).
    r = frame.Router(4)
    enc = bytearray(cobs.max_encoded(frame.MAX_FRAME + 1))

    def one(v):
        data = unhex(v["hex"])
        r.tab[0] = 0
        if "error" in v:
            try:
                r.route_frame(data, len(data))
            except error_class(v["error"]):
                return
            assert v["name"].startswith("payload"), "routed a bad frame"
            return
        h = v["header"]
        r.add(h["svc"], h["mth"], "h", h["type"])
        assert r.route_frame(data, len(data)) == 0
        k = cobs.encode_into(data, len(data), enc)
        assert r.route(enc, k - 1) == 0
        assert tuple(r.hdr)[:8] == _header_tuple(v["header"])

    assert check_all(load("frames"), one) >= 1
