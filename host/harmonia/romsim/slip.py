"""SLIP framing as the ESP ROM loader uses it: `0xC0` ends a frame, `0xDB` escapes."""

from __future__ import annotations

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD


def encode(packet: bytes) -> bytes:
    """One frame: delimiter, escaped packet, delimiter."""
    body = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


class Decoder:
    """Turns a byte stream into packets; bytes outside a frame (boot noise) are dropped."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_frame = False
        self._escaped = False
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        packets: list[bytes] = []
        for byte in data:
            if not self._in_frame:
                if byte == END:
                    self._in_frame = True
                else:
                    self.dropped += 1
                continue
            if self._escaped:
                self._escaped = False
                if byte == ESC_END:
                    self._buf.append(END)
                elif byte == ESC_ESC:
                    self._buf.append(ESC)
                else:  # invalid escape: drop the frame, resynchronise on the next END
                    self.dropped += len(self._buf) + 2
                    self._buf.clear()
                    self._in_frame = False
            elif byte == ESC:
                self._escaped = True
            elif byte == END:
                if self._buf:  # an empty frame is a delimiter pair (END END)
                    packets.append(bytes(self._buf))
                    self._buf.clear()
            else:
                self._buf.append(byte)
        return packets
