"""Starting and stopping virtual boards in batches: names and addresses, flash images,
one supervisor process per board, and the wait until every board has booted."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .. import build, paths
from ..boards import BoardProfile, load_profile
from . import flashimg
from .errors import BoardCrashedError, BoardStartError
from .state import SUPERVISOR_MODULE, BoardConfig, read_state, release, reserve, write_atomic

# Virtual boards run the unix port on this machine (x86-64), so they load x64 bytecode.
VIRTUAL_MARCH = "x64"

if TYPE_CHECKING:
    from .board import VirtualBoard

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
# A board keeps its REPL and flash driver in C and flash; here they are Python modules on
# the heap (runtime/, ~25 KiB at the prompt), and so are `machine` and `network`
# (hw/runtime/, ~18 KiB at import with its receive buffers), so MicroPython gets both on
# top of the profile's heap and board code that has imported them finds about as much
# free as on the board.
RUNTIME_HEAP = 42 * 1024
# The unix port stores objects in 8-byte words; the boards it imitates use 4-byte words.
# The same firmware peaks at 0.69x on a 32-bit build of the unix port what it takes on
# x64 (tools/bench_bus --heap-only), so a 32-bit profile's budget is scaled by 1/0.69:
# board code gets the room, in objects, that it has on the board.
WORD_SCALE = 1.45


def child_heap(profile: BoardProfile) -> int:
    """`-X heapsize` for a virtual board imitating `profile`."""
    scale = 1.0 if profile.march == VIRTUAL_MARCH else WORD_SCALE
    return int(profile.heap * scale) + RUNTIME_HEAP


class Lifeline:
    """An fd closed when its owner is collected (so an abandoned board stops)."""

    def __init__(self, owner: object, fd: int) -> None:
        self.fd = fd
        self._finalizer = weakref.finalize(owner, os.close, fd)

    def close(self) -> None:
        self._finalizer()


def stop_boards(boards: Sequence[VirtualBoard], timeout: float = STOP_TIMEOUT) -> None:
    """Stop several boards at once: signal every supervisor, then wait for each."""
    pids = [board._signal_stop() for board in boards]
    for board, board_pids in zip(boards, pids, strict=True):
        board._finish_stop(board_pids, timeout)


@dataclass
class _Launch:
    board: VirtualBoard
    ready: int


def start_boards(boards: Sequence[VirtualBoard], timeout: float = START_TIMEOUT) -> None:
    """Start several boards at once: names and addresses first, then every supervisor,
    then wait for all. On any failure every board of the batch is stopped again."""
    profiles = {b.profile_name: load_profile(b.profile_name) for b in boards}
    addresses: dict[int, str] = {}
    for sd in {b.state_dir for b in boards}:
        batch = [b for b in boards if b.state_dir == sd]
        for board, (name, address) in zip(
            batch, reserve(sd, [b._name or "" for b in batch]), strict=True
        ):
            board._name = name
            addresses[id(board)] = address
    launches: list[_Launch] = []
    try:
        for board in boards:
            _configure(board, profiles[board.profile_name], addresses[id(board)])
        for board in boards:
            launches.append(_spawn(board))
        _await_ready(launches, timeout)
    except BaseException:
        stop_boards(boards)
        raise
    finally:
        for launch in launches:
            if launch.ready >= 0:
                os.close(launch.ready)
        for board in boards:
            if board._name is not None:
                release(board.dir)


def _configure(board: VirtualBoard, profile: BoardProfile, address: str) -> None:
    bd = board.dir
    flashimg.prepare(bd.flash, profile, board.name, board.reformat)
    config = BoardConfig(
        name=board.name,
        profile=profile.name,
        address=address,
        baud=board.baud,
        heap=child_heap(profile),
        fs_block_size=profile.fs_block_size,
        machine=f"{profile.name} (Harmonia virtual board) with {profile.march}",
        micropython=paths.micropython_exe(),
        # what a board has built in: the framework, not its /lib (deploy and flash put
        # that on the board's filesystem, as on a real one)
        firmware_dir=str(build.cached_build(VIRTUAL_MARCH, exclude=(build.BOARD_LIB,))),
        profile_data=asdict(profile),
    )
    write_atomic(bd.config, config.to_json())


def _spawn(board: VirtualBoard) -> _Launch:
    ready_r, ready_w = os.pipe()
    fds = [ready_w]
    cmd = [sys.executable, "-m", SUPERVISOR_MODULE, str(board.dir.root), "--ready-fd", str(ready_w)]
    life_r = -1
    if not board.detach:
        life_r, life_w = os.pipe()
        board._lifeline = Lifeline(board, life_w)
        fds.append(life_r)
        cmd += ["--lifeline-fd", str(life_r)]
    try:
        with open(board.dir.supervisor_log, "ab") as log:
            board._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=fds,
                start_new_session=True,
            )
    except BaseException:
        os.close(ready_r)  # a supervisor that did start sees this and stops
        raise
    finally:
        for fd in fds:
            os.close(fd)
    return _Launch(board, ready_r)


def _await_ready(launches: list[_Launch], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {launch.ready: launch for launch in launches}
    lines: dict[int, bytes] = {fd: b"" for fd in pending}
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            names = ", ".join(sorted(launch.board.name for launch in pending.values()))
            raise BoardStartError(
                f"board(s) {names} did not boot within {timeout:g} s: see their "
                "supervisor.log and console.log in the state directory"
            )
        for fd in select.select(list(pending), [], [], left)[0]:
            chunk = os.read(fd, 4096)
            lines[fd] += chunk
            if chunk and not lines[fd].endswith(b"\n"):
                continue
            launch = pending.pop(fd)
            _started(launch.board, lines[fd])


def _started(board: VirtualBoard, line: bytes) -> None:
    try:
        answer = json.loads(line) if line.strip() else {}
    except ValueError:
        answer = {}
    if not answer.get("ok"):
        log = board.dir.supervisor_log
        detail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        output = str(answer.get("output", ""))
        error = answer.get("error") or f"its supervisor exited; supervisor.log ends:\n{detail}"
        raise BoardCrashedError(
            f"board {board.name} did not start: {error}"
            + (f"; last console output:\n{output}" if output else ""),
            output,
        )
    state = read_state(board.dir)
    if state is None:
        raise BoardStartError(f"board {board.name} reported ready but wrote no state")
    board._state = state
