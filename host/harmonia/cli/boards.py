"""`harmonia boards`: the board profiles in boards/."""

from __future__ import annotations

import argparse
import dataclasses
import json

from ..boards import BoardProfile, list_profiles


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "boards",
        help="list the board profiles",
        description="List the board profiles in boards/ (HARMONIA_BOARDS overrides the folder).",
    )
    parser.add_argument("--json", action="store_true", help="print every profile in full as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    profiles = list_profiles()
    if args.json:
        print(json.dumps([dataclasses.asdict(p) for p in profiles], indent=2))
        return 0
    rows: list[tuple[str, ...]] = [
        ("BOARD", "MCU", "FIRMWARE", "MARCH", "FLASH", "HEAP", "RADIOS", "USB")
    ]
    rows += [_row(p) for p in profiles]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _row(p: BoardProfile) -> tuple[str, ...]:
    modes: dict[str, list[str]] = {}
    for u in p.usb:
        modes.setdefault(str(u), []).append("boot" if u.mode == "bootloader" else u.mode)
    usb = ", ".join(f"{usb_id} {'+'.join(m)}" for usb_id, m in modes.items()) or "-"
    return (
        p.name,
        p.mcu,
        f"{p.family}/{p.firmware}",
        p.march,
        _size(p.flash_size),
        _size(p.heap),
        ",".join(p.radios) or "-",
        usb,
    )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)}M" if n % (1024 * 1024) == 0 else f"{n // 1024}K"
