"""`harmonia demo`: three virtual boards act as one fan controller, lose a board, recover."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from ..demo import Note, run
from .rows import table

INTRO = """\
Harmonia demo: several small boards act as one device (a "super device").
It starts three virtual boards on this machine, makes them one fan controller,
shows it working, powers one board off, and shows the others take over.
Nothing is left running when it ends (also after Ctrl-C)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo", help="the main demo: three virtual boards act as one fan controller",
        description=INTRO, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help="keep the boards' state here (default: a temporary folder)")
    parser.add_argument("--port", type=int, default=None, metavar="N",
                        help="bus UDP port (default: a free one)")
    parser.set_defaults(func=main)


class Printer:
    """Notes for a person: headings, plain sentences, progress lines that overwrite each
    other on a terminal, and checked results."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.waiting = False
        self.last = ""
        self.started = time.monotonic()

    def __call__(self, note: Note) -> None:
        if note.kind == "wait" and note.text == self.last:
            return  # the same progress line again: nothing new to say
        self.last = note.text if note.kind == "wait" else ""
        if self.waiting and self.tty:
            self.out.write("\r\x1b[2K")
        self.waiting = False
        if note.kind == "title":
            self.out.write(f"\n{note.text}\n{'-' * len(note.text)}\n")
        elif note.kind == "wait":
            stamp = f"[{time.monotonic() - self.started:5.1f} s]"
            if self.tty:
                self.out.write(f"  {stamp} {note.text}"[:100])
                self.waiting = True
            else:
                self.out.write(f"  {stamp} {note.text}\n")
        elif note.kind == "ok":
            self.out.write(f"  OK  {note.text}\n")
        elif note.kind == "table":
            self.out.write(table(note.rows[0], note.rows[1:]) + "\n")
        else:
            self.out.write("".join(f"  {line}\n" for line in note.text.splitlines()))
        self.out.flush()


def main(args: argparse.Namespace) -> int:
    out = sys.stdout
    printer = Printer(out)
    out.write(INTRO + "\n")
    summary = run(printer, state_dir=args.state_dir, port=args.port)
    printer(Note("title", "Summary"))
    out.write(table(("what", "result"), summary.rows) + "\n")
    verdict = "the demo ran to the end" if summary.ok else f"the demo FAILED: {summary.error}"
    if summary.lost_calls:
        verdict += f" ({summary.lost_calls} calls were lost during the failover)"
    out.write(f"\n{verdict}. Next: docs/group.md, examples/fan/fan.toml, "
              "`harmonia group up examples/fan/fan.toml`.\n")
    return 0 if summary.ok and not summary.lost_calls else 1
