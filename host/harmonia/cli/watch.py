"""`harmonia watch TOPIC`: events as they arrive, one line each."""

from __future__ import annotations

import argparse
import sys
import time

from ..bus import Event
from ..busops import FIND_TIMEOUT, BadArgument, check_topic, connect, watch
from ..busops.values import to_text
from .busargs import add_parser, bus_options, note, print_json_line

EXAMPLES = """\
  harmonia watch sensor.temp                       # TIME NODE TOPIC VALUE, until Ctrl-C
  harmonia watch log.line --node kitchen --count 5
  harmonia watch bus.join --duration 60 --json     # one JSON object per line
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_parser(
        sub,
        "watch",
        help="print a topic's events as they arrive",
        description="Subscribe to TOPIC (SERVICE.EVENT) at every node, or at the nodes "
        "named with --node, and print each event as it arrives. Nodes that join later or "
        "reboot are subscribed again on their own.",
        examples=EXAMPLES,
    )
    parser.add_argument("topic", metavar="TOPIC", help="SERVICE.EVENT, e.g. log.line")
    parser.add_argument(
        "--node", action="append", default=[], metavar="NODE", help="only this node (repeatable)"
    )
    parser.add_argument("--count", type=int, metavar="N", help="stop after N events")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument(
        "--wait",
        type=float,
        default=FIND_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for --node nodes to show up (default {FIND_TIMEOUT:g})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    topic = check_topic(args.topic)
    if args.count is not None and args.count < 1:
        raise BadArgument("--count must be at least 1")
    options = bus_options(args, "watch")
    with connect(options) as bus:
        events = watch(
            bus,
            topic,
            args.node,
            count=args.count,
            duration=args.duration,
            find_timeout=args.wait,
            options=options,
        )
        if not args.json:
            where = ", ".join(args.node) or "every node"
            until = "Ctrl-C" if args.count is None and args.duration is None else "done"
            note(f"watching {topic} on {where} ({options.describe()}) until {until}")
        for event in events:
            if args.json:
                print_json_line(_record(event))
            else:
                _line(event)
    return 0


def _record(event: Event) -> dict[str, object]:
    return {
        "time": round(time.time(), 3),
        "node": event.node,
        "id": f"{event.source:08x}",
        "topic": event.topic,
        "value": event.value,
    }


def _line(event: Event) -> None:
    now = time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    print(f"{stamp}  {event.node or f'{event.source:08x}'}  {event.topic}  {to_text(event.value)}")
    sys.stdout.flush()
