"""COBS framing for serial links (docs/protocol.md section 2.1).

>>> encode(b"\\x11\\x00\\x22")
b'\\x02\\x11\\x02"\\x00'
>>> decode(b'\\x02\\x11\\x02"\\x00')
b'\\x11\\x00"'

`Deframer` turns a byte stream into checked frames and survives garbage:

>>> from harmonia.codec import Header, encode_frame, EVENT
>>> wire = encode_frame(Header(EVENT, 0, 1, 2, 3, 4, 5), 42)
>>> d = Deframer()
>>> d.feed(b"junk\\x00" + encode(wire)) == [wire]
True
>>> d.dropped
{'CobsError': 1}
"""

from __future__ import annotations

from collections import deque

from .constants import MAX_ENCODED_FRAME
from .errors import CobsError, CodecError, OversizeError
from .frame import check_frame


def encode(data: bytes | bytearray | memoryview) -> bytes:
    """COBS form of `data`, followed by the `0x00` delimiter."""
    out = bytearray()
    segments = bytes(data).split(b"\x00")
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        full = len(segment) - len(segment) % 254
        for start in range(0, full, 254):
            out.append(0xFF)
            out += segment[start : start + 254]
        rest = segment[full:]
        if rest or index < last or not full:
            out.append(len(rest) + 1)
            out += rest
    out.append(0)
    return bytes(out)


def decode(data: bytes | bytearray | memoryview) -> bytes:
    """The bytes of one COBS run; one trailing `0x00` delimiter is allowed and dropped."""
    run = bytes(data)
    if run.endswith(b"\x00"):
        run = run[:-1]
    if not run:
        raise CobsError("empty COBS run: a frame has at least one code byte")
    if 0 in run:
        raise CobsError(f"zero byte inside a COBS run at offset {run.index(0)}")
    out = bytearray()
    size = len(run)
    pos = 0
    while pos < size:
        code = run[pos]
        end = pos + code
        if end > size:
            raise CobsError(f"COBS block at offset {pos} runs {end - size} bytes past the end")
        out += run[pos + 1 : end]
        pos = end
        if code < 0xFF and pos < size:
            out.append(0)
    return bytes(out)


class Deframer:
    """Splits a serial byte stream at `0x00` into COBS-decoded, CRC-checked frames.

    Bad runs never reach the caller: each is counted in `dropped` (by error class
    name) and kept in `errors` (the most recent `keep_errors`). A run longer than
    `max_run` bytes is discarded up to the next delimiter without being buffered.
    """

    def __init__(self, max_run: int = MAX_ENCODED_FRAME, keep_errors: int = 16) -> None:
        self.max_run = max_run
        self.dropped: dict[str, int] = {}
        self.errors: deque[CodecError] = deque(maxlen=keep_errors)
        self._buf = bytearray()
        self._overflow = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume `chunk`; return the frames it completed, in order."""
        data = bytes(chunk)
        frames: list[bytes] = []
        start = 0
        while True:
            stop = data.find(0, start)
            if stop < 0:
                self._append(data, start, len(data))
                return frames
            self._append(data, start, stop)
            self._end_run(frames)
            start = stop + 1

    def reset(self) -> None:
        """Forget a partly received run (e.g. after reopening the port)."""
        self._buf.clear()
        self._overflow = 0

    @property
    def pending(self) -> int:
        """Bytes held for the current, not yet delimited run (never more than `max_run`)."""
        return len(self._buf)

    def _append(self, data: bytes, start: int, stop: int) -> None:
        if start == stop:
            return
        if self._overflow or len(self._buf) + stop - start > self.max_run:
            self._overflow += len(self._buf) + stop - start
            self._buf.clear()
        else:
            self._buf += data[start:stop]

    def _end_run(self, frames: list[bytes]) -> None:
        if self._overflow:
            size, self._overflow = self._overflow, 0
            self._drop(OversizeError(f"serial run of {size} bytes exceeds {self.max_run}"))
            return
        if not self._buf:
            return  # an empty run is a flush, not an error
        run = bytes(self._buf)
        self._buf.clear()
        try:
            frame = check_frame(decode(run))
        except CodecError as exc:
            self._drop(exc)
        else:
            frames.append(frame)

    def _drop(self, exc: CodecError) -> None:
        name = type(exc).__name__
        self.dropped[name] = self.dropped.get(name, 0) + 1
        self.errors.append(exc)
