"""`harmonia deploy`: compile, diff, send and switch a source tree on one board or many."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..deploy import DeployOptions, DeployResult, deploy_many
from ..parallel import Outcome, exit_code
from ..targets import resolve
from .rows import TargetRows, table

EXAMPLES = """\
examples:
  harmonia deploy vb1                       # the firmware/ tree to virtual board vb1
  harmonia deploy /dev/ttyACM0 --src app/   # your own tree to a board on a USB port
  harmonia deploy --all --json              # every virtual board and identified port
  harmonia deploy vb1 --driver mcp9808 --driver sht31d   # with CircuitPython drivers
  harmonia deploy kitchen fan --bus --key-file ~/.harmonia/key   # hot, over Wi-Fi

Each board gets the tree compiled with mpy-cross for its own arch. Only files whose
digest differs from the board's manifest are sent (compressed when the board can inflate);
the rest are copied on the board from its current version. The new version is staged in
/app/.new-VERSION and switched in with one atomic rename of /app/current, so a board that
loses power or its link mid-deploy boots the version it had. The board is then soft-reset
and must report the new version. With --bus the boards are reached through the bus
(their /hm.json must list the "hm.services.files" service) and the new version runs at
once: your services are imported anew, with no reboot unless --reboot. Layout and
details: docs/deploy.md.

--driver (or a --drivers file, one name a line) adds CircuitPython driver packages
installed on this host, and the libraries they need, to the version's lib/, compiled
like the rest; each board also gets its pin table, /lib/_boardpins.py, from its profile
(docs/circuitpython.md).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "deploy",
        help="send a source tree to boards: compiled per arch, diffed, switched atomically",
        description="Compile a source tree for each target board's arch, send what changed "
        "over the serial REPL, switch to the new version atomically and check the board "
        "runs it. Several targets are deployed in parallel.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="serial port or virtual board name (several at once are fine)",
    )
    parser.add_argument(
        "--all", action="store_true", help="every running virtual board and identified port"
    )
    parser.add_argument(
        "--src", type=Path, metavar="DIR", help="source tree to deploy (default: firmware/)"
    )
    parser.add_argument(
        "--board", metavar="PROFILE", help="board profile for ports whose board is not known"
    )
    parser.add_argument(
        "--driver",
        action="append",
        default=[],
        metavar="NAME",
        help="CircuitPython driver package to deploy with its libraries (repeatable): "
        "adafruit-circuitpython-mcp9808, or just mcp9808",
    )
    parser.add_argument(
        "--drivers",
        type=Path,
        metavar="FILE",
        help="file naming driver packages, one a line (# comments, version pins allowed)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="virtual boards' state directory (default: $HARMONIA_STATE_DIR, "
        "else ~/.local/state/harmonia)",
    )
    parser.add_argument(
        "--no-restart", action="store_true", help="leave main.py stopped after the check"
    )
    parser.add_argument("--no-compress", action="store_true", help="send files uncompressed")
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds of board silence before it counts as gone (default 10)",
    )
    parser.add_argument(
        "--window",
        type=int,
        default=512,
        metavar="BYTES",
        help="bytes per acknowledged window; two are in flight (default 512; 128 for "
        "boards with small UART buffers)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    bus = parser.add_argument_group(
        "over the bus (Wi-Fi): the board's files service, no serial port needed"
    )
    bus.add_argument(
        "--bus",
        action="store_true",
        help="TARGETs are node names; hot deploy through their files service (no reboot)",
    )
    bus.add_argument("--reboot", action="store_true", help="with --bus: reboot the boards")
    bus.add_argument(
        "--address", metavar="ADDR", help="local address to bind (0.0.0.0 for boards on Wi-Fi)"
    )
    bus.add_argument("--port", type=int, metavar="N", help="bus UDP port (default 47770)")
    bus.add_argument("--key", metavar="HEX", help="group key, 64 hex digits")
    bus.add_argument("--key-file", metavar="FILE", help="file holding the group key")
    parser.set_defaults(serial=[], baud=None)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress rows")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list the files sent and deleted"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = list(args.driver)
    if args.drivers is not None:
        from ..drivers import read_manifest

        names += [n for n in read_manifest(args.drivers) if n not in names]
    options = DeployOptions(
        src=args.src,
        board=args.board,
        compress=not args.no_compress,
        restart=not args.no_restart,
        timeout=args.timeout,
        window=args.window,
        drivers=tuple(names),
    )
    if args.bus:
        outcomes = _over_bus(args, options)
    else:
        targets = resolve(args.targets, all_boards=args.all, state_dir=args.state_dir)
        rows = None if args.quiet else TargetRows(targets)
        try:
            outcomes = deploy_many(targets, options, on_event=rows)
        finally:
            if rows is not None:
                rows.close()
    if args.json:
        report = {
            "ok": exit_code(outcomes) == 0,
            "targets": [o.to_json(DeployResult.to_json) for o in outcomes],
        }
        print(json.dumps(report, indent=1))
    else:
        _summary(outcomes, args.verbose)
    return exit_code(outcomes)


def _over_bus(args: argparse.Namespace, options: DeployOptions) -> list[Outcome[DeployResult]]:
    from ..busops import connect, discover
    from ..deploy.overbus import deploy_nodes, node_target
    from ..targets import NoTargetsError
    from .busargs import bus_options

    with connect(bus_options(args, "deploy")) as bus:
        names = list(args.targets)
        if args.all:
            names += [p.label for p in discover(bus) if p.label not in names]
        if not names:
            raise NoTargetsError("name the nodes to deploy to, or give --all")
        rows = None if args.quiet else TargetRows([node_target(n) for n in names])
        try:
            return deploy_nodes(bus, names, options, reboot=args.reboot, on_event=rows)
        finally:
            if rows is not None:
                rows.close()


def _summary(outcomes: list[Outcome[DeployResult]], verbose: bool) -> None:
    rows = []
    for o in outcomes:
        r = o.value
        if r is None:
            rows.append((o.target.name, o.target.profile or "-", "FAILED", "-", "-", "-", "-"))
            continue
        result = "deployed" if r.changed else "up to date"
        sent = f"{len(r.sent)} ({_size(r.payload_bytes)})" if r.sent else "0"
        rows.append(
            (
                r.target,
                r.board or r.march,
                result,
                r.version,
                sent,
                str(len(r.deleted)),
                f"{o.seconds:.1f} s",
            )
        )
    print(table(("TARGET", "BOARD", "RESULT", "VERSION", "SENT", "DELETED", "TIME"), rows))
    for o in outcomes:
        if o.value is not None:
            for note in o.value.notes:
                print(f"note: {o.target.name}: {note}")
            if verbose:
                for path in o.value.sent:
                    print(f"  {o.target.name}: sent {path}")
                for path in o.value.deleted:
                    print(f"  {o.target.name}: deleted {path}")
    failed = [o for o in outcomes if not o.ok]
    if failed:
        print(f"\n{len(failed)} of {len(outcomes)} failed:", file=sys.stderr)
        for o in failed:
            print(f"  {o.target.name}: {o.error}", file=sys.stderr)
            if verbose and o.traceback:
                print(o.traceback, file=sys.stderr)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"
