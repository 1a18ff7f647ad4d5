"""`harmonia logs NODE...`: boards' recent log lines, and new ones with --follow."""

from __future__ import annotations

import argparse
import sys

from ..busops import (
    FIND_TIMEOUT,
    BadArgument,
    LogFailure,
    LogLine,
    NodeNotFound,
    connect,
    discover,
    logs,
)
from ..busops.hints import why_empty
from .busargs import add_parser, bus_options, note, print_json_line
from .rows import table

EXAMPLES = """\
  harmonia logs kitchen                    # its last 20 lines: NODE UPTIME TEXT
  harmonia logs kitchen porch -n 50 -f     # 50 lines of each, then new lines until Ctrl-C
  harmonia logs --all --json               # every node with a log; one JSON object per line
  harmonia logs --group garden -f          # the nodes whose /hm.json says "group": "garden"
Every board keeps its last 32 log lines ("log_lines" in /hm.json; 0 turns the log off);
board code logs with `from hm.services.log import log; log("pump on")`.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_parser(
        sub,
        "logs",
        help="show boards' recent log lines (and follow new ones)",
        description="Show the last log lines each NODE keeps (its `log` service), node by "
        "node; with --follow, go on printing new lines from all of them as they come. A "
        "node that cannot answer is reported and the others go on; the exit code is 1 if "
        "any failed.",
        examples=EXAMPLES,
    )
    parser.add_argument("nodes", nargs="*", metavar="NODE", help="node names or hex ids")
    parser.add_argument("--all", action="store_true", help="every node on the bus that keeps a log")
    parser.add_argument(
        "--group", metavar="G", help="every node of group G (the group in its /hm.json)"
    )
    parser.add_argument(
        "-n", "--lines", type=int, default=20, metavar="N", help="lines per node (default 20)"
    )
    parser.add_argument("-f", "--follow", action="store_true", help="then print new lines")
    parser.add_argument("--duration", type=float, metavar="S", help="stop following after S s")
    parser.add_argument(
        "--wait",
        type=float,
        default=FIND_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the nodes to show up (default {FIND_TIMEOUT:g})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.nodes and not args.all and not args.group:
        raise BadArgument(
            "name the nodes whose logs to show (see `harmonia discover`), or give --all or --group"
        )
    if args.lines < 0:
        raise BadArgument("--lines must be 0 or more")
    options = bus_options(args, "logs")
    results: dict[str, str] = {}  # node -> "N lines", or its error
    counts: dict[str, int] = {}
    failed = 0
    with connect(options) as bus:
        refs, labels = list(args.nodes), list(args.nodes)
        if args.all or args.group:
            seen = [p for p in discover(bus) if p.board != "host"]
            if args.group:
                seen = [p for p in seen if p.group == args.group]
            refs += [p.id_hex for p in seen]
            labels += [p.label for p in seen]
            if not refs:
                where = f"group {args.group!r}" if args.group else "the bus"
                why = why_empty(bus, options) if not bus.peers() else "check the group name"
                raise NodeNotFound(
                    f"no nodes in {where} at {options.describe()}: {why}", args.group or "", []
                )
        width = max(len(label) for label in labels)
        summary = len(refs) > 1 and not args.follow
        for item in logs(
            bus,
            refs,
            lines=args.lines,
            follow=args.follow,
            duration=args.duration,
            find_timeout=args.wait,
            options=options,
        ):
            if isinstance(item, LogFailure):
                if not args.nodes and item.error_type == "NoLogService":
                    continue  # --all, --group: only the nodes that keep a log
                failed += 1
                results[item.node] = f"FAILED: {item.error}"
                if not summary:
                    note(f"error: {item.error}")
                continue
            counts[item.node] = counts.get(item.node, 0) + 1
            results[item.node] = _lines(counts[item.node])
            if args.json:
                print_json_line(item.to_json())
            else:
                _print(item, width)
    if summary and failed:
        note(f"{failed} of {len(refs)} nodes failed:")
        print(table(("NODE", "RESULT"), list(results.items())), file=sys.stderr)
    if not args.nodes and not results and not args.follow:
        note('no node keeps log lines (all say "log_lines": 0 in their /hm.json)')
    return 1 if failed else 0


def _print(line: LogLine, width: int) -> None:
    print(f"{line.node:<{width}}  {line.ms / 1000:>9.3f}  {line.text}")
    sys.stdout.flush()


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"
