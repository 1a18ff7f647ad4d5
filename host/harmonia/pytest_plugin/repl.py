"""REPL sessions on a board's serial port, through mpremote's own transport.

Entering the raw REPL interrupts whatever the board runs (its main.py, so its bus node),
exactly as `mpremote exec` does on a real board; `Board.restart()` brings the app back.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import HarmoniaError


class ReplError(HarmoniaError):
    """The REPL session failed (port, protocol) or the board's code raised."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


@contextlib.contextmanager
def raw_repl(port: str, label: str, baud: int = 115200, timeout: float = 10.0) -> Iterator[Any]:
    """mpremote's SerialTransport in raw REPL mode; back to the friendly REPL at the end."""
    from mpremote.transport import TransportError  # type: ignore[import-untyped]
    from mpremote.transport_serial import SerialTransport  # type: ignore[import-untyped]

    try:
        transport = SerialTransport(port, baudrate=baud)
    except TransportError as exc:
        raise ReplError(f"{label}: cannot open {port} ({exc}); is another program using it?") \
            from None
    try:
        try:
            transport.enter_raw_repl(soft_reset=False, timeout_overall=timeout)
        except TransportError as exc:
            raise ReplError(f"{label}: no raw REPL on {port}: {exc}") from None
        yield transport
        with contextlib.suppress(TransportError, OSError):
            transport.exit_raw_repl()
    finally:
        with contextlib.suppress(OSError):
            transport.close()


def soft_reboot(port: str, baud: int = 115200, before: Callable[[], None] | None = None) -> None:
    """Ctrl-C, Ctrl-B, then Ctrl-D on the console: stop what runs, friendly REPL, soft
    reset; the board then runs boot.py and main.py (the app), as after `mpremote
    soft-reset`. `before` runs just ahead of the Ctrl-D (after the REPL banner)."""
    import serial

    with serial.serial_for_url(port, baudrate=baud, timeout=1, exclusive=True) as ser:
        ser.write(b"\r\x03\x03\x02")
        ser.flush()
        time.sleep(0.2)
        if before is not None:
            before()
        ser.write(b"\x04")
        ser.flush()


def run(transport: Any, code: str, label: str, timeout: float) -> str:
    """Run `code`; its output. ReplError with the board's traceback if it raised."""
    from mpremote.transport import TransportError

    try:
        out, err = transport.exec_raw(code, timeout=timeout)
    except TransportError as exc:
        raise ReplError(f"{label}: REPL exec failed: {exc}") from None
    text = bytes(out).decode("utf-8", "replace")
    if err:
        trace = bytes(err).decode("utf-8", "replace")
        last = trace.strip().splitlines()[-1] if trace.strip() else "an error"
        raise ReplError(f"{label}: the board raised {last}\n{trace}", trace)
    return text


def evaluate(transport: Any, expression: str, label: str, timeout: float) -> Any:
    """The value of a Python literal expression on the board."""
    text = run(transport, f"print(repr({expression}))", label, timeout).strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def sync_files(transport: Any, files: Mapping[str, bytes]) -> list[str]:
    """Write each file that differs on the board (sha256 compared); the paths written."""
    written: list[str] = []
    made: set[str] = set()
    for path, data in files.items():
        dest = "/" + path.lstrip("/")
        try:
            same = transport.fs_hashfile(dest, "sha256") == hashlib.sha256(data).digest()
        except Exception:  # noqa: BLE001 - absent, or a board without hashlib
            same = False
        if same:
            continue
        parts = dest.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:i])
            if folder not in made:
                with contextlib.suppress(Exception):
                    transport.fs_mkdir(folder)
                made.add(folder)
        transport.fs_writefile(dest, data)
        written.append(dest)
    return written
