"""`harmonia call NODE SERVICE.METHOD [ARG...]`: one remote call, its result printed."""

from __future__ import annotations

import argparse
from typing import Any

from ..bus import CallTimeout
from ..busops import CALL_TIMEOUT, FIND_TIMEOUT, BadArgument, call, check_method, connect
from ..busops.values import parse_args, to_text
from .busargs import add_parser, bus_options, print_json, print_table

EXAMPLES = """\
  harmonia call kitchen sys.info                 # a map prints as KEY VALUE rows
  harmonia call kitchen led.set 1 '"blue"'       # each argument is one JSON value
  harmonia call 40c65d0f bus.peers --json        # a node by its id; JSON for scripts
  harmonia call kitchen store.put '{"$b": "00ff"}'   # bytes as {"$b": "hex"}
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_parser(
        sub,
        "call",
        help="call a service method on a node and print the result",
        description="Call SERVICE.METHOD on NODE (a node name or its hex id) with the "
        "arguments given as JSON values, and print what it returns.",
        examples=EXAMPLES,
    )
    parser.add_argument("node", metavar="NODE", help="node name or hex id")
    parser.add_argument("method", metavar="SERVICE.METHOD", help="e.g. sys.info")
    parser.add_argument("args", nargs="*", metavar="ARG", help="arguments, one JSON value each")
    parser.add_argument(
        "--timeout",
        type=float,
        default=CALL_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the answer (default {CALL_TIMEOUT:g})",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=FIND_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the node to show up (default {FIND_TIMEOUT:g})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    method = check_method(args.method)
    values = parse_args(args.args)
    if args.timeout <= 0:
        raise BadArgument("--timeout must be more than 0 seconds")
    options = bus_options(args, "call")
    with connect(options) as bus:
        try:
            result = call(
                bus,
                args.node,
                method,
                values,
                timeout=args.timeout,
                find_timeout=args.wait,
                options=options,
            )
        except CallTimeout as exc:
            raise CallTimeout(
                f"{exc.target}: no answer within {args.timeout:g} s; check the node is up "
                "(harmonia discover) or give a longer --timeout",
                exc.node,
                exc.service,
                exc.method,
            ) from None
    if args.json:
        print_json(result)
    else:
        show(result)
    return 0


def show(value: Any) -> None:
    """A result for people: a map as KEY VALUE rows, a list of maps as a table, a list of
    lists as rows, a list as one item per line, else one line (None prints nothing)."""
    if value is None:
        return
    if isinstance(value, dict) and value:
        print_table(["KEY", "VALUE"], [[to_text(k), to_text(v)] for k, v in value.items()])
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys: list[Any] = []
        for item in value:
            keys += [k for k in item if k not in keys]
        rows = [[to_text(item.get(k, "")) for k in keys] for item in value]
        print_table([to_text(k).upper() for k in keys], rows)
    elif isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        print_table(None, [[to_text(cell) for cell in item] for item in value])
    elif isinstance(value, list) and value:
        for item in value:
            print(to_text(item))
    else:
        print(to_text(value))
