"""`harmonia discover`: the nodes on the bus."""

from __future__ import annotations

import argparse

from ..busops import DISCOVER_TIMEOUT, PeerInfo, connect, discover
from ..busops.hints import why_empty
from ..busops.values import to_text
from .busargs import add_parser, bus_options, note, print_json, print_table

EXAMPLES = """\
  harmonia discover                      # NAME ID BOARD VERSION [GROUP] LINK ADDRESS
  harmonia discover --info               # ... plus UPTIME HEAP SERVICES from sys.info
  harmonia discover --json --key-file ~/.harmonia/key | jq '.[].name'
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_parser(
        sub,
        "discover",
        help="list the nodes on the bus",
        description="Listen for the nodes on the bus (each answers a probe within 50 ms and "
        "beacons every second) and list them.",
        examples=EXAMPLES,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DISCOVER_TIMEOUT,
        metavar="S",
        help=f"seconds to listen (default {DISCOVER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--expect", type=int, metavar="N", help="stop listening once N named nodes are seen"
    )
    parser.add_argument(
        "--info", action="store_true", help="ask each node's sys.info (uptime, heap, services)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = bus_options(args, "discover")
    with connect(options) as bus:
        peers = discover(bus, args.timeout, expect=args.expect, info=args.info)
        empty = "" if peers else why_empty(bus, options)
    if args.json:
        print_json([p.to_json() for p in peers])
    elif peers:
        _table(peers, args.info)
    if not peers:
        note(f"no nodes on the bus at {options.describe()} within {args.timeout:g} s: {empty}")
    return 0


def _table(peers: list[PeerInfo], info: bool) -> None:
    grouped = any(p.group for p in peers)
    headers = ["NAME", "ID", "BOARD", "VERSION", *(["GROUP"] if grouped else []), "LINK", "ADDRESS"]
    if info:
        headers += ["UPTIME", "HEAP", "SERVICES"]
    rows = []
    for p in peers:
        row = [p.name or "?", p.id_hex, p.board or "-", p.version or "-"]
        row += [p.group or "-"] if grouped else []
        row += [p.link, p.address]
        if info:
            row += _info_cells(p)
        rows.append(row)
    print_table(headers, rows)


def _info_cells(p: PeerInfo) -> list[str]:
    if p.info is None:
        return ["-", "-", f"(no answer: {p.error})" if p.error else "-"]
    uptime = p.info.get("uptime_ms")
    heap = p.info.get("free_heap")
    return [
        _duration(uptime) if isinstance(uptime, int) else "-",
        f"{heap // 1024}K" if isinstance(heap, int) else "-",
        to_text(sorted(p.info.get("services") or [])),
    ]


def _duration(ms: int) -> str:
    s = ms // 1000
    if s < 60:
        return f"{ms / 1000:.1f}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s // 60 % 60:02d}m"
