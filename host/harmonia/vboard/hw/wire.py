"""JSON-lines messages on the hub's unix socket (children, control clients, peer hubs).

One JSON object per line. Byte strings travel as hex. A connection's first line is
`{"op": "hello", "role": ...}`; raw byte channels (UART streams, peer links) carry
raw bytes after that line. The message catalogue is in docs/vboard-hw.md.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

MAX_LINE = 1 << 20  # a line longer than this is a protocol error, not a reason to grow
SUN_PATH_MAX = 107  # bytes in sockaddr_un.sun_path, less the terminating NUL

Message = dict[str, Any]


class WireError(Exception):
    """The peer broke the message format."""


def encode(msg: Message) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode() + b"\n"


class LineReader:
    """Reads lines from a stream socket; what follows the lines stays in `rest`."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.rest = bytearray()

    def line(self) -> bytes | None:
        """The next line without its newline, or None at end of stream."""
        while True:
            i = self.rest.find(b"\n")
            if i >= 0:
                out = bytes(self.rest[:i])
                del self.rest[: i + 1]
                return out
            if len(self.rest) > MAX_LINE:
                raise WireError(f"line longer than {MAX_LINE} bytes")
            data = self._sock.recv(65536)
            if not data:
                return None
            self.rest += data

    def message(self) -> Message | None:
        line = self.line()
        if line is None:
            return None
        try:
            msg = json.loads(line)
        except ValueError as exc:
            raise WireError(f"not JSON: {line[:80]!r}") from exc
        if not isinstance(msg, dict):
            raise WireError(f"not a JSON object: {line[:80]!r}")
        return msg


class Sender:
    """Whole messages onto one socket from several threads."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()

    def send(self, msg: Message) -> None:
        self.raw(encode(msg))

    def raw(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data)


def connect_unix(path: Path | str, timeout: float | None = None) -> socket.socket:
    """A stream connection to a unix socket, following a symlink when the path is too long."""
    target = os.fspath(path)
    if len(os.fsencode(target)) > SUN_PATH_MAX:
        target = os.path.realpath(target)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except OSError:
        sock.close()
        raise
    return sock


def peer_pid(sock: socket.socket) -> int:
    """Process id at the other end of a unix socket (SO_PEERCRED), 0 if unknown."""
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    except OSError:
        return 0
    return int.from_bytes(creds[:4], "little")
