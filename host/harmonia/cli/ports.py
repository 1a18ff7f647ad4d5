"""`harmonia ports`: serial ports and the boards behind them, virtual boards included."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..ports import PortInfo, list_ports
from .rows import table

EXAMPLES = """\
examples:
  harmonia ports                 # every port, BOOTSEL drive and running virtual board
  harmonia ports --json | jq '.[] | select(.board) | .device'

A board is named only when its USB ID belongs to one board profile (boards/*.toml).
An ID that several profiles share lists them ("one of"); a USB-UART bridge or debug probe
(boards/usb/bridges.toml) is shown as that chip, with the profiles that use it as
candidates ("could be"); any other ID is shown as an unknown USB device.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ports",
        help="list serial ports and identify the boards on them",
        description="List serial ports with the board each one leads to, by USB ID, "
        "RP2 BOOTSEL drives, and running virtual boards.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-virtual", action="store_true", help="leave virtual boards out")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="virtual boards' state directory (default: $HARMONIA_STATE_DIR, "
        "else ~/.local/state/harmonia)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ports = list_ports(state_dir=args.state_dir, include_virtual=not args.no_virtual)
    if args.json:
        print(json.dumps([p.to_json() for p in ports], indent=1))
        return 0
    if not ports:
        print("no serial ports, BOOTSEL drives or virtual boards found")
        return 0
    rows = [(p.device, p.kind, _board(p), p.usb_id or "-", _description(p)) for p in ports]
    print(table(("PORT", "KIND", "BOARD", "USB ID", "DESCRIPTION"), rows))
    return 0


def _board(port: PortInfo) -> str:
    if port.board and port.kind in ("board", "virtual", "bootsel"):
        return port.board
    if port.kind == "board" and port.candidates:
        return "one of " + ", ".join(port.candidates)
    if port.candidates:
        return "could be " + ", ".join(port.candidates)
    return "unknown" if port.kind in ("usb", "serial", "bridge", "probe") else "-"


def _description(port: PortInfo) -> str:
    text = port.description
    if port.kind == "virtual":
        text += f", {port.address}, {port.status}"
    elif port.product and port.kind in ("usb", "serial"):
        text += f" ({port.product})"
    if port.serial_number:
        text += f", serial {port.serial_number}"
    if port.holders:
        text += f"; busy: {', '.join(port.holders)}"
    return text
