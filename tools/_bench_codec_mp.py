# MicroPython side of tools/bench_codec (runs on the unix port, not on CPython).
#
# Holds the reference message, the operations, and the plain-bytecode twins of every
# viper function of hm.codec (the "ref" variant swaps them in, so the same codec code
# runs with bytecode where it has viper). tests/firmware/mp_test_bench_refs.py checks
# that each twin gives the viper function's results.
#
#   micropython _bench_codec_mp.py time VARIANT K         -> JSON lines: µs/op, heap B/op
#   micropython _bench_codec_mp.py count VARIANT OP N [frag]  -> runs OP N times (callgrind)
# VARIANT: codec (viper), ref (bytecode twins), base (json / struct / binascii).
import gc
import json
import struct
import sys
import time

import micropython
from hm.codec import _bytes, _dec, cobs, crc, frame, mpack, shape
from hm.codec.errors import (
    CobsError,
    CrcError,
    DepthError,
    LengthError,
    MalformedError,
    OversizeError,
    TruncatedError,
    UnsupportedError,
    VersionError,
)

# ---------------------------------------------------------------- plain-bytecode twins
# Each mirrors the viper function of the same name line for line; stores into a
# bytearray take `& 0xFF` where viper's ptr8 store keeps the low byte by itself.


def ref_update(c, p, off, end, t):
    while off < end:
        c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ p[off]]
        off += 1
    return c


def ref_crc16_at(buf, off, n):
    if off < 0 or n < 0 or off + n > len(buf):
        raise OversizeError("crc range outside buffer")
    return ref_update(0xFFFF, buf, off, off + n, crc.TABLE)


def ref_crc16(buf, n):
    if n < 0 or n > len(buf):
        raise OversizeError("crc range outside buffer")
    return ref_update(0xFFFF, buf, 0, n, crc.TABLE)


def ref_cobs_encode(src, n, dst):
    if n < 0 or n > len(src):
        raise OversizeError("cobs source range outside buffer")
    if n + n // 254 + 2 > len(dst):
        raise OversizeError("cobs destination too small")
    return ref_encode(0, 1, 1, n, src, dst)


def ref_encode(i, o, code, n, s, d):
    cp = 0
    while i < n:
        b = s[i]
        i += 1
        if b:
            d[o] = b
            o += 1
            code += 1
            if code == 0xFF:
                d[cp] = 0xFF
                code = 1
                cp = o
                if i < n:
                    o += 1
        else:
            d[cp] = code
            code = 1
            cp = o
            o += 1
    d[cp] = code
    d[o] = 0
    return o + 1


def ref_cobs_decode(src, n, dst):
    return ref_decode_crc_into(src, n, dst, cobs._sink)


def ref_decode_crc_into(src, n, dst, crc_out):
    if n < 0 or n > len(src):
        raise OversizeError("cobs source range outside buffer")
    s = src
    if n > 0 and s[n - 1] == 0:
        n -= 1
    if n == 0:
        raise CobsError("empty COBS run")
    cap = len(dst)
    d = dst
    t = crc.TABLE
    i = 0
    o = 0
    c = 0xFFFF
    while i < n:
        code = s[i]
        if code == 0:
            raise CobsError("zero byte inside a COBS run")
        end = i + code
        if end > n:
            raise CobsError("COBS block runs past the end")
        i += 1
        if o + code - 1 > cap:
            raise OversizeError("decoded frame larger than the buffer")
        lag = o - i
        while i < end:
            b = s[i]
            if b == 0:
                raise CobsError("zero byte inside a COBS run")
            d[lag + i] = b
            c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ b]
            i += 1
        o += code - 1
        if code < 0xFF and i < n:
            if o >= cap:
                raise OversizeError("decoded frame larger than the buffer")
            d[o] = 0
            c = ((c << 8) & 0xFFFF) ^ t[c >> 8]
            o += 1
    crc_out[0] = c
    return o


def ref_wn(buf, off, tag, v, n):
    end = off + 1 + n
    if end > len(buf):
        raise OversizeError("payload does not fit the buffer")
    buf[off] = tag
    i = end
    while i > off + 1:
        i -= 1
        buf[i] = v & 0xFF
        v >>= 8
    return end


def ref_wraw(buf, off, v, n):
    end = off + n
    if end > len(buf):
        raise OversizeError("payload does not fit the buffer")
    i = end
    while i > off:
        i -= 1
        buf[i] = v & 0xFF
        v >>= 8
    return end


def ref_whdr(buf, off, n, is_map):
    fix = 0x90
    tag16 = 0xDC
    if is_map:
        fix = 0x80
        tag16 = 0xDE
    cap = len(buf)
    if n < 16:
        if off + 1 > cap:
            raise OversizeError("payload does not fit the buffer")
        buf[off] = fix | n
        return off + 1
    if n < 0x10000:
        if off + 3 > cap:
            raise OversizeError("payload does not fit the buffer")
        buf[off] = tag16
        buf[off + 1] = n >> 8
        buf[off + 2] = n & 0xFF
        return off + 3
    if off + 5 > cap:
        raise OversizeError("payload does not fit the buffer")
    buf[off] = tag16 + 1
    buf[off + 1] = n >> 24 & 0xFF
    buf[off + 2] = n >> 16 & 0xFF
    buf[off + 3] = n >> 8 & 0xFF
    buf[off + 4] = n & 0xFF
    return off + 5


def ref_utf8_ok(buf, off, n):
    i = off
    end = off + n
    while i < end:
        c = buf[i]
        if c < 0x80:
            i += 1
            continue
        lo = 0x80
        hi = 0xBF
        if c < 0xC2:
            return False
        if c < 0xE0:
            k = 1
        elif c < 0xF0:
            k = 2
            if c == 0xE0:
                lo = 0xA0
            elif c == 0xED:
                hi = 0x9F
        elif c < 0xF5:
            k = 3
            if c == 0xF0:
                lo = 0x90
            elif c == 0xF4:
                hi = 0x8F
        else:
            return False
        if i + k >= end:
            return False
        x = buf[i + 1]
        if x < lo or x > hi:
            return False
        j = i + 2
        i += k + 1
        while j < i:
            if (buf[j] & 0xC0) != 0x80:
                return False
            j += 1
    return True


def ref_pk(buf, off, x, n, d, cap):
    cnt = 1 if n < 0 else n
    i = 0
    while i < cnt:
        v = x if n < 0 else x[i]
        i += 1
        t = type(v)
        if t is int:
            if v > mpack._SMALL or v < mpack._NSMALL:
                off = mpack._big(buf, off, v)
                continue
            w = v
            if w >= 0:
                if w < 0x80:
                    k, tag = 0, w
                elif w < 0x100:
                    k, tag = 1, 0xCC
                elif w < 0x10000:
                    k, tag = 2, 0xCD
                elif w >> 32 == 0:
                    k, tag = 4, 0xCE
                else:
                    k, tag = 8, 0xCF
            elif w >= -32:
                k, tag = 0, w & 0xFF
            elif w >= -0x80:
                k, tag = 1, 0xD0
            elif w >= -0x8000:
                k, tag = 2, 0xD1
            elif w >> 31 == -1:
                k, tag = 4, 0xD2
            else:
                k, tag = 8, 0xD3
            end = off + 1 + k
            if end > cap:
                raise OversizeError("payload does not fit the buffer")
            buf[off] = tag
            j = end
            while j > off + 1:
                j -= 1
                buf[j] = w & 0xFF
                w >>= 8
            off = end
        elif t is str:
            off = ref_raw(buf, off, v, ref_utf8_len(v), cap, 0xD9)
        elif t is float:
            off = ref_float(buf, off, v, cap)
        elif t is list or t is tuple:
            if d >= 16:
                raise mpack.DepthError("nesting deeper than 16")
            k = len(v)
            off = mpack._whdr(buf, off, k, 0)
            off = ref_pk(buf, off, v, k, d + 1, cap)
        elif v is None or t is bool:
            if off >= cap:
                raise OversizeError("payload does not fit the buffer")
            buf[off] = 0xC3 if v is True else 0xC2 if v is False else 0xC0
            off += 1
        elif t is bytes or t is bytearray or t is memoryview:
            off = ref_raw(buf, off, v, len(v), cap, 0xC4)
        elif isinstance(v, dict):
            off = mpack._map(buf, off, v, d, cap)
        else:
            raise mpack.UnsupportedError("no MessagePack form for this type")
    return off


def ref_utf8_len(s):
    if not mpack._UNI:
        return len(s)
    n = 0
    for ch in s:
        c = ord(ch)
        n += 1 if c < 0x80 else 2 if c < 0x800 else 3 if c < 0x10000 else 4
    return n


def ref_raw(buf, off, src, n, cap, tag8):
    if n > 4059:
        raise OversizeError("str/bin longer than 4059 bytes")
    if tag8 == 0xD9 and n < 32:
        h = 1
    elif n < 0x100:
        h = 2
    else:
        h = 3
    if off + h + n > cap:
        raise OversizeError("payload does not fit the buffer")
    if h == 1:
        buf[off] = 0xA0 | n
    elif h == 2:
        buf[off] = tag8
        buf[off + 1] = n
    else:
        buf[off] = tag8 + 1
        buf[off + 1] = n >> 8
        buf[off + 2] = n & 0xFF
    o = off + h
    if type(src) is str:  # bytecode has no view of a str's bytes
        src = src.encode()
    i = 0
    while i < n:
        buf[o + i] = src[i]
        i += 1
    return o + n


def ref_float(buf, off, v, cap):
    n = 4 if mpack.FLOAT32 else 8
    if off + 1 + n > cap:
        raise OversizeError("payload does not fit the buffer")
    buf[off] = 0xCB if n == 8 else 0xCA
    struct.pack_into(">d" if n == 8 else ">f", buf, off + 1, v)  # bytecode reaches bytes via struct
    return off + 1 + n


def ref_dv(buf, pos, end, out, i, d):
    if pos >= end:
        raise TruncatedError("input ends before a value")
    c = buf[pos]
    pos += 1
    if c < 0x80:
        out[i] = c
        return pos
    if c >= 0xE0:
        out[i] = c - 0x100
        return pos
    if 0xA0 <= c < 0xC0:
        return ref_dstr(buf, pos, end, out, i, c & 0x1F)
    if c < 0xA0 or c >= 0xDC:
        if d >= 16:
            raise DepthError("nesting deeper than 16")
        n = c & 0x0F
        if c >= 0xDC:
            w = 2 << (c & 1)
            if pos + w > end:
                raise TruncatedError("input ends inside a value")
            n = ref_be(buf, pos, w)
            pos += w
        left = end - pos
        if c < 0x90 or c >= 0xDE:
            if n > left >> 1:
                raise LengthError("map count larger than the bytes left")
            return ref_dmap(buf, pos, end, out, i, d + 1, n)
        if n > left:
            raise LengthError("array count larger than the bytes left")
        a = [None] * n
        j = 0
        d += 1
        while j < n:
            pos = ref_dv(buf, pos, end, a, j, d)
            j += 1
        out[i] = a
        return pos
    if c == 0xC0:
        out[i] = None
        return pos
    if c == 0xC2:
        out[i] = False
        return pos
    if c == 0xC3:
        out[i] = True
        return pos
    if c == 0xC1:
        raise MalformedError("byte 0xc1 is never used")
    if 0xC7 <= c <= 0xC9 or 0xD4 <= c <= 0xD8:
        raise UnsupportedError("ext types are not supported")
    if c <= 0xC6:
        w = 1 << (c - 0xC4)
    elif c == 0xCA:
        w = 4
    elif c == 0xCB:
        w = 8
    elif c <= 0xD3:
        w = 1 << (c & 3)
    else:
        w = 1 << (c - 0xD9)
    if pos + w > end:
        raise TruncatedError("input ends inside a value")
    if c == 0xCA or c == 0xCB:
        out[i] = struct.unpack_from(">d" if w == 8 else ">f", buf, pos)[0]
        return pos + w
    u = ref_be(buf, pos, w)
    if 0xD0 <= c <= 0xD3:
        if u >> (8 * w - 1):
            u -= 1 << (8 * w)
        out[i] = u
        return pos + w
    if 0xCC <= c <= 0xCF:
        out[i] = u
        return pos + w
    pos += w
    if c <= 0xC6:
        if u > 4059:
            raise OversizeError("bin longer than 4059 bytes")
        if u > end - pos:
            raise TruncatedError("input ends inside a value")
        out[i] = bytes(memoryview(buf)[pos : pos + u])
        return pos + u
    return ref_dstr(buf, pos, end, out, i, u)


def ref_be(buf, pos, w):
    v = 0
    for k in range(pos, pos + w):
        v = (v << 8) | buf[k]
    return v


def ref_dstr(buf, pos, end, out, i, n):
    if n > 4059:
        raise OversizeError("str longer than 4059 bytes")
    if n > end - pos:
        raise TruncatedError("input ends inside a value")
    if not ref_utf8_ok(buf, pos, n):
        raise MalformedError("str is not valid UTF-8")
    out[i] = str(memoryview(buf)[pos : pos + n], "utf-8")
    return pos + n


def ref_dmap(buf, pos, end, out, i, d, n):
    m = {}
    j = 0
    while j < n:
        if pos < end:
            c = buf[pos]
            if 0x80 <= c <= 0x9F or 0xDC <= c <= 0xDF:
                raise MalformedError("an array or map cannot be a map key")
        pos = ref_dv(buf, pos, end, out, i, d)
        k = out[i]
        pos = ref_dv(buf, pos, end, out, i, d)
        m[k] = out[i]
        j += 1
    out[i] = m
    return pos


def ref_pack_header(buf, typ, flags, seq, src, dst, svc, mth, plen):
    if typ < 1 or typ > 6 or flags >> 8 or flags < 0:
        raise MalformedError("unknown message type or flags beyond 8 bits")
    if seq >> 16 or svc >> 16 or mth >> 16 or seq < 0 or svc < 0 or mth < 0:
        raise MalformedError("seq, svc and mth are 16-bit")
    if src >> 32 or dst >> 32 or src < 0 or dst < 0:
        raise MalformedError("node ids are 32-bit")
    if plen > 4059 or plen < 0:
        raise OversizeError("payload longer than 4059 bytes")
    if len(buf) < 19:
        raise OversizeError("buffer shorter than a header")
    buf[0] = 1
    buf[1] = typ
    buf[2] = flags
    buf[3] = seq >> 8
    buf[4] = seq & 0xFF
    buf[5] = src >> 24 & 0xFF
    buf[6] = src >> 16 & 0xFF
    buf[7] = src >> 8 & 0xFF
    buf[8] = src & 0xFF
    buf[9] = dst >> 24 & 0xFF
    buf[10] = dst >> 16 & 0xFF
    buf[11] = dst >> 8 & 0xFF
    buf[12] = dst & 0xFF
    buf[13] = svc >> 8
    buf[14] = svc & 0xFF
    buf[15] = mth >> 8
    buf[16] = mth & 0xFF
    buf[17] = plen >> 8
    buf[18] = plen & 0xFF


def ref_unpack_header(buf, out):
    if len(buf) < 19:
        raise TruncatedError("input ends before the header")
    out[0] = buf[0]
    out[1] = buf[1]
    out[2] = buf[2]
    out[3] = buf[3] << 8 | buf[4]
    out[4] = buf[5] << 24 | buf[6] << 16 | buf[7] << 8 | buf[8]
    out[5] = buf[9] << 24 | buf[10] << 16 | buf[11] << 8 | buf[12]
    out[6] = buf[13] << 8 | buf[14]
    out[7] = buf[15] << 8 | buf[16]
    out[8] = buf[17] << 8 | buf[18]


def ref_check(buf, n):
    if n > len(buf):
        raise TruncatedError("n is beyond the buffer")
    residue = 1
    if 21 <= n <= 4096:
        residue = ref_update(0xFFFF, buf, 0, n, crc.TABLE)
    return ref_validate(buf, n, residue, None, None)


def ref_validate(buf, n, residue, tab, hdr):
    if n > 4096:
        raise OversizeError("frame longer than 4096 bytes")
    if n < 21:
        raise TruncatedError("input ends before the header and CRC")
    if residue:
        raise CrcError("frame CRC does not match")
    if buf[0] != 1:
        raise VersionError("protocol version is not 1")
    t = buf[1]
    if t < 1 or t > 6:
        raise MalformedError("unknown message type")
    plen = buf[17] << 8 | buf[18]
    tr = 16 if buf[2] & 1 else 0
    if 21 + plen + tr != n:
        raise LengthError("plen disagrees with the frame size")
    if plen > 4059:
        raise OversizeError("payload longer than 4059 bytes")
    if tab is None:
        return plen
    ref_unpack_header(buf, hdr)
    key = hdr[6] << 16 | hdr[7]
    for i in range(tab[0]):
        if tab[2 + 2 * i] == key:
            tt = tab[1 + 2 * i]
            if tt == t or tt == 0:
                return i
    return -1


def ref_seal(buf, typ, flags, seq, src, dst, svc, mth, plen, auth):
    n = 21 + plen
    has = 0
    if auth is not None:
        if len(auth) != 16:
            raise LengthError("auth trailer is 16 bytes")
        has = 1
        n += 16
    if has != flags & 1:
        raise MalformedError("give an auth trailer exactly when flags has F_AUTH")
    if n > len(buf):
        raise OversizeError("frame does not fit the buffer")
    ref_pack_header(buf, typ, flags, seq, src, dst, svc, mth, plen)
    off = 19 + plen
    if has:
        for i in range(16):
            buf[off + i] = auth[i]
        off += 16
    c = ref_update(0xFFFF, buf, 0, off, crc.TABLE)
    buf[off] = c >> 8
    buf[off + 1] = c & 0xFF
    return n


def ref_route(self, run, n):
    buf = self.buf
    crc_out = self.crc
    m = ref_decode_crc_into(run, n, buf, crc_out)
    return ref_validate(buf, m, crc_out[0], self.tab, self.hdr)


def ref_route_frame(self, frame_, n):
    if n > len(frame_):
        raise TruncatedError("n is beyond the buffer")
    residue = 1
    if 21 <= n <= 4096:
        residue = ref_update(0xFFFF, frame_, 0, n, crc.TABLE)
    return ref_validate(frame_, n, residue, self.tab, self.hdr)


def use_refs():
    """Swap every viper function of hm.codec for its bytecode twin, where it is looked up."""
    crc.update = ref_update
    crc.crc16 = ref_crc16
    crc.crc16_at = ref_crc16_at
    cobs.encode_into = ref_cobs_encode
    cobs._encode = ref_encode
    cobs.decode_into = ref_cobs_decode
    cobs.decode_crc_into = ref_decode_crc_into
    _bytes.wn = mpack._wn = ref_wn
    _bytes.wraw = mpack._wraw = ref_wraw
    _bytes.whdr = mpack._whdr = shape._whdr = ref_whdr
    _bytes.utf8_ok = _dec._utf8_ok = ref_utf8_ok
    mpack._pk = frame._pk = shape._pk = ref_pk
    mpack._raw = ref_raw
    mpack._float = ref_float
    _dec._dv = ref_dv
    _dec._dstr = ref_dstr
    _dec._dmap = ref_dmap
    frame.crc16 = ref_crc16
    frame._crc_update = ref_update
    frame._cobs_decode_crc = ref_decode_crc_into
    frame.pack_header = ref_pack_header
    frame.unpack_header = ref_unpack_header
    frame.check = ref_check
    frame._validate = ref_validate
    frame._seal = ref_seal
    frame.Router.route = ref_route
    frame.Router.route_frame = ref_route_frame


# ---------------------------------------------------------------- the reference message

SEQ = 0x0102
SRC = 0x1A2B3C4D
DST = 0x55667788
SVC = frame.ident("sensor")
MTH = frame.ident("read")
PAYLOAD = [
    1234,
    -100,
    21.5,
    "temperature",
    b"\x00\x01\x02\x03\x04\x05\x06\x07",
    True,
    None,
    [1, 2, 3],
]
HDR_FMT = ">BBBHIIHHH"

FRAME = bytearray(frame.MAX_FRAME)
N_FRAME = frame.encode_into(FRAME, frame.T_REQUEST, 0, SEQ, SRC, DST, SVC, MTH, PAYLOAD)
ENC = bytearray(cobs.max_encoded(frame.MAX_FRAME))
N_RUN = cobs.encode_into(FRAME, N_FRAME, ENC) - 1  # the run without its delimiter
OUT = bytearray(frame.MAX_FRAME)
OUT_ENC = bytearray(cobs.max_encoded(frame.MAX_FRAME))
HB = bytearray(19)
HL = [0] * 9

ROUTER = frame.Router(16)
for _i in range(15):  # the target is the last of 16 entries: a full table scan
    ROUTER.add(frame.ident("svc" + str(_i)), frame.ident("m" + str(_i)), _i)
ROUTER.add(SVC, MTH, "read")

# The same message as a JSON-RPC style bus would send it (bin as hex).
JSON_MSG = [1, 0, SEQ, SRC, DST, "sensor", "read", PAYLOAD[:4] + ["0001020304050607"] + PAYLOAD[5:]]
JSON_TEXT = json.dumps(JSON_MSG)


def op_nop():
    pass


def op_crc():
    return crc.crc16(FRAME, 62)


def op_cobs_enc():
    return cobs.encode_into(FRAME, N_FRAME, OUT_ENC)


def op_cobs_dec():
    return cobs.decode_into(ENC, N_RUN, OUT)


def op_hdr_pack():
    return frame.pack_header(HB, 1, 0, SEQ, SRC, DST, SVC, MTH, 43)


def op_hdr_unpack():
    return frame.unpack_header(FRAME, HL)


def op_route():
    return ROUTER.route(ENC, N_RUN)


def op_encode():
    return frame.encode_into(OUT, 1, 0, SEQ, SRC, DST, SVC, MTH, PAYLOAD)


def op_decode():
    return frame.decode(FRAME, N_FRAME)


def base_crc():
    return _binascii.crc32(FRAME)


def base_hdr_pack():
    return struct.pack_into(HDR_FMT, HB, 0, 1, 1, 0, SEQ, SRC, DST, SVC, MTH, 43)


def base_hdr_unpack():
    return struct.unpack_from(HDR_FMT, FRAME, 0)


def base_route():
    return json.loads(JSON_TEXT)


def base_encode():
    return json.dumps(JSON_MSG)


def base_decode():
    return json.loads(JSON_TEXT)


try:
    import binascii as _binascii
except ImportError:
    _binascii = None

OPS = ("crc", "cobs_enc", "cobs_dec", "hdr_pack", "hdr_unpack", "route", "encode", "decode")
CODEC = {
    "nop": op_nop,
    "crc": op_crc,
    "cobs_enc": op_cobs_enc,
    "cobs_dec": op_cobs_dec,
    "hdr_pack": op_hdr_pack,
    "hdr_unpack": op_hdr_unpack,
    "route": op_route,
    "encode": op_encode,
    "decode": op_decode,
}
BASE = {
    "nop": op_nop,
    "hdr_pack": base_hdr_pack,
    "hdr_unpack": base_hdr_unpack,
    "route": base_route,
    "encode": base_encode,
    "decode": base_decode,
}
if _binascii is not None and hasattr(_binascii, "crc32"):
    BASE["crc"] = base_crc
FRAG_OPS = ("route", "encode")


def ops_for(variant):
    if variant == "ref":
        use_refs()
        return CODEC
    return BASE if variant == "base" else CODEC


# ---------------------------------------------------------------- measuring

_junk = None


def fragment():
    """Leave the heap in small scattered holes: many small blocks, every other one freed."""
    global _junk
    junk = [None] * 1500
    for i in range(len(junk)):
        junk[i] = bytearray(8 + (i * 7) % 56)
    for i in range(0, len(junk), 2):
        junk[i] = None
    _junk = junk
    gc.collect()


def run(fn, n):
    for _ in range(n):
        fn()


def us_per_op(fn, k, reps=5):
    best = None
    for _ in range(reps):
        t0 = time.ticks_us()
        run(fn, k)
        dt = time.ticks_diff(time.ticks_us(), t0)
        if best is None or dt < best:
            best = dt
    return best / k


def heap_per_op(fn, k):
    gc.collect()
    before = micropython.mem_total()
    run(fn, k)
    return (micropython.mem_total() - before) / k


def main_time(variant, k):
    ops = ops_for(variant)
    for name in ops:
        ops[name]()  # warm up
    nop = us_per_op(op_nop, k)
    clean = {}
    for name in ops:
        if name == "nop":
            continue
        us = max(us_per_op(ops[name], k) - nop, 0.0)
        clean[name] = us
        print(
            json.dumps(
                {"variant": variant, "op": name, "us": us, "heap": heap_per_op(ops[name], k)}
            )
        )
    if variant == "base":
        return
    fragment()
    for name in FRAG_OPS:
        us = max(us_per_op(ops[name], k) - nop, 0.0)
        print(
            json.dumps(
                {
                    "variant": variant,
                    "op": name,
                    "frag_us": us,
                    "clean_us": clean[name],
                    "frag_heap": heap_per_op(ops[name], k),
                }
            )
        )


def main_count(variant, name, n, frag):
    ops = ops_for(variant)
    fn = ops[name]
    fn()
    gc.collect()
    if frag:
        fragment()
    run(fn, n)


def main(argv):
    if argv[1] == "time":
        main_time(argv[2], int(argv[3]))
    else:
        main_count(argv[2], argv[3], int(argv[4]), len(argv) > 5 and argv[5] == "frag")


if __name__ == "__main__":
    main(sys.argv)
