"""Frame authentication and replay protection (docs/protocol.md 1.4 and 8.8).

With a group key every outgoing frame is sealed with the auth trailer
`nonce ‖ counter ‖ tag`; every incoming one must carry a valid tag and a
counter the sender's replay window has not seen. Without a key the node runs
in open mode: it sends plain frames and drops keyed ones it cannot check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..codec import (
    AUTH_TRAILER_SIZE,
    CRC_SIZE,
    FLAG_AUTH,
    Frame,
    Header,
    auth_input,
    crc16,
    encode_frame,
)
from .errors import ConfigError

KEY_SIZE = 32
TAG_SIZE = 8
WINDOW = 32
RETIRED_NONCES = 4
MAX_TRACKED_PEERS = 256


class Verdict(Enum):
    """What the receiver should do with a frame."""

    OK = "ok"
    NEW_NONCE = "new_nonce"  # accepted; the sender has rebooted since its last frame
    AUTH = "auth"  # bad tag, or a keyed/unkeyed mismatch with this node's mode
    REPLAY = "replay"  # counter already seen or a retired nonce


@dataclass
class _Window:
    nonce: int
    highest: int
    mask: int = 1
    retired: deque[int] = field(default_factory=lambda: deque(maxlen=RETIRED_NONCES))


def parse_key(key: bytes | str | None) -> bytes | None:
    """A 32-byte key from bytes or 64 hex digits; None means open mode."""
    if key is None:
        return None
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key)
        except ValueError:
            raise ConfigError("the group key is not hex: give 32 bytes or 64 hex digits") from None
    if len(key) != KEY_SIZE:
        raise ConfigError(
            f"the group key is {len(key)} bytes; it must be {KEY_SIZE} (64 hex digits), "
            "the same on every node of the group"
        )
    return bytes(key)


class Security:
    """Seals outgoing frames and checks incoming ones for one node."""

    def __init__(self, key: bytes | None, nonce: int) -> None:
        self.key = key
        self.nonce = nonce
        self.counter = 0
        self._windows: OrderedDict[int, _Window] = OrderedDict()

    @property
    def open_mode(self) -> bool:
        """True when the node has no key and neither signs nor checks."""
        return self.key is None

    def seal(self, header: Header, payload: Any = None, keyed: bool | None = None) -> bytes:
        """Frame bytes for `header` and `payload`, with the auth trailer when keyed.

        `keyed=False` forces a plain frame (the NOT_AUTHORISED answer to an open-mode caller).
        """
        if self.key is None or keyed is False:
            plain = dataclasses.replace(header, flags=header.flags & ~FLAG_AUTH)
            return encode_frame(plain, payload)
        self.counter = (self.counter + 1) & 0xFFFFFFFF
        trailer = self.nonce.to_bytes(4, "big") + self.counter.to_bytes(4, "big")
        keyed_header = dataclasses.replace(header, flags=header.flags | FLAG_AUTH)
        draft = encode_frame(keyed_header, payload, trailer + bytes(TAG_SIZE))
        tag = self._tag(draft)
        body = draft[: -CRC_SIZE - TAG_SIZE] + tag
        return body + crc16(body).to_bytes(CRC_SIZE, "big")

    def check(self, frame: Frame, raw: bytes) -> Verdict:
        """Tag first, then the sender's replay window; only a genuine frame moves the window."""
        if self.key is None:
            return Verdict.AUTH if frame.auth is not None else Verdict.OK
        if frame.auth is None or len(frame.auth) != AUTH_TRAILER_SIZE:
            return Verdict.AUTH
        if not hmac.compare_digest(self._tag(raw), frame.auth[-TAG_SIZE:]):
            return Verdict.AUTH
        nonce = int.from_bytes(frame.auth[0:4], "big")
        counter = int.from_bytes(frame.auth[4:8], "big")
        return self._admit(frame.header.src, nonce, counter)

    def _tag(self, raw: bytes) -> bytes:
        assert self.key is not None
        return hmac.new(self.key, auth_input(raw), hashlib.sha256).digest()[:TAG_SIZE]

    def _admit(self, src: int, nonce: int, counter: int) -> Verdict:
        win = self._windows.get(src)
        if win is None:
            self._windows[src] = _Window(nonce, counter)
            while len(self._windows) > MAX_TRACKED_PEERS:
                self._windows.popitem(last=False)
            return Verdict.OK
        self._windows.move_to_end(src)
        if nonce != win.nonce:
            if nonce in win.retired:
                return Verdict.REPLAY
            win.retired.append(win.nonce)
            win.nonce, win.highest, win.mask = nonce, counter, 1
            return Verdict.NEW_NONCE
        if counter > win.highest:
            shift = counter - win.highest
            # bit 0 is the highest counter, bits 1..WINDOW the window below it
            win.mask = ((win.mask << shift) | 1) & ((2 << WINDOW) - 1) if shift <= WINDOW else 1
            win.highest = counter
            return Verdict.OK
        behind = win.highest - counter
        if behind > WINDOW or win.mask & (1 << behind):
            return Verdict.REPLAY
        win.mask |= 1 << behind
        return Verdict.OK


def frame_nonce(frame: Frame) -> int | None:
    """The sender's boot nonce from a frame's auth trailer, if it has one."""
    if frame.auth is None:
        return None
    return int.from_bytes(frame.auth[0:4], "big")
