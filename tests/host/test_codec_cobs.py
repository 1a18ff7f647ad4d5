"""COBS encoding and the serial Deframer: round trips, bad runs and resynchronisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmonia.codec import (
    EVENT,
    MAX_ENCODED_FRAME,
    MAX_PAYLOAD,
    CobsError,
    Deframer,
    Header,
    check_frame,
    cobs,
    encode_frame,
)


def frame(seq: int, payload: object = None) -> bytes:
    return encode_frame(Header(EVENT, 0, seq, 1, 2, 3, 4), payload)


frames = st.lists(
    st.builds(frame, st.integers(0, 0xFFFF), st.none() | st.binary(max_size=300)),
    min_size=1,
    max_size=5,
)


@given(st.binary(max_size=2000))
def test_cobs_round_trip_has_no_inner_zero_and_bounded_overhead(raw: bytes) -> None:
    encoded = cobs.encode(raw)
    assert encoded[-1] == 0 and 0 not in encoded[:-1]
    assert len(encoded) <= len(raw) + max(1, -(-len(raw) // 254)) + 1
    assert cobs.decode(encoded) == raw


def test_largest_frame_encodes_within_the_bound() -> None:
    big = encode_frame(Header(EVENT, 0, 0, 1, 2, 3, 4), b"\x01" * (MAX_PAYLOAD - 3))
    assert len(cobs.encode(big)) - 1 <= MAX_ENCODED_FRAME


def test_trailing_ff_block_needs_no_empty_block() -> None:
    raw = bytes(range(1, 255))
    assert cobs.decode(b"\xff" + raw + b"\x01\x00") == raw == cobs.decode(cobs.encode(raw))


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\x02\x11\x00\x01", b"\x05\x11", b"\x00\x00"])
def test_bad_cobs_runs_raise(bad: bytes) -> None:
    with pytest.raises(CobsError):
        cobs.decode(bad)


@given(frames, st.data())
def test_deframer_reassembles_any_chunking(sent: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(cobs.encode(f) for f in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    deframer = Deframer()
    got: list[bytes] = []
    for start, stop in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += deframer.feed(stream[start:stop])
    assert got == sent
    assert deframer.dropped == {}


@given(frames, st.lists(st.binary(max_size=80), min_size=1, max_size=5), st.data())
def test_deframer_resyncs_after_garbage(
    sent: list[bytes], garbage: list[bytes], data: st.DataObject
) -> None:
    stream = b""
    for index, good in enumerate(sent):
        stream += garbage[index % len(garbage)] + b"\x00" + cobs.encode(good)
    deframer = Deframer()
    got: list[bytes] = []
    step = data.draw(st.integers(1, 64))
    for start in range(0, len(stream), step):
        got += deframer.feed(stream[start : start + step])
    for out in got:
        check_frame(out)  # nothing with a failing CRC or bad size is handed on
    rest = iter(got)
    assert all(any(good == out for out in rest) for good in sent)  # each, in order


@given(frames, st.data())
def test_deframer_drops_corrupted_frames_and_keeps_the_rest(
    sent: list[bytes], data: st.DataObject
) -> None:
    encoded = [bytearray(cobs.encode(f)) for f in sent]
    victim = data.draw(st.integers(0, len(encoded) - 1))
    pos = data.draw(st.integers(0, len(encoded[victim]) - 2))
    encoded[victim][pos] ^= data.draw(st.integers(1, 255))
    deframer = Deframer()
    got = deframer.feed(b"\x00" + b"".join(encoded))
    for out in got:
        check_frame(out)
    others = [f for i, f in enumerate(sent) if i != victim]
    rest = iter(got)
    assert all(any(good == out for out in rest) for good in others)
    if sent[victim] not in got:
        assert sum(deframer.dropped.values()) >= 1


def test_empty_runs_are_a_flush_not_an_error() -> None:
    deframer = Deframer()
    assert deframer.feed(b"\x00\x00\x00") == []
    assert deframer.dropped == {}


def test_overlong_run_is_discarded_without_buffering() -> None:
    deframer = Deframer()
    good = frame(7, "ok")
    assert deframer.feed(b"\x01" * 100_000) == []
    assert deframer.pending <= MAX_ENCODED_FRAME
    assert deframer.feed(b"\x01" * 1000 + b"\x00" + cobs.encode(good)) == [good]
    assert deframer.dropped == {"OversizeError": 1}
    assert deframer.pending == 0


def test_drops_are_counted_by_class_and_kept() -> None:
    deframer = Deframer(keep_errors=2)
    good = frame(1)
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 1
    stream = b"\x05\x11\x00" + cobs.encode(b"short") + cobs.encode(bytes(bad_crc))
    assert deframer.feed(stream + cobs.encode(good)) == [good]
    assert deframer.dropped == {"CobsError": 1, "TruncatedError": 1, "CrcError": 1}
    assert [type(e).__name__ for e in deframer.errors] == ["TruncatedError", "CrcError"]


def test_reset_forgets_a_partial_run() -> None:
    deframer = Deframer()
    good = frame(3)
    deframer.feed(cobs.encode(good)[:10])
    deframer.reset()
    assert deframer.feed(cobs.encode(good)) == [good]
