"""Drawing work on several targets: one progress row per target and a summary table.

`TargetRows` takes the parallel runner's events (harmonia.parallel.Event). On a terminal
it redraws its rows in place with ANSI codes; otherwise it prints a plain line whenever a
target starts a stage, finishes or fails, so logs and pipes stay readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from ..parallel import Event
from ..targets import Target

BAR = 20
REDRAW = 0.1  # seconds between redraws on a terminal


@dataclass
class _Row:
    name: str
    state: str = "waiting"  # waiting, running, done, failed
    stage: str = ""
    done: int = 0
    total: int = 0
    detail: str = ""
    elapsed: float = 0.0


class TargetRows:
    """Progress rows for `targets`; call it with each Event, then close()."""

    def __init__(
        self, targets: Sequence[Target], stream: TextIO | None = None, tty: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.rows = {t.name: _Row(t.name) for t in targets}
        self.width = max((len(n) for n in self.rows), default=4)
        self.drawn = 0
        self.last = 0.0

    def __call__(self, event: Event) -> None:
        row = self.rows.setdefault(event.target.name, _Row(event.target.name))
        stage_changed = event.kind == "progress" and event.stage != row.stage
        if event.kind == "start":
            row.state = "running"
        elif event.kind == "progress":
            row.stage, row.done, row.total, row.detail = (
                event.stage,
                event.done,
                event.total,
                event.detail,
            )
        else:
            row.state = event.kind
            row.detail = event.detail
        row.elapsed = event.elapsed
        if self.tty:
            now = time.monotonic()
            if event.kind != "progress" or stage_changed or now - self.last >= REDRAW:
                self._redraw()
                self.last = now
        elif event.kind in ("done", "failed") or stage_changed:
            self.stream.write(self._plain(row) + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.rows:
            self._redraw()

    def _redraw(self) -> None:
        out = []
        if self.drawn:
            out.append(f"\x1b[{self.drawn}F")  # to the first row
        for row in self.rows.values():
            out.append("\x1b[2K" + self._line(row) + "\n")
        self.drawn = len(self.rows)
        self.stream.write("".join(out))
        self.stream.flush()

    def _line(self, row: _Row) -> str:
        name = row.name.ljust(self.width)
        if row.state == "done":
            return f"{name}  \x1b[32mdone\x1b[0m    {row.elapsed:5.1f} s"
        if row.state == "failed":
            return f"{name}  \x1b[31mFAILED\x1b[0m  {row.elapsed:5.1f} s  {_short(row.detail)}"
        if row.state == "waiting":
            return f"{name}  waiting"
        bar = ""
        if row.total:
            filled = min(BAR, int(BAR * row.done / row.total))
            bar = f"[{'#' * filled}{'-' * (BAR - filled)}] {row.done / row.total:4.0%}  "
        return f"{name}  {row.stage:<9} {bar}{row.detail}"

    def _plain(self, row: _Row) -> str:
        if row.state == "done":
            return f"{row.name}: done in {row.elapsed:.1f} s"
        if row.state == "failed":
            return f"{row.name}: FAILED after {row.elapsed:.1f} s: {row.detail}"
        return f"{row.name}: {row.stage}" + (f" {row.detail}" if row.detail else "")


def _short(text: str, limit: int = 60) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; trailing spaces cut."""
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
