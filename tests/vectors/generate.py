"""Write the shared codec test vectors (docs/protocol.md section 7).

Valid vectors are produced by the host codec; malformed ones are written by
hand so that they pin the spec rather than the implementation. The output is
deterministic: run `python tests/vectors/generate.py` and commit the JSON, or
`--check` to fail when the committed files are stale.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harmonia.codec import (
    ACK,
    BEACON,
    BROADCAST,
    ERROR,
    EVENT,
    FLAG_ACK_REQ,
    FLAG_AUTH,
    FLAG_FAST,
    FLAG_RESERVED,
    FLAG_RETRY,
    MAX_PAYLOAD,
    REQUEST,
    RESPONSE,
    CodecError,
    Header,
    cobs,
    crc16,
    decode_frame,
    encode_frame,
    ident,
    pack,
    same_value,
    to_tagged,
    unpack,
)

HERE = Path(__file__).resolve().parent
Vector = dict[str, Any]


# --- CRC ---------------------------------------------------------------------------------


def crc_vectors() -> list[Vector]:
    cases: list[tuple[str, bytes]] = [
        ("check value 123456789", b"123456789"),
        ("empty (init value)", b""),
        ("single 0x00", b"\x00"),
        ("single 0x01", b"\x01"),
        ("single 0x7f", b"\x7f"),
        ("single 0x80", b"\x80"),
        ("single 0xff", b"\xff"),
        ("ascii A", b"A"),
        ("two zeros", b"\x00\x00"),
        ("64-byte ramp 0..63", bytes(range(64))),
        ("256-byte ramp 0..255", bytes(range(256))),
        ("300-byte pattern (7i+3) mod 256", bytes((7 * i + 3) & 0xFF for i in range(300))),
        ("300 bytes of 0xff", b"\xff" * 300),
        ("service name sys", b"sys"),
        ("utf-8 name héllo", "héllo".encode()),
    ]
    return [{"name": name, "data": data.hex(), "crc": crc16(data)} for name, data in cases]


# --- COBS --------------------------------------------------------------------------------


def cobs_vectors() -> list[Vector]:
    ramp = bytes(1 + i % 255 for i in range(600))  # never zero
    cases: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("single zero", b"\x00"),
        ("two zeros", b"\x00\x00"),
        ("single non-zero", b"\x11"),
        ("zero between", b"\x11\x00\x22"),
        ("zero at start", b"\x00\x11\x22"),
        ("zero at end", b"\x11\x22\x00"),
        ("zeros at both ends", b"\x00\x11\x22\x00"),
        ("253 non-zero", ramp[:253]),
        ("254 non-zero (one full block)", ramp[:254]),
        ("255 non-zero", ramp[:255]),
        ("256 non-zero", ramp[:256]),
        ("254 non-zero then zero", ramp[:254] + b"\x00"),
        ("zero then 254 non-zero", b"\x00" + ramp[:254]),
        ("254 non-zero, zero, 254 non-zero", ramp[:254] + b"\x00" + ramp[:254]),
        ("508 non-zero (two full blocks)", ramp[:508]),
        ("600 non-zero", ramp),
        ("254 zeros", b"\x00" * 254),
        ("all byte values", bytes(range(256))),
        ("a request frame", _sample_frame()),
    ]
    out: list[Vector] = [
        {"name": name, "raw": raw.hex(), "encoded": cobs.encode(raw).hex()} for name, raw in cases
    ]
    bad: list[tuple[str, str]] = [
        ("empty run (lone delimiter) is not a frame", "00"),
        ("zero code byte after a block", "0211000100"),
        ("zero data byte inside a block", "0311002200"),
        ("block runs past the end", "05112200"),
        ("full block runs past the end", "ff" + "11" * 10 + "00"),
        ("last block one byte short", "0311" + "00"),
    ]
    for name, hexed in bad:
        _expect_error(cobs.decode, bytes.fromhex(hexed), "CobsError", name)
        out.append({"name": name, "encoded": hexed, "error": "CobsError"})
    return out


# --- payloads ----------------------------------------------------------------------------


def _nest_arrays(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def _nest_maps(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {0: value}
    return value


def canonical_payloads() -> list[tuple[str, object]]:
    ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1]
    negs = [-1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63)]
    cases: list[tuple[str, object]] = [("nil", None), ("false", False), ("true", True)]
    cases += [(f"int {v}", v) for v in ints + negs]
    floats = [0.0, -0.0, 1.0, 1.5, -2.25, 0.1, 1e300, -1e-300, 5e-324, 1.7976931348623157e308]
    cases += [(f"float64 {v!r}", v) for v in floats]
    cases += [("float64 inf", math.inf), ("float64 -inf", -math.inf)]
    cases += [
        ("fixstr empty", ""),
        ("fixstr a", "a"),
        ("fixstr 31", "x" * 31),
        ("str8 32", "y" * 32),
        ("str8 255", "z" * 255),
        ("str16 256", "w" * 256),
        ("str16 4000", "".join(chr(0x61 + i % 26) for i in range(4000))),
        ("unicode 2-byte héllo", "héllo"),
        ("unicode 3-byte 日本語", "日本語"),
        ("unicode 4-byte emoji", "\U0001f600"),
        ("unicode mixed", "a\u00e9\u4e2d\U0001f680z"),
        ("str with nul", "a\x00b"),
        ("bin8 empty", b""),
        ("bin8 1", b"\x00"),
        ("bin8 255", bytes(range(255))),
        ("bin16 256", bytes(range(256))),
        ("bin16 1000", bytes(i & 0xFF for i in range(1000))),
        ("bin16 largest payload (4056 bytes)", b"\xab" * (MAX_PAYLOAD - 3)),
        ("fixarray empty", []),
        ("fixarray 3", [1, 2, 3]),
        ("fixarray 15", list(range(15))),
        ("array16 16", list(range(16))),
        ("array16 1000", [i & 0x7F for i in range(1000)]),
        ("array mixed", [None, True, -1, 1.5, "s", b"\x01", [], {}]),
        ("array nested", [[1, [2, [3]]], [[]]]),
        ("depth 16 arrays (the limit)", _nest_arrays(16)),
        ("fixmap empty", {}),
        ("fixmap str keys", {"a": 1, "b": [1, 2]}),
        ("fixmap int keys", {1: "one", -1: "minus one", 300: None}),
        ("fixmap key kinds nil bool float bin", {None: 0, True: 1, 1.5: 2, b"\x00": 3}),
        ("fixmap 15", {i: i for i in range(15)}),
        ("map16 16", {i: i for i in range(16)}),
        ("map nested", {"outer": {"inner": {1: [1, 2, {"x": b""}]}}}),
        ("depth 16 maps (the limit)", _nest_maps(16)),
        ("request args", ["sensor.read", {"unit": "C", "avg": 4}, 0.5, None, b"\xde\xad"]),
        ("error triple", [404, "KeyError", "no method 'x'"]),
    ]
    return cases


# Decode-only vectors: valid but not the smallest form (or with no exact encoder form).
NON_CANONICAL: list[tuple[str, str, object]] = [
    ("uint8 non-minimal 5", "cc05", 5),
    ("uint16 non-minimal 5", "cd0005", 5),
    ("uint32 non-minimal 5", "ce00000005", 5),
    ("uint64 non-minimal 5", "cf0000000000000005", 5),
    ("uint16 non-minimal 200", "cd00c8", 200),
    ("int8 positive 5", "d005", 5),
    ("int8 -1 non-minimal", "d0ff", -1),
    ("int16 -1 non-minimal", "d1ffff", -1),
    ("int32 -1 non-minimal", "d2ffffffff", -1),
    ("int64 -1 non-minimal", "d3ffffffffffffffff", -1),
    ("int64 positive 2**63-1", "d37fffffffffffffff", 2**63 - 1),
    ("int32 -129 non-minimal", "d2ffffff7f", -129),
    ("float32 0.0", "ca00000000", 0.0),
    ("float32 1.5", "ca3fc00000", 1.5),
    ("float32 -1.0", "cabf800000", -1.0),
    ("float32 0.1", "ca3dcccccd", 0.10000000149011612),
    ("float32 largest", "ca7f7fffff", 3.4028234663852886e38),
    ("float32 inf", "ca7f800000", math.inf),
    ("float32 -inf", "caff800000", -math.inf),
    ("float32 nan", "ca7fc00000", math.nan),
    ("float64 nan", "cb7ff8000000000000", math.nan),
    ("str8 non-minimal a", "d90161", "a"),
    ("str16 non-minimal abc", "da0003616263", "abc"),
    ("str32 non-minimal abc", "db00000003616263", "abc"),
    ("str32 non-minimal empty", "db00000000", ""),
    ("bin16 non-minimal", "c50002abcd", b"\xab\xcd"),
    ("bin32 non-minimal", "c600000002abcd", b"\xab\xcd"),
    ("bin32 non-minimal empty", "c600000000", b""),
    ("array16 non-minimal", "dc00020102", [1, 2]),
    ("array32 non-minimal", "dd000000020102", [1, 2]),
    ("array32 non-minimal empty", "dd00000000", []),
    ("map16 non-minimal", "de0001a16101", {"a": 1}),
    ("map32 non-minimal", "df00000001a16101", {"a": 1}),
    ("map with non-minimal key", "81cd0001c3", {1: True}),
]


# Host-canonical, but another encoder may set other NaN payload or sign bits.
NAN_BITS_VARY = {"float64 nan"}


def _truncations() -> list[tuple[str, str, str]]:
    """Every prefix of a composite payload, with the class the reading order gives."""
    whole = bytes.fromhex("93cd012ca3616263c50003000102")  # [300, "abc", bin(00 01 02)]
    expected = {
        0: "TruncatedError",  # nothing at all
        1: "LengthError",  # 3 elements, 0 bytes left
        2: "LengthError",  # 3 elements, 1 byte left
        3: "LengthError",  # 3 elements, 2 bytes left
        4: "TruncatedError",  # 300 read, then nothing where "abc" should start
    }
    out = []
    for cut in range(len(whole)):
        error = expected.get(cut, "TruncatedError")
        out.append((f"truncated composite at {cut} of {len(whole)}", whole[:cut].hex(), error))
    return out


MALFORMED: list[tuple[str, str, str]] = [
    ("empty payload", "", "TruncatedError"),
    ("uint8 without value", "cc", "TruncatedError"),
    ("uint16 one byte", "cd00", "TruncatedError"),
    ("uint32 three bytes", "ce000000", "TruncatedError"),
    ("uint64 seven bytes", "cf00000000000000", "TruncatedError"),
    ("int8 without value", "d0", "TruncatedError"),
    ("int16 one byte", "d1ff", "TruncatedError"),
    ("int32 two bytes", "d2ffff", "TruncatedError"),
    ("int64 four bytes", "d3ffffffff", "TruncatedError"),
    ("float32 two bytes", "ca3fc0", "TruncatedError"),
    ("float64 three bytes", "cb3ff800", "TruncatedError"),
    ("fixstr 5 with 3 bytes", "a5616263", "TruncatedError"),
    ("str8 without length", "d9", "TruncatedError"),
    ("str8 5 with 2 bytes", "d9056162", "TruncatedError"),
    ("str16 length one byte", "da00", "TruncatedError"),
    ("str32 length three bytes", "db000000", "TruncatedError"),
    ("bin8 without length", "c4", "TruncatedError"),
    ("bin8 3 with 1 byte", "c40301", "TruncatedError"),
    ("bin16 length one byte", "c500", "TruncatedError"),
    ("bin32 2 with 1 byte", "c60000000201", "TruncatedError"),
    ("array16 count one byte", "dc00", "TruncatedError"),
    ("array32 count three bytes", "dd000000", "TruncatedError"),
    ("map16 count one byte", "de00", "TruncatedError"),
    ("map32 count two bytes", "df0000", "TruncatedError"),
    ("array element truncated", "92cd00", "TruncatedError"),
    ("map value truncated", "81a161cc", "TruncatedError"),
    ("fixarray 1 with nothing left", "91", "LengthError"),
    ("fixarray 2 with 1 byte left", "9201", "LengthError"),
    ("fixmap 1 without value (2 elements, 1 byte)", "8101", "LengthError"),
    ("array16 5 with 2 bytes left", "dc00050102", "LengthError"),
    ("array32 count 2**32-1 with 3 bytes left", "ddffffffff010203", "LengthError"),
    ("map16 2 pairs with 3 bytes left", "de0002010203", "LengthError"),
    ("map32 count 2**32-1 with 2 bytes left", "dfffffffff0102", "LengthError"),
    ("inner array count lies", "929f0101", "LengthError"),
    ("0xc1 alone", "c1", "MalformedError"),
    ("0xc1 in array", "9201c1", "MalformedError"),
    ("0xc1 as map key", "81c101", "MalformedError"),
    ("fixext1", "d40100", "UnsupportedError"),
    ("fixext2", "d5010000", "UnsupportedError"),
    ("fixext4 timestamp", "d6ff00000000", "UnsupportedError"),
    ("fixext8", "d701" + "00" * 8, "UnsupportedError"),
    ("fixext16", "d801" + "00" * 16, "UnsupportedError"),
    ("ext8", "c7010500", "UnsupportedError"),
    ("ext16", "c800010500", "UnsupportedError"),
    ("ext32", "c9000000010500", "UnsupportedError"),
    ("ext8 alone: ext decided before truncation", "c7", "UnsupportedError"),
    ("ext inside array", "91d40100", "UnsupportedError"),
    ("utf-8 bad continuation", "a2c328", "MalformedError"),
    ("utf-8 lone continuation byte", "a180", "MalformedError"),
    ("utf-8 byte 0xff", "a1ff", "MalformedError"),
    ("utf-8 sequence cut by str end", "a2e697", "MalformedError"),
    ("utf-8 overlong nul", "a2c080", "MalformedError"),
    ("utf-8 encoded surrogate", "a3eda080", "MalformedError"),
    ("utf-8 above U+10FFFF", "a4f4908080", "MalformedError"),
    ("invalid utf-8 as map key", "81a1ff01", "MalformedError"),
    ("array as map key", "819001", "MalformedError"),
    ("array with element as map key", "81910102", "MalformedError"),
    ("map as map key", "818001", "MalformedError"),
    ("array as second map key", "820101900102", "MalformedError"),
    ("trailing byte after int", "0102", "MalformedError"),
    ("trailing nil after nil", "c0c0", "MalformedError"),
    ("trailing zero after array", "9000", "MalformedError"),
    ("trailing after map", "81010200", "MalformedError"),
    ("depth 17 arrays", "91" * 17 + "01", "DepthError"),
    ("depth 17 maps", "8100" * 17 + "01", "DepthError"),
    ("depth 17 empty innermost", "91" * 16 + "90", "DepthError"),
    ("depth 17 array16 innermost", "91" * 16 + "dc0000", "DepthError"),
    ("depth 17 mixed", "8100" * 8 + "91" * 9 + "c0", "DepthError"),
    ("str32 length 5000 (over 4059)", "db00001388616263", "OversizeError"),
    ("str16 length 4060 (over 4059)", "da0fdc6161", "OversizeError"),
    ("bin32 length 65536", "c60001000000", "OversizeError"),
    ("bin16 length 4060 with nothing", "c50fdc", "OversizeError"),
    ("payload of 4060 bytes", "c50fd9" + "ab" * 4057, "OversizeError"),
    # first problem in reading order wins
    ("0xc1 before truncation", "92c1cd", "MalformedError"),
    ("bad utf-8 before depth", "92a1ff" + "91" * 16 + "01", "MalformedError"),
    ("depth before lying count", "91" * 16 + "9f", "DepthError"),
    ("ext before trailing bytes", "d4010000", "UnsupportedError"),
    ("lying count before ext", "94d40100", "LengthError"),
]


def payload_vectors() -> list[Vector]:
    out: list[Vector] = []
    for name, value in canonical_payloads():
        data = pack(value)
        _check_decodes(data, value, name)
        out.append({"name": name, "hex": data.hex(), "value": to_tagged(value), "canonical": True})
    for name, hexed, value in NON_CANONICAL:
        _check_decodes(bytes.fromhex(hexed), value, name)
        if pack(value).hex() == hexed and name not in NAN_BITS_VARY:
            raise SystemExit(f"{name}: marked non-canonical but is the canonical form")
        out.append({"name": name, "hex": hexed, "value": to_tagged(value), "canonical": False})
    for name, hexed, error in MALFORMED + _truncations():
        _expect_error(unpack, bytes.fromhex(hexed), error, name)
        out.append({"name": name, "hex": hexed, "error": error})
    return out


# --- frames ------------------------------------------------------------------------------

SRC = 0x1A2B3C4D
DST = 0x55667788
SYS = ident("sys")
PING = ident("ping")
AUTH = bytes.fromhex("0badcafe000000070123456789abcdef")


def _sample_frame() -> bytes:
    return encode_frame(Header(REQUEST, 0, 1, SRC, DST, SYS, PING), ["hello", 1])


def _frame_cases() -> list[tuple[str, Header, object, bytes | None]]:
    h = Header
    a = FLAG_AUTH
    return [
        ("request", h(REQUEST, 0, 1, SRC, DST, SYS, PING), [1, "two", 3.5], None),
        ("request no args", h(REQUEST, 0, 2, SRC, DST, SYS, PING), [], None),
        ("response int", h(RESPONSE, 0, 1, DST, SRC, SYS, PING), 42, None),
        ("response nil is plen 0", h(RESPONSE, 0, 3, DST, SRC, SYS, PING), None, None),
        ("response map", h(RESPONSE, 0, 4, DST, SRC, SYS, PING), {"t": 21.5, "ok": True}, None),
        ("error", h(ERROR, 0, 5, DST, SRC, SYS, PING), [404, "KeyError", "no method"], None),
        ("event", h(EVENT, 0, 6, SRC, BROADCAST, ident("env"), ident("temp")), 21.5, None),
        ("beacon", h(BEACON, 0, 7, SRC, BROADCAST, 0, 0), {"name": "n1", "svcs": [SYS]}, None),
        ("ack plen 0", h(ACK, 0, 1, DST, SRC, 0, 0), None, None),
        ("ack_req", h(REQUEST, FLAG_ACK_REQ, 8, SRC, DST, SYS, PING), [], None),
        ("retry", h(REQUEST, FLAG_RETRY | FLAG_ACK_REQ, 8, SRC, DST, SYS, PING), [], None),
        ("fast", h(EVENT, FLAG_FAST, 9, SRC, BROADCAST, 1, 2), [1, 2, 3], None),
        ("reserved bit 4 is carried", h(EVENT, FLAG_RESERVED, 9, SRC, DST, 1, 2), 0, None),
        ("auth trailer", h(REQUEST, a, 10, SRC, DST, SYS, PING), [1], AUTH),
        ("auth with plen 0", h(ACK, a, 11, DST, SRC, 0, 0), None, AUTH),
        ("hops 1", h(EVENT, 1 << 5, 12, SRC, BROADCAST, 1, 2), 1, None),
        ("hops 3 with ack_req", h(REQUEST, (3 << 5) | FLAG_ACK_REQ, 13, SRC, DST, 1, 2), [], None),
        ("hops 7 with auth", h(EVENT, (7 << 5) | a, 14, SRC, BROADCAST, 1, 2), "x", AUTH),
        ("all flags", h(REQUEST, 0xFF, 15, SRC, DST, 1, 2), [True], AUTH),
        ("broadcast dst", h(EVENT, 0, 16, SRC, BROADCAST, 1, 2), None, None),
        ("link-local dst 0", h(REQUEST, 0, 17, SRC, 0, SYS, ident("hello")), [], None),
        ("src 0xffffffff", h(EVENT, 0, 18, 0xFFFFFFFF, BROADCAST, 1, 2), 0, None),
        ("seq 0", h(REQUEST, 0, 0, SRC, DST, SYS, PING), [], None),
        ("seq 0xffff", h(REQUEST, 0, 0xFFFF, SRC, DST, SYS, PING), [], None),
        ("svc and mth 0xffff", h(REQUEST, 0, 19, SRC, DST, 0xFFFF, 0xFFFF), [], None),
        (
            "largest payload with auth (4096 bytes)",
            h(RESPONSE, a, 20, DST, SRC, SYS, PING),
            b"\x5a" * (MAX_PAYLOAD - 3),
            AUTH,
        ),
        (
            "largest payload without auth",
            h(RESPONSE, 0, 21, DST, SRC, SYS, PING),
            b"\x5a" * (MAX_PAYLOAD - 3),
            None,
        ),
    ]


def _raw_frame(head: bytes, body: bytes, crc_fix: int = 0) -> bytes:
    data = head + body
    return data + ((crc16(data) ^ crc_fix) & 0xFFFF).to_bytes(2, "big")


def _head(ver: int = 1, mtype: int = REQUEST, flags: int = 0, plen: int = 1) -> bytes:
    return struct.pack(">BBBHIIHHH", ver, mtype, flags, 1, SRC, DST, SYS, PING, plen)


def _bad_frames() -> list[tuple[str, bytes, str]]:
    good = _sample_frame()
    big = b"\xc5" + (MAX_PAYLOAD + 14).to_bytes(2, "big") + b"\x00" * (MAX_PAYLOAD + 14)
    huge = _raw_frame(_head(plen=len(big)), big)  # 4096 + 1 bytes, CRC correct
    over = b"\xc5" + (MAX_PAYLOAD - 2).to_bytes(2, "big") + b"\x00" * (MAX_PAYLOAD - 2)
    return [
        ("empty", b"", "TruncatedError"),
        ("one byte", b"\x01", "TruncatedError"),
        ("header only, no crc", good[:19], "TruncatedError"),
        ("20 bytes", good[:20], "TruncatedError"),
        ("bad crc (last byte flipped)", good[:-1] + bytes((good[-1] ^ 1,)), "CrcError"),
        (
            "bad crc (payload bit flipped)",
            good[:20] + bytes((good[20] ^ 0x10,)) + good[21:],
            "CrcError",
        ),
        ("truncated frame fails crc", good[:-3] + good[-2:], "CrcError"),
        ("version 2", _raw_frame(_head(ver=2), b"\xc0"), "VersionError"),
        ("version 0", _raw_frame(_head(ver=0), b"\xc0"), "VersionError"),
        ("type 0", _raw_frame(_head(mtype=0), b"\xc0"), "MalformedError"),
        ("type 7", _raw_frame(_head(mtype=7), b"\xc0"), "MalformedError"),
        ("type 255", _raw_frame(_head(mtype=255), b"\xc0"), "MalformedError"),
        ("plen too long", _raw_frame(_head(plen=3), b"\x92\x01"), "LengthError"),
        ("plen too short", _raw_frame(_head(plen=1), b"\x92\x01\x02"), "LengthError"),
        ("plen 0 with a byte", _raw_frame(_head(plen=0), b"\xc0"), "LengthError"),
        ("auth flag without trailer", _raw_frame(_head(flags=FLAG_AUTH), b"\xc0"), "LengthError"),
        ("trailer without auth flag", _raw_frame(_head(), b"\xc0" + AUTH), "LengthError"),
        ("frame of 4097 bytes", huge, "OversizeError"),
        ("frame of 4097 bytes with bad crc", huge[:-1] + bytes((huge[-1] ^ 1,)), "OversizeError"),
        (
            "payload of 4060 bytes (frame 4081, no auth)",
            _raw_frame(_head(plen=len(over)), over),
            "OversizeError",
        ),
        ("payload 0xc1", _raw_frame(_head(), b"\xc1"), "MalformedError"),
        ("payload trailing bytes", _raw_frame(_head(plen=2), b"\x01\x02"), "MalformedError"),
        ("payload truncated", _raw_frame(_head(plen=2), b"\xcd\x01"), "TruncatedError"),
        ("payload ext", _raw_frame(_head(plen=3), b"\xd4\x01\x00"), "UnsupportedError"),
        ("payload lying count", _raw_frame(_head(plen=2), b"\x93\x01"), "LengthError"),
        ("payload depth 17", _raw_frame(_head(plen=18), b"\x91" * 17 + b"\x01"), "DepthError"),
        # first problem in reading order wins
        ("bad crc beats version 2", _raw_frame(_head(ver=2), b"\xc0", 1), "CrcError"),
        ("version 2 beats type 7", _raw_frame(_head(ver=2, mtype=7), b"\xc0"), "VersionError"),
        ("type 7 beats lying plen", _raw_frame(_head(mtype=7, plen=9), b"\xc0"), "MalformedError"),
        ("lying plen beats bad payload", _raw_frame(_head(plen=2), b"\xc1"), "LengthError"),
    ]


def frame_vectors() -> list[Vector]:
    out: list[Vector] = []
    for name, header, payload, auth in _frame_cases():
        data = encode_frame(header, payload, auth)
        frame = decode_frame(data)
        if frame.header != header or frame.auth != auth or not same_value(frame.payload, payload):
            raise SystemExit(f"frame {name}: does not round-trip")
        out.append(
            {
                "name": name,
                "hex": data.hex(),
                "header": {
                    "ver": header.ver,
                    "type": header.type,
                    "flags": header.flags,
                    "seq": header.seq,
                    "src": header.src,
                    "dst": header.dst,
                    "svc": header.svc,
                    "mth": header.mth,
                },
                "payload": to_tagged(payload),
                "auth": None if auth is None else auth.hex(),
            }
        )
    for name, data, error in _bad_frames():
        _expect_error(decode_frame, data, error, name)
        out.append({"name": name, "hex": data.hex(), "error": error})
    return out


# --- helpers -----------------------------------------------------------------------------


def _check_decodes(data: bytes, value: object, name: str) -> None:
    got = unpack(data)
    if not same_value(got, value):
        raise SystemExit(f"{name}: decodes to {got!r}, expected {value!r}")


def _expect_error(func: Callable[[bytes], object], data: bytes, error: str, name: str) -> None:
    try:
        func(data)
    except CodecError as exc:
        got = type(exc).__name__
        if got != error:
            raise SystemExit(f"{name}: raised {got} ({exc}), vector says {error}") from None
        return
    raise SystemExit(f"{name}: decoded, vector says {error}")


def render(vectors: list[Vector]) -> str:
    """One vector per line: diffs stay readable and the files stay small."""
    lines = ",\n".join(" " + json.dumps(v, ensure_ascii=False) for v in vectors)
    return "[\n" + lines + "\n]\n"


FILES: dict[str, Callable[[], list[Vector]]] = {
    "crc.json": crc_vectors,
    "cobs.json": cobs_vectors,
    "payloads.json": payload_vectors,
    "frames.json": frame_vectors,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for filename, build in FILES.items():
        text = render(build())
        path = HERE / filename
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(filename)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale vectors (run tests/vectors/generate.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
