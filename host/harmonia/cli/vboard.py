"""`harmonia vboard`: start, list, stop, reset virtual boards and read their consoles."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from ..vboard import VirtualBoard, running_boards
from ..vboard.board import DEFAULT_PROFILE
from ..vboard.launch import start_boards, stop_boards
from ..vboard.state import BoardState, default_state_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where boards keep their files (default: $HARMONIA_STATE_DIR, "
        "else ~/.local/state/harmonia)",
    )
    parser = sub.add_parser("vboard", help="virtual boards: start, list, stop, logs, reset")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    start = actions.add_parser(
        "start", parents=[common], help="start boards; prints each one's serial port and address"
    )
    start.add_argument("--board", default=DEFAULT_PROFILE, metavar="PROFILE", help="board profile")
    start.add_argument("--count", type=int, default=1, metavar="N", help="how many boards")
    start.add_argument("--name", help="board name (with --count: NAME1..NAMEn)")
    start.add_argument(
        "--baud", type=int, default=0, metavar="B", help="emulate this baud rate (default: none)"
    )
    start.add_argument(
        "--reformat", action="store_true", help="erase the flash image and make a new one"
    )
    start.add_argument("--json", action="store_true", help="print JSON")
    start.set_defaults(func=_start)

    ls = actions.add_parser("list", parents=[common], help="running boards")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=_list)

    stop = actions.add_parser("stop", parents=[common], help="stop boards")
    stop.add_argument("names", nargs="*", metavar="NAME")
    stop.add_argument("--all", action="store_true", help="stop every running board")
    stop.set_defaults(func=_stop)

    logs = actions.add_parser("logs", parents=[common], help="a board's console transcript")
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("--tail", type=int, default=None, metavar="CHARS", help="only the end")
    logs.set_defaults(func=_logs)

    reset = actions.add_parser("reset", parents=[common], help="reset a board (hard by default)")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("--soft", action="store_true", help="soft reset, as Ctrl-D does")
    reset.set_defaults(func=_reset)


def _state_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir) if args.state_dir else default_state_dir()


def _start(args: argparse.Namespace) -> int:
    if args.count < 1:
        print("harmonia: error: --count must be at least 1", file=sys.stderr)
        return 2
    if args.name and args.count > 1:
        names: list[str | None] = [f"{args.name}{i}" for i in range(1, args.count + 1)]
    else:
        names = [args.name] * args.count
    boards = [
        VirtualBoard(
            name,
            args.board,
            state_dir=_state_dir(args),
            baud=args.baud,
            reformat=args.reformat,
            detach=True,
        )
        for name in names
    ]
    start_boards(boards)  # a failure or Ctrl-C stops every board it started
    _show([b.info for b in boards], args.json)
    return 0


def _list(args: argparse.Namespace) -> int:
    states = running_boards(_state_dir(args))
    if not states and not args.json:
        print(f"no virtual boards running (state dir {_state_dir(args)})")
        return 0
    _show(states, args.json)
    return 0


def _show(states: list[BoardState], as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(s) for s in states], indent=1))
        return
    rows = [("NAME", "STATUS", "PORT", "ADDRESS", "PROFILE", "BAUD")]
    rows += [(s.name, s.status, s.port, s.address, s.profile, str(s.baud or "-")) for s in states]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _stop(args: argparse.Namespace) -> int:
    state_dir = _state_dir(args)
    if args.all:
        names = [s.name for s in running_boards(state_dir)]
    elif args.names:
        names = args.names
    else:
        print("harmonia: error: name the boards to stop, or give --all", file=sys.stderr)
        return 2
    boards = [VirtualBoard.attach(name, state_dir) for name in names]
    stop_boards(boards)
    for board in boards:
        print(f"stopped {board.name}")
    return 0


def _logs(args: argparse.Namespace) -> int:
    board = VirtualBoard(args.name, state_dir=_state_dir(args))
    if not board.dir.root.is_dir():
        VirtualBoard.attach(args.name, _state_dir(args))  # raises: no such board
    text = board.logs() if args.tail is None else board.console_tail(args.tail)
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def _reset(args: argparse.Namespace) -> int:
    board = VirtualBoard.attach(args.name, _state_dir(args))
    board.reset(hard=not args.soft)
    print(f"reset {board.name} ({'soft' if args.soft else 'hard'}); console on {board.port}")
    return 0
