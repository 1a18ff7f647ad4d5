# The benchmark's plain-bytecode twins (tools/_bench_codec_mp.py) must do what the
# viper functions do, or its ratios compare different work: run the shared vectors
# and the reference message through the codec, swap the twins in, run them again.
import os
import sys

from mp_vectors import error_class, load, unhex

sys.path.append((os.getenv("HM_VECTORS") or "tests/vectors") + "/../../tools")

import _bench_codec_mp as bench  # noqa: E402
from hm.codec import cobs, crc, frame, mpack  # noqa: E402

PAYLOADS = [
    None,
    0,
    -1,
    127,
    128,
    -33,
    70000,
    -70000,
    2**31,
    2**40,
    -(2**40),
    2**64 - 1,
    1.5,
    "",
    "héllo €😀",
    "x" * 300,
    b"\x00" * 40,
    [],
    [1, [2, [3]]],
    {"a": [1, 2.5]},
]


def _outcome(fn, *args):
    try:
        r = fn(*args)
    except Exception as e:  # noqa: BLE001 - the class is the outcome
        return "error " + type(e).__name__
    if type(r) is bytearray:
        return bytes(r)
    return r


def _run_all():
    out = []
    buf = bytearray(frame.MAX_FRAME + 64)
    enc = bytearray(cobs.max_encoded(frame.MAX_FRAME + 64))
    r = frame.Router(4)
    for v in load("frames"):
        data = unhex(v["hex"])
        out.append(_outcome(frame.decode, data, len(data)))
        r.tab[0] = 0
        if "error" not in v:
            h = v["header"]
            r.add(h["svc"], h["mth"], "h", h["type"])
        out.append(_outcome(r.route_frame, data, len(data)))
        out.append(tuple(r.hdr))
        k = _outcome(cobs.encode_into, data, len(data), enc)
        out.append(k)
        if type(k) is int:
            out.append(bytes(enc[:k]))
            out.append(_outcome(r.route, enc, k - 1))
    for v in load("payloads"):
        out.append(_outcome(mpack.unpack, unhex(v["hex"])))
        if "error" not in v:
            out.append(error_class("CodecError") is not None)
    for p in PAYLOADS:
        n = _outcome(frame.encode_into, buf, 1, 0, 1, 0xFFFFFFFF, 2, 3, 4, p)
        out.append(n)
        if type(n) is int:
            out.append(bytes(buf[:n]))
            out.append(_outcome(frame.decode, buf, n))
        out.append(_outcome(mpack.pack, p))
    for v in load("crc"):
        data = unhex(v["data"])
        out.append(crc.crc16(data, len(data)))
    for v in load("cobs"):
        e = unhex(v["encoded"])
        m = _outcome(cobs.decode_into, e, len(e) - 1, buf)
        out.append(m)
        if type(m) is int:
            out.append(bytes(buf[:m]))
    hb = bytearray(19)
    frame.pack_header(hb, 1, 0xE1, 0xFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFF, 0x8000, 4059)
    out.append(bytes(hb))
    hl = [0] * 9
    frame.unpack_header(hb, hl)
    out.append(tuple(hl))
    return out


def test_bytecode_twins_match_the_viper_functions():
    viper = _run_all()
    bench.use_refs()
    twins = _run_all()
    assert len(viper) == len(twins)
    bad = [i for i in range(len(viper)) if repr(viper[i]) != repr(twins[i])]
    assert not bad, [(i, viper[i], twins[i]) for i in bad[:5]]
    assert len(viper) > 300
