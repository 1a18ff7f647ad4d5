"""The deploy stream on a serial console (docs/deploy.md): escaping, messages, and the
window flow control, written to the serial object of mpremote's SerialTransport while the
board runs `receive()` of firmware/hm/deployed.py.

Payload bytes never contain Ctrl-C or Ctrl-D (0x03 interrupts a board, 0x04 ends a
refusal), so they are escaped: 0x10 0x11 stands for 0x10, 0x10 0x12 for 0x03, 0x10 0x13
for 0x04, about 1 % more bytes for compressed data. Each message (a header line, or one
window of payload) is acknowledged with 0x06 once the board has read it; the host keeps no
more than IN_FLIGHT windows' worth of bytes unacknowledged, so the board's input buffer
never overflows, while short messages (headers, the ends of files) still fill the link.
"""

from __future__ import annotations

import ast
import functools
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .bundle import bootstrap_source
from .errors import BoardStoppedError

ACK = b"\x06"
NAK = b"\x15"
END = b"\x04"
IN_FLIGHT = 2
POLL = 0.2  # seconds between looks at the board's health while waiting


def escape(data: bytes) -> bytes:
    return (
        data.replace(b"\x10", b"\x10\x11")
        .replace(b"\x03", b"\x10\x12")
        .replace(b"\x04", b"\x10\x13")
    )


@dataclass(frozen=True)
class Item:
    """One file of the new version: kept from the current one (K), or listed (F) to
    arrive in the payload that follows the listing."""

    op: Literal["K", "F"]
    path: str  # inside the version, or absolute for a file outside every version
    length: int = 0  # the file's size
    sha: str = "-"  # digest the board checks, "-" when it cannot hash

    def header(self) -> bytes:
        if self.op == "K":
            return f"K {self.path}\n".encode()
        return f"F {self.length} {self.sha} {self.path}\n".encode()


def messages(items: Sequence[Item], payload: bytes, wbits: int, window: int) -> list[bytes]:
    """The stream: one line per item, then the listed files' bytes (`payload`, escaped,
    in windows), then `D`."""
    out = [item.header() for item in items]
    if payload:
        out.append(f"P {len(payload)} {wbits}\n".encode())
        out += [payload[i : i + window] for i in range(0, len(payload), window)]
    out.append(b"D\n")
    return out


class Refused(Exception):
    """The board answered 0x15: it dropped what it had staged and says why next."""


def send(
    serial: Any,
    stream: Sequence[bytes],
    *,
    timeout: float,
    alive: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every message, at most IN_FLIGHT windows of bytes unacknowledged; returns the
    bytes written.
    Raises Refused on 0x15 (after sending 0x04 so the board stops draining), and
    BoardStoppedError when the board is silent for `timeout` seconds."""
    total = sum(len(m) for m in stream)
    budget = IN_FLIGHT * max(len(m) for m in stream)
    sent = 0
    pending: deque[int] = deque()  # sizes of the messages not yet acknowledged
    old_timeout = serial.timeout
    serial.timeout = POLL
    try:
        for message in stream:
            while pending and (sum(pending) + len(message) > budget or serial.in_waiting):
                _await_ack(serial, timeout, alive)
                pending.popleft()
            serial.write(message)
            pending.append(len(message))
            sent += len(message)
            if progress is not None:
                progress(sent, total)
        while pending:
            _await_ack(serial, timeout, alive)
            pending.popleft()
    except Refused:
        serial.write(END)
        raise
    finally:
        serial.timeout = old_timeout
    return sent


def _await_ack(serial: Any, timeout: float, alive: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        byte = serial.read(1)
        if byte == ACK:
            return
        if byte == NAK:
            raise Refused()
        if byte:
            rest = serial.read(serial.in_waiting or 1)
            if alive is not None:
                alive()  # a crashed board explains itself better than its console
            raise BoardStoppedError(
                "the board broke off the transfer and printed: "
                f"{(byte + rest).decode('utf-8', 'replace').strip()[:200]!r}"
            )
        if alive is not None:
            alive()
        if time.monotonic() > deadline:
            raise BoardStoppedError(
                f"the board stopped answering mid-transfer (nothing for {timeout:g} s): it "
                "may have reset or crashed; it still boots the version it had"
            )


@functools.cache
def agent_source() -> str:
    """firmware/hm/deployed.py without comments, docstrings or wide indents: what the raw
    REPL runs when the board has no matching /app/deployed.mpy."""
    tree = ast.parse(bootstrap_source().read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[:1] = [ast.Pass()] if len(body) == 1 else []
    lines = []
    for line in ast.unparse(tree).splitlines():
        stripped = line.lstrip(" ")
        if not stripped:
            continue
        lines.append(" " * ((len(line) - len(stripped)) // 4) + stripped)
    return "\n".join(lines) + "\n"


def packed_agent() -> str:
    """A raw REPL command that inflates and runs agent_source() (for boards with the
    deflate module): about 40 % of the source's bytes on the wire."""
    import base64
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -10, 9)
    blob = base64.b64encode(packer.compress(agent_source().encode()) + packer.flush())
    return (
        "import deflate,io,binascii\n"
        f"exec(deflate.DeflateIO(io.BytesIO(binascii.a2b_base64({blob!r})),deflate.RAW,10).read())\n"
    )
