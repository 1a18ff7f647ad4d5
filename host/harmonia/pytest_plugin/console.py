"""A board's console as a test sees it: a transcript file, read from where the test began,
with `expect`-style waiting (a cursor that moves past each match, as pexpect's does).

Virtual boards write their transcript themselves (console.log in the board directory);
for a real board a `SerialReader` thread keeps the port open and writes one.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ExpectTimeout

POLL = 0.01
SHOWN = 3000  # characters of console output an expect failure quotes
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RAW_REPL = re.compile(r">R[\x00\x01]|\x04+>?")  # raw-paste acknowledgements, end markers

Pattern = str | bytes | re.Pattern[str] | re.Pattern[bytes]


def readable(text: str) -> str:
    """Console text for people: line ends unified, raw REPL control bytes removed."""
    text = _RAW_REPL.sub("", text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _compile(pattern: Pattern) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        source = pattern.pattern
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        return re.compile(text, pattern.flags & ~re.ASCII if isinstance(source, str) else 0)
    if isinstance(pattern, bytes):
        pattern = pattern.decode("utf-8", "replace")
    return re.compile(pattern)


class Console:
    """The part of a transcript file written since `start` (a byte offset)."""

    def __init__(self, path: Path, label: str, start: int = 0) -> None:
        self.path = path
        self.label = label
        self.start = start
        self.cursor = 0  # characters of text() already consumed by expect

    @classmethod
    def from_now(cls, path: Path, label: str) -> Console:
        """A console that begins at the file's current end."""
        try:
            start = path.stat().st_size
        except FileNotFoundError:
            start = 0
        return cls(path, label, start)

    def text(self) -> str:
        """Everything the board printed since the test began (CR LF as the board sent it)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.start)
                data = f.read()
        except FileNotFoundError:
            data = b""
        return data.decode("utf-8", "replace")

    def readable(self) -> str:
        return readable(self.text())

    def expect(self, pattern: Pattern, timeout: float = 10.0, *,
               not_matching: Pattern | None = None) -> re.Match[str]:
        """Wait until output after the cursor matches `pattern` (a regex); move the cursor
        past the match and return it. ExpectTimeout quotes the output searched; a
        `not_matching` pattern seen first fails at once."""
        regex = _compile(pattern)
        refuse = _compile(not_matching) if not_matching is not None else None
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            found = regex.search(text, self.cursor)
            if refuse is not None:
                bad = refuse.search(text, self.cursor, found.start() if found else len(text))
                if bad is not None:
                    raise ExpectTimeout(
                        f"{self.label} printed {bad.group(0)!r}, which the test refuses "
                        f"(not_matching={refuse.pattern!r}), while waiting for "
                        f"{regex.pattern!r}; console output:\n{self._tail(text)}"
                    )
            if found is not None:
                self.cursor = found.end()
                return found
            if time.monotonic() >= deadline:
                raise ExpectTimeout(
                    f"{self.label} did not print {regex.pattern!r} within {timeout:g} s; "
                    f"console output since the last match:\n{self._tail(text)}"
                )
            time.sleep(POLL)

    def wait(self, pattern: Pattern, timeout: float, since: int = 0, *,
             fail: Pattern | None = None) -> re.Match[str]:
        """Wait for `pattern` after character `since`, leaving the cursor alone (the
        plugin's own waits, so a test's `expect` still sees everything); `fail` seen
        first ends the wait at once."""
        regex = _compile(pattern)
        stop = _compile(fail) if fail is not None else None
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            found = regex.search(text, since)
            if found is not None:
                return found
            if stop is not None and stop.search(text, since):
                tail = readable(text[since:])[-SHOWN:]
                raise ExpectTimeout(f"{self.label} printed {stop.pattern!r} before "
                                    f"{regex.pattern!r}; console output:\n{tail}")
            if time.monotonic() >= deadline:
                tail = readable(text[since:])[-SHOWN:] or "(nothing)"
                raise ExpectTimeout(f"{self.label} did not print {regex.pattern!r} within "
                                    f"{timeout:g} s; console output:\n{tail}")
            time.sleep(POLL)

    def end(self) -> int:
        """The current end of the text (a `since` for `wait`)."""
        return len(self.text())

    def expect_exact(self, text: str, timeout: float = 10.0) -> str:
        """`expect` for a literal string; returns it."""
        self.expect(re.escape(text), timeout)
        return text

    def _tail(self, text: str) -> str:
        pending = readable(text[self.cursor:])
        return pending[-SHOWN:] if pending.strip() else "(nothing)"


class SerialReader:
    """Keeps a real board's serial port open and writes what it prints to a transcript.

    `paused()` lets go of the port for a REPL session (mpremote opens it exclusively),
    then takes it back; a port that vanished (a USB board resetting) is reopened when it
    returns.
    """

    def __init__(self, port: str, baud: int, path: Path) -> None:
        self.port = port
        self.baud = baud
        self.path = path
        self._want = threading.Event()
        self._want.set()
        self._idle = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._serial: Any = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"hm-console-{port}", daemon=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        self._thread.start()

    def append(self, text: str) -> None:
        """Add text to the transcript (what a REPL session saw while the reader paused)."""
        with self._lock, open(self.path, "ab") as f:
            f.write(text.encode())

    def write(self, data: bytes, timeout: float = 5.0) -> None:
        """Type on the console through the reader's own connection (it stays open, so
        nothing the board prints next is lost, as it might be while the port changes hands)."""
        if not self._opened.wait(timeout):
            raise TimeoutError(f"the console reader could not open {self.port}")
        with self._lock:
            self._serial.write(data)
            self._serial.flush()

    @contextlib.contextmanager
    def paused(self, timeout: float = 5.0) -> Iterator[None]:
        self._want.clear()
        if not self._idle.wait(timeout):
            self._want.set()
            raise TimeoutError(f"the console reader of {self.port} did not let go of it")
        try:
            yield
        finally:
            self._idle.clear()
            self._want.set()

    def close(self) -> None:
        self._stop.set()
        self._want.set()
        self._thread.join(5)

    def _run(self) -> None:
        import serial

        while not self._stop.is_set():
            if not self._want.is_set():
                self._close()
                self._idle.set()
                self._want.wait(0.1)
                continue
            self._idle.clear()
            if self._serial is None:
                try:
                    self._serial = serial.serial_for_url(self.port, baudrate=self.baud,
                                                         timeout=0.02, exclusive=True)
                except (OSError, serial.SerialException):
                    time.sleep(0.05)
                    continue
                self._opened.set()
            try:
                data = self._serial.read(4096)
            except (OSError, serial.SerialException):
                self._close()
                continue
            if data:
                with self._lock, open(self.path, "ab") as f:
                    f.write(data)
        self._close()
        self._idle.set()

    def _close(self) -> None:
        with self._lock:
            self._opened.clear()
            if self._serial is not None:
                with contextlib.suppress(Exception):
                    self._serial.close()
                self._serial = None
