"""Host codec against board codec, with Hypothesis: host-encoded bytes decode on the
board to equal values, board-encoded bytes decode on the host and equal the host's
own bytes, and arbitrary bytes get the same verdict (value or error class) from both.

Each test drives one MicroPython process (tests/firmware/codec_driver.py) over pipes.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harmonia import codec
from harmonia.paths import firmware_dir, micropython_exe

HERE = Path(__file__).resolve().parent
EXAMPLES = 1000
CROSS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Board:
    """The board codec in a MicroPython process, one request line at a time."""

    def __init__(self) -> None:
        env = {"MICROPYPATH": f"{firmware_dir()}:{HERE}", "PATH": "/usr/bin:/bin"}
        # stderr holds the unix port's bytes/str comparison warnings; kept for failures.
        self.err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [micropython_exe(), str(HERE / "codec_driver.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            env=env,
            text=True,
            bufsize=1,
        )

    def ask(self, cmd: str, arg: str) -> tuple[str, str]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{cmd} {arg}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().rstrip("\n")
        status, _, rest = line.partition(" ")
        if status not in ("OK", "ERR"):
            self.err.seek(0)
            stderr = self.err.read()[-2000:]
            pytest.fail(f"driver answered {line!r} to {cmd} {arg[:80]}\n{stderr}")
        return status, rest

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.write("Q\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.err.close()


@pytest.fixture
def board() -> Iterator[Board]:
    b = Board()
    yield b
    b.close()


# ---------------------------------------------------------------- exact JSON (see codec_driver)


def to_x(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, int):
        return v
    if isinstance(v, float):
        return {"d": struct.pack(">d", v).hex()}
    if isinstance(v, str):
        return {"s": v.encode().hex()}
    if isinstance(v, bytes):
        return {"b": v.hex()}
    if isinstance(v, list):
        return [to_x(x) for x in v]
    return {"m": [[to_x(k), to_x(x)] for k, x in v.items()]}


def from_x(j: Any) -> Any:
    if isinstance(j, list):
        return [from_x(x) for x in j]
    if isinstance(j, dict):
        if "d" in j:
            return struct.unpack(">d", bytes.fromhex(j["d"]))[0]
        if "s" in j:
            return bytes.fromhex(j["s"]).decode()
        if "b" in j:
            return bytes.fromhex(j["b"])
        return {from_x(k): from_x(x) for k, x in j["m"]}
    return j


def same(a: Any, b: Any) -> bool:
    """Equal as payload values: types match, float bits match (NaN by NaN-ness),
    maps compare as sets of pairs (a board dict has no insertion order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):  # pair by key with `same`: a NaN key is never `in` a dict
        return len(a) == len(b) and all(
            any(same(k, kb) and same(v, vb) for kb, vb in b.items()) for k, v in a.items()
        )
    return bool(a == b)


def has_nan(v: Any) -> bool:
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, list):
        return any(map(has_nan, v))
    if isinstance(v, dict):
        return any(has_nan(k) or has_nan(x) for k, x in v.items())
    return False


# ---------------------------------------------------------------- strategies

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
INTS = st.integers(min_value=-(2**63), max_value=2**64 - 1)
EDGE_INTS = st.sampled_from(
    [
        0,
        127,
        128,
        -32,
        -33,
        255,
        256,
        65535,
        65536,
        2**31,
        2**32 - 1,
        2**32,
        2**63,
        -(2**31),
        -(2**31) - 1,
        -(2**63),
        2**64 - 1,
        0x3FFFFFFF,
        0x40000000,
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTS,
    EDGE_INTS,
    st.floats(),
    st.floats(width=32),
    TEXT,
    st.binary(max_size=40),
)
KEYS = st.one_of(
    st.none(), st.booleans(), INTS, st.floats(allow_nan=False), TEXT, st.binary(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=24,
)
NODE = st.one_of(
    st.sampled_from([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]), st.integers(0, 2**32 - 1)
)
U16 = st.integers(0, 0xFFFF)


def host_pack(v: Any) -> tuple[str, bytes | str]:
    try:
        return "OK", codec.pack(v)
    except codec.CodecError as e:
        return "ERR", type(e).__name__


def host_unpack(data: bytes) -> tuple[str, Any]:
    try:
        return "OK", codec.unpack(data)
    except codec.CodecError as e:
        return "ERR", type(e).__name__


# ---------------------------------------------------------------- payloads


@CROSS
@given(value=VALUES)
def test_host_encoded_payloads_decode_on_the_board(board: Board, value: Any) -> None:
    status, data = host_pack(value)
    if status == "ERR":
        return
    assert isinstance(data, bytes)
    status, out = board.ask("U", data.hex())
    assert status == "OK", out
    assert same(from_x(json.loads(out)), value)


@CROSS
@given(value=VALUES)
def test_board_encoded_payloads_decode_on_the_host(board: Board, value: Any) -> None:
    status, out = board.ask("P", json.dumps(to_x(value)))
    want_status, want = host_pack(value)
    assert status == want_status, (out, want)
    if status == "ERR":
        assert out == want
        return
    data = bytes.fromhex(out)
    assert same(codec.unpack(data), value)
    if not has_nan(value):
        assert data == want  # canonical: byte-identical to the host encoder


PAYLOAD_BYTES = st.one_of(
    st.binary(max_size=64),
    VALUES.map(lambda v: host_pack(v)[1])
    .filter(lambda b: isinstance(b, bytes))
    .flatmap(
        lambda b: st.tuples(st.just(b), st.integers(0, max(len(b) - 1, 0)), st.integers(0, 255))
    )
    .map(lambda t: t[0][: t[1]] + bytes([t[2]]) + t[0][t[1] + 1 :] if t[0] else t[0]),
    VALUES.map(lambda v: host_pack(v)[1])
    .filter(lambda b: isinstance(b, bytes))
    .flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
)


@CROSS
@given(data=PAYLOAD_BYTES)
def test_arbitrary_payload_bytes_get_the_same_verdict(board: Board, data: bytes) -> None:
    want_status, want = host_unpack(data)
    status, out = board.ask("U", data.hex())
    assert status == want_status, (data.hex(), out, want)
    if status == "ERR":
        assert out == want, data.hex()
    else:
        assert same(from_x(json.loads(out)), want), data.hex()


# ---------------------------------------------------------------- frames

HEADERS = st.builds(
    codec.Header,
    type=st.integers(1, 6),
    flags=st.integers(0, 255).map(lambda f: f & ~codec.FLAG_AUTH),
    seq=U16,
    src=NODE,
    dst=NODE,
    svc=U16,
    mth=U16,
)
AUTH = st.one_of(st.none(), st.binary(min_size=16, max_size=16))


@settings(CROSS, max_examples=EXAMPLES // 3)
@given(header=HEADERS, value=VALUES, auth=AUTH)
def test_host_frames_decode_on_the_board(board: Board, header, value, auth) -> None:
    if auth is not None:
        header = codec.Header(
            header.type,
            header.flags | codec.FLAG_AUTH,
            header.seq,
            header.src,
            header.dst,
            header.svc,
            header.mth,
        )
    try:
        wire = codec.encode_frame(header, value, auth)
    except codec.CodecError:
        return
    status, out = board.ask("F", wire.hex())
    assert status == "OK", out
    got = json.loads(out)
    assert tuple(got[:8]) == (
        header.ver,
        header.type,
        header.flags,
        header.seq,
        header.src,
        header.dst,
        header.svc,
        header.mth,
    )
    assert same(from_x(got[8]), value)
    assert got[9] == (None if auth is None else auth.hex())


@settings(CROSS, max_examples=EXAMPLES // 3)
@given(header=HEADERS, value=VALUES, auth=AUTH)
def test_board_frames_decode_on_the_host(board: Board, header, value, auth) -> None:
    flags = header.flags | (codec.FLAG_AUTH if auth else 0)
    req = [
        header.type,
        flags,
        header.seq,
        header.src,
        header.dst,
        header.svc,
        header.mth,
        to_x(value),
        None if auth is None else auth.hex(),
    ]
    status, out = board.ask("E", json.dumps(req))
    try:
        want = codec.encode_frame(
            codec.Header(
                header.type, flags, header.seq, header.src, header.dst, header.svc, header.mth
            ),
            value,
            auth,
        )
    except codec.CodecError as e:
        assert (status, out) == ("ERR", type(e).__name__)
        return
    assert status == "OK", out
    wire = bytes.fromhex(out)
    got = codec.decode_frame(wire)
    assert got.header.flags == flags and got.header.src == header.src
    assert same(got.payload, value) and got.auth == auth
    if not has_nan(value):
        assert wire == want


@settings(CROSS, max_examples=EXAMPLES // 3)
@given(header=HEADERS, value=VALUES, data=st.data())
def test_damaged_frames_get_the_same_verdict(board: Board, header, value, data) -> None:
    try:
        wire = bytearray(codec.encode_frame(header, value))
    except codec.CodecError:
        return
    how = data.draw(st.sampled_from(["flip", "cut", "grow", "field"]))
    if how == "flip":
        i = data.draw(st.integers(0, len(wire) - 1))
        wire[i] ^= 1 << data.draw(st.integers(0, 7))
    elif how == "cut":
        wire = wire[: data.draw(st.integers(0, len(wire) - 1))]
    elif how == "grow":
        wire += data.draw(st.binary(min_size=1, max_size=4))
    else:  # rewrite a header byte and fix the CRC, so the later checks are reached
        i = data.draw(st.sampled_from([0, 1, 2, 17, 18]))
        wire[i] = data.draw(st.integers(0, 255))
        wire[-2:] = codec.crc16(bytes(wire[:-2])).to_bytes(2, "big")
    try:
        f = codec.decode_frame(bytes(wire))
        want: tuple[str, Any] = ("OK", f.payload)
    except codec.CodecError as e:
        want = ("ERR", type(e).__name__)
    status, out = board.ask("F", bytes(wire).hex())
    assert status == want[0], (bytes(wire).hex(), out, want)
    if status == "ERR":
        assert out == want[1], bytes(wire).hex()
    else:
        assert same(from_x(json.loads(out)[8]), want[1])


# ---------------------------------------------------------------- COBS


@settings(CROSS, max_examples=EXAMPLES // 3)
@given(
    raw=st.one_of(
        st.binary(max_size=700), st.binary(max_size=700).map(lambda b: b.replace(b"\0", b"\1"))
    )
)
def test_cobs_both_ways(board: Board, raw: bytes) -> None:
    status, out = board.ask("C", raw.hex())
    assert status == "OK"
    assert bytes.fromhex(out) == codec.cobs.encode(raw)
    status, out = board.ask("D", codec.cobs.encode(raw)[:-1].hex())
    assert (status, bytes.fromhex(out)) == ("OK", raw)
