"""`harmonia group up|status|call|watch|deploy|down`: a group of boards as one device."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..bus import RemoteError
from ..busops.values import parse_args, to_json, to_text
from ..group import GroupStatus, open_group, rollout, up
from ..group.errors import RolloutFailed
from .busargs import print_table

EXAMPLES = """\
  harmonia group up examples/fan/fan.toml        # start (or check) the group; idempotent
  harmonia group status fan                      # members, roles, leader, versions
  harmonia group call fan temperature            # the super device's own methods
  harmonia group watch fan --changes             # its events, and role changes
  harmonia group deploy examples/fan/fan.toml    # new service code, one member at a time
  harmonia group down fan
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "group", help="bring up, watch and change a group of boards that act as one device",
        description="A group is several boards that act as one super device: its manifest "
        "(TOML, see docs/group.md) names the members, the roles they run, how roles are "
        "wired and the device's own methods and events.",
        epilog=f"examples:\n{EXAMPLES}", formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = parser.add_subparsers(dest="group_command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str,
                target: str = "GROUP") -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help, description=help)
        p.add_argument("group", metavar=target,
                       help="the manifest file" if target == "MANIFEST"
                       else "the group's manifest file, or its name")
        p.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                       help="where groups and virtual boards keep their state")
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        p.set_defaults(func=func)
        return p

    p = command("up", run_up, "start the group's members (or find them), deploy, configure, "
                "check health; a second run changes nothing", "MANIFEST")
    p.add_argument("--port", type=int, default=None, metavar="N",
                   help="bus UDP port (default: the manifest's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    command("status", run_status, "members, roles, leader, health and versions")
    p = command("call", run_call, "call one of the super device's methods")
    p.add_argument("method", metavar="METHOD", help="a name from [interface.methods]")
    p.add_argument("args", nargs="*", metavar="ARG", help="arguments, one JSON value each")
    p.add_argument("--deadline", type=float, default=10.0, metavar="S",
                   help="seconds to keep trying while a role moves (default 10)")
    p = command("watch", run_watch, "print the super device's events as they come")
    p.add_argument("names", nargs="*", metavar="EVENT", help="event names (default: all)")
    p.add_argument("--changes", action="store_true", help="also role and health changes")
    p.add_argument("--count", type=int, default=0, metavar="N", help="stop after N events")
    p.add_argument("--timeout", type=float, default=0.0, metavar="S",
                   help="stop after S seconds (default: never)")
    p = command("deploy", run_deploy, "hot-deploy new service code one member at a time; a "
                "member that fails its health check is rolled back and the rollout stops",
                "MANIFEST")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    command("down", run_down, "stop the group's virtual boards and forget the group")


class Steps:
    """Progress lines on stderr: each new step, with the time since the start."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.last = ""

    def __call__(self, step: str, detail: str) -> None:
        line = f"{step}: {detail}"
        if self.quiet or line == self.last:
            return
        self.last = line
        print(f"  {time.monotonic() - self.started:5.1f} s  {line}", file=sys.stderr, flush=True)


def run_up(args: argparse.Namespace) -> int:
    group, report = up(args.group, state_dir=args.state_dir, port=args.port, detach=True,
                       step=Steps(args.quiet or args.json))
    group.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
        return 0
    if report.changed:
        print(f"group {report.name} is up ({report.seconds:.1f} s):")
        for action in report.actions:
            print(f"  - {action}")
    else:
        print(f"group {report.name} is already up: nothing changed ({report.seconds:.1f} s)")
    roles = ", ".join(f"{r} on {h}" for r, h in report.assignment.items())
    print(f"leader {report.leader}; {roles}; service version {report.version}")
    return 0


def show_status(status: GroupStatus) -> None:
    health = "healthy" if status.healthy else "NOT healthy: " + "; ".join(status.problems)
    print(f"group {status.name}: {health}")
    print(f"leader {status.leader or '-'} (term {status.term}), spec version "
          f"{status.spec_version}")
    rows = []
    for m in status.members:
        state = m.state if m.reachable else f"unreachable ({m.error})" if m.error else "?"
        rows.append([m.name, state, ", ".join(m.roles) or "-", m.version or "-",
                     ", ".join(m.fit) or "-"])
    print_table(["MEMBER", "STATE", "RUNS", "VERSION", "COULD RUN"], rows)


def run_status(args: argparse.Namespace) -> int:
    with open_group(args.group, args.state_dir) as group:
        status = group.status()
    if args.json:
        print(json.dumps(status.to_json(), indent=1))
    else:
        show_status(status)
    return 0 if status.healthy else 1


def run_call(args: argparse.Namespace) -> int:
    values = parse_args(args.args)
    with open_group(args.group, args.state_dir) as group:
        try:
            result = group.call(args.method, *values, deadline=args.deadline)
        except RemoteError as exc:
            print(f"harmonia: {args.method} raised {exc.type_name}: {exc.remote_message}",
                  file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(to_json(result), indent=1))
    elif result is not None:
        print(to_text(result))
    return 0


def run_watch(args: argparse.Namespace) -> int:
    seen = 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    with open_group(args.group, args.state_dir) as group:
        watch = group.watch(args.names, changes=args.changes)
        try:
            while not args.count or seen < args.count:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                try:
                    event = watch.get(timeout=left)
                except TimeoutError:
                    break
                if event is None:
                    break
                seen += 1
                if args.json:
                    print(json.dumps({"kind": event.kind, "name": event.name, "node": event.node,
                                      "value": to_json(event.value), "time": event.time}),
                          flush=True)
                else:
                    stamp = time.strftime("%H:%M:%S", time.localtime(event.time))
                    print(f"{stamp}  {event.name:<12} {_text(event.value)}  (from {event.node})",
                          flush=True)
        finally:
            watch.close()
    return 0


def _text(value: Any) -> str:
    return to_text(value) if not isinstance(value, dict) else json.dumps(to_json(value))


def run_deploy(args: argparse.Namespace) -> int:
    steps = Steps(args.quiet or args.json)
    with open_group(args.group, args.state_dir) as group:
        try:
            report = rollout(group, args.group, step=steps)
        except RolloutFailed as exc:
            if args.json and exc.report is not None:
                print(json.dumps(exc.report.to_json(), indent=1))
            raise
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
        return 0
    changed = [m.name for m in report.members if m.changed]
    if not changed:
        print(f"every member already runs {report.version}: nothing to deploy")
    else:
        print(f"version {report.version} is on {', '.join(changed)} (was {report.previous}), "
              f"{report.seconds:.1f} s, each member checked healthy before the next")
    return 0


def run_down(args: argparse.Namespace) -> int:
    with open_group(args.group, args.state_dir) as group:
        stopped = group.down()
    if args.json:
        print(json.dumps({"stopped": stopped}))
    else:
        print(f"group stopped: {', '.join(stopped) or 'no virtual boards were running'}")
    return 0
