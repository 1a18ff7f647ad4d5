"""The `harmonia` command: a thin skin over the library.

Each subcommand lives in its own module with a `register(subparsers)` function
that adds its parser and sets `func` to a handler taking the parsed namespace
and returning an exit code. Handlers print; the library returns data.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ..errors import HarmoniaError

# Modules under harmonia.cli that contribute subcommands, in help order.
COMMANDS = ("demo", "build", "boards", "vboard", "flash", "ports", "deploy", "group",
            "discover", "call", "watch", "logs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harmonia",
        description="Flash, deploy to and orchestrate groups of MicroPython boards.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except HarmoniaError as exc:
        print(f"harmonia: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harmonia: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`harmonia ports | head`): stop quietly, as other tools do.
        _silence_stdout()
        return 141
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
