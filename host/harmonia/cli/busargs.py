"""What the bus commands (discover, call, watch, logs) share: how to join the bus, and
how to print tables and JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..bus import DEFAULT_PORT
from ..busops import BusOptions, load_key
from ..busops.errors import BadArgument
from ..busops.values import to_json

ADDRESS_ENV = "HARMONIA_BUS_ADDRESS"
PORT_ENV = "HARMONIA_BUS_PORT"

BUS_HELP = """\
joining the bus:
  The host joins as a node on 127.0.0.1 (where virtual boards are heard), port 47770,
  with the group key from --key, --key-file, $HARMONIA_KEY or $HARMONIA_KEY_FILE (none:
  open mode). Boards on Wi-Fi: --address 0.0.0.0. A board on a serial link: --serial PORT.
  $HARMONIA_BUS_ADDRESS and $HARMONIA_BUS_PORT set the defaults.
"""


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    description: str,
    examples: str,
) -> argparse.ArgumentParser:
    """A subcommand parser with the bus options and an examples epilog."""
    parser = sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=f"examples:\n{examples}\n{BUS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    group = parser.add_argument_group("bus")
    group.add_argument(
        "--address",
        default=os.environ.get(ADDRESS_ENV) or None,
        metavar="ADDR",
        help="local address to bind (default 127.0.0.1; 0.0.0.0 for boards on Wi-Fi)",
    )
    group.add_argument(
        "--port", type=int, default=None, metavar="N", help=f"bus UDP port (default {DEFAULT_PORT})"
    )
    group.add_argument("--key", metavar="HEX", help="group key, 64 hex digits")
    group.add_argument("--key-file", metavar="FILE", help="file holding the group key")
    group.add_argument(
        "--serial",
        action="append",
        default=[],
        metavar="PORT",
        help="reach boards over this serial port (repeatable; no UDP unless --address)",
    )
    group.add_argument("--baud", type=int, default=None, metavar="B", help="serial baud rate")
    group.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="virtual boards' state dir, to explain an empty bus (default: vboard's)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def bus_options(args: argparse.Namespace, command: str) -> BusOptions:
    """BusOptions from the parsed bus arguments (environment defaults applied)."""
    port = args.port
    if port is None:
        text = os.environ.get(PORT_ENV)
        try:
            port = int(text) if text else DEFAULT_PORT
        except ValueError:
            raise BadArgument(f"${PORT_ENV}={text!r} is not a port number") from None
    extra: dict[str, Any] = {"baudrate": args.baud} if args.baud else {}
    return BusOptions(
        address=args.address,
        port=port,
        key=load_key(args.key, args.key_file),
        serial=tuple(args.serial),
        name=f"harmonia-{command}",
        state_dir=args.state_dir,
        **extra,
    )


def print_json(value: Any) -> None:
    print(json.dumps(to_json(value), indent=1))


def print_json_line(value: Any) -> None:
    """One JSON document per line, flushed (for streams read by scripts)."""
    print(json.dumps(to_json(value), separators=(",", ":")), flush=True)


def print_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; no header line when `headers` is None."""
    table = ([list(headers)] if headers is not None else []) + [list(r) for r in rows]
    if not table:
        return
    width = max(len(row) for row in table)
    table = [row + [""] * (width - len(row)) for row in table]
    widths = [max(len(row[i]) for row in table) for i in range(width)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def note(message: str) -> None:
    """A remark for the person at the terminal, kept out of stdout."""
    print(f"harmonia: {message}", file=sys.stderr)
