"""esptool's output, routed per thread to the flash that caused it.

esptool logs through one process-wide logger. `capture()` installs a router once;
while a thread is inside `capture()`, its lines go to that flash's list and its
progress bars to that flash's callback, so boards flashed in parallel threads
each get their own, and nothing reaches the terminal behind the CLI's back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from esp_pylib.logger import EspLog, EspLogBase

_local = threading.local()
_install_lock = threading.Lock()


class _Sink:
    def __init__(self, progress: Callable[[int, int], None] | None):
        self.lines: list[str] = []
        self.progress = progress
        self._partial = ""

    def write(self, text: str, end: str) -> None:
        text = self._partial + text + end
        *done, self._partial = text.split("\n")
        self.lines.extend(line for line in done if line.strip())


class _Router(EspLogBase):
    """Sends each call to the current thread's sink, or to esptool's own logger."""

    def __init__(self, fallback: Any):
        self._fallback = fallback

    def _sink(self) -> _Sink | None:
        return getattr(_local, "sink", None)

    def _text(self, method: str, prefix: str, args: tuple[Any, ...], **kwargs: Any) -> None:
        sink = self._sink()
        if sink is None:
            getattr(self._fallback, method)(*args, **kwargs)
            return
        end = kwargs.get("end", "\n") if method == "print" else "\n"
        sink.write(prefix + " ".join(str(a) for a in args), end)

    def print(self, *args: Any, **kwargs: Any) -> None:
        self._text("print", "", args, **kwargs)

    def note(self, *args: Any) -> None:
        self._text("note", "Note: ", args)

    def hint(self, *args: Any) -> None:
        self._text("hint", "Hint: ", args)

    def debug(self, *args: Any) -> None:
        if self._sink() is None:
            self._fallback.debug(*args)

    def warn(self, *args: Any, suggestion: str | None = None) -> None:
        self._text("warn", "Warning: ", args, suggestion=suggestion)

    def err(self, *args: Any, suggestion: str | None = None) -> None:
        self._text("err", "Error: ", args, suggestion=suggestion)

    # older esptool call sites use these names
    def warning(self, *args: Any) -> None:
        self.warn(*args)

    def error(self, *args: Any) -> None:
        self.err(*args)

    def stage(self, finish: bool = False) -> None:
        if self._sink() is None:
            self._fallback.stage(finish)

    def set_verbosity(self, mode: int | str) -> None:
        self._fallback.set_verbosity(mode)

    def progress_bar(
        self,
        cur_iter: int,
        total_iters: int,
        prefix: str = "",
        suffix: str = "",
        bar_length: int = 30,
    ) -> None:
        sink = self._sink()
        if sink is None:
            self._fallback.progress_bar(cur_iter, total_iters, prefix, suffix, bar_length)
        elif sink.progress is not None:
            sink.progress(cur_iter, total_iters)


def _install() -> None:
    with _install_lock:
        current = EspLog.instance
        if isinstance(current, _Router):
            return
        fallback = current if current is not None else EspLog()
        EspLog.set_logger(_Router(fallback))


@contextmanager
def capture(progress: Callable[[int, int], None] | None = None) -> Iterator[list[str]]:
    """esptool's lines from this thread, while inside the block; progress to `progress`."""
    _install()
    previous = getattr(_local, "sink", None)
    sink = _Sink(progress)
    _local.sink = sink
    try:
        yield sink.lines
    finally:
        _local.sink = previous


def set_progress(progress: Callable[[int, int], None] | None) -> None:
    """Point this thread's progress bars at another callback (one per flashed region)."""
    sink = getattr(_local, "sink", None)
    if sink is not None:
        sink.progress = progress
