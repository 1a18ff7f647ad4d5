"""The state directory of virtual boards: its layout, its files, and who holds which name.

    <state dir>/vboards/            one directory per board name (layout in docs/vboard.md)
        .lock                       flock held while names and addresses are handed out
        <name>/board.json           what the board is: profile, address, baud (host library)
        <name>/state.json           how it runs: pids, port, status, crash (its supervisor)
        <name>/flash.img            littlefs2 flash image; kept when the board stops
        <name>/console.log          everything the board wrote to its console
        <name>/supervisor.log       process events and crash reports
        <name>/claim                a start in progress (pid of the starting process)
        <name>/hw/                  the hardware hub's files

The state dir is $HARMONIA_STATE_DIR, else $XDG_STATE_HOME/harmonia, else
~/.local/state/harmonia; the library also takes it as an argument.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import BoardExistsError, VBoardError

STATE_DIR_ENV = "HARMONIA_STATE_DIR"
SUPERVISOR_MODULE = "harmonia.vboard.supervisor"
BOARD_SCRIPT = "_vstart.py"  # what the MicroPython process runs (runtime/)
FIRST_HOST = 2  # 127.0.0.1 stays the host's own address
LAST_HOST = 254
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def default_state_dir() -> Path:
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "harmonia"


def boards_root(state_dir: Path) -> Path:
    return state_dir / "vboards"


@dataclass(frozen=True)
class BoardDir:
    """The files of one board."""

    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "board.json"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def flash(self) -> Path:
        return self.root / "flash.img"

    @property
    def console_log(self) -> Path:
        return self.root / "console.log"

    @property
    def supervisor_log(self) -> Path:
        return self.root / "supervisor.log"

    @property
    def claim(self) -> Path:
        return self.root / "claim"

    @property
    def hw(self) -> Path:
        return self.root / "hw"


def board_dir(state_dir: Path, name: str) -> BoardDir:
    return BoardDir(boards_root(state_dir) / name)


@dataclass(frozen=True)
class BoardConfig:
    """board.json: everything the supervisor needs, resolved by the host library."""

    name: str
    profile: str
    address: str
    baud: int  # 0: unthrottled
    heap: int  # MicroPython's -X heapsize
    fs_block_size: int
    machine: str  # the REPL banner's board text
    micropython: str  # the interpreter command
    firmware_dir: str
    profile_data: dict[str, Any] = field(default_factory=dict)  # the whole profile, for the hub

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def load(cls, path: Path) -> BoardConfig:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Crash:
    """How the board's MicroPython process ended, and what it last printed."""

    exit_code: int | None
    signal: int | None
    output: str
    time: float

    def describe(self) -> str:
        if self.signal:
            return f"MicroPython was killed by signal {self.signal}"
        return f"MicroPython exited with status {self.exit_code}"


@dataclass(frozen=True)
class BoardState:
    """state.json: written by the supervisor while it runs, removed when it stops."""

    name: str
    profile: str
    status: str  # "running" or "crashed"
    pid: int  # the supervisor
    child_pid: int | None
    port: str
    address: str
    flash: str
    baud: int
    control: str  # abstract unix socket name of the supervisor
    started: float
    boots: int
    crash: Crash | None = field(default=None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BoardState:
        crash = data.get("crash")
        return cls(**{**data, "crash": Crash(**crash) if crash else None})


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited already
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return False


def is_supervisor(pid: int) -> bool:
    return _cmdline_has(pid, SUPERVISOR_MODULE.encode())


def is_board_process(pid: int) -> bool:
    """A virtual board's MicroPython process (and not whatever reused its pid)."""
    return _cmdline_has(pid, BOARD_SCRIPT.encode())


def _cmdline_has(pid: int, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def read_state(bd: BoardDir) -> BoardState | None:
    """The running board's state, or None when no live supervisor owns the directory."""
    try:
        state = BoardState.from_dict(json.loads(bd.state.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if not (pid_alive(state.pid) and is_supervisor(state.pid)):
        return None
    return state


def running_boards(state_dir: Path) -> list[BoardState]:
    root = boards_root(state_dir)
    if not root.is_dir():
        return []
    found = (read_state(BoardDir(p)) for p in sorted(root.iterdir()) if p.is_dir())
    return [s for s in found if s is not None]


@contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    root = boards_root(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _claimed(bd: BoardDir) -> str | None:
    """Address of a start in progress in this directory, if its starter still lives."""
    try:
        claim = json.loads(bd.claim.read_text(encoding="utf-8"))
        return str(claim["address"]) if pid_alive(int(claim["pid"])) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _previous_address(bd: BoardDir) -> str | None:
    try:
        return str(json.loads(bd.config.read_text(encoding="utf-8"))["address"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def reserve(state_dir: Path, names: Sequence[str]) -> list[tuple[str, str]]:
    """Claim each name (free, or stopped) with a loopback address no other board uses.

    A name keeps its address across restarts when it is still free. An empty name asks
    for the next free `vbN`. The claim lasts until `release` or the caller's exit.
    """
    for name in names:
        if name and not NAME_RE.fullmatch(name):
            raise VBoardError(
                f"bad board name {name!r}: use up to 32 letters, digits, '_', '.' or '-'"
            )
    with locked(state_dir):
        root = boards_root(state_dir)
        active: dict[str, str] = {}
        for p in root.iterdir():
            if not p.is_dir():
                continue
            bd = BoardDir(p)
            state = read_state(bd)
            address = state.address if state else _claimed(bd)
            if address:
                active[p.name] = address
        used = set(active.values())
        chosen: list[tuple[str, str]] = []
        taken = set(active)
        serial = 1
        for name in names:
            if name in taken:
                raise BoardExistsError(
                    f"a board named {name!r} is already running: stop it first "
                    "(`harmonia vboard stop NAME`) or pick another name"
                )
            if not name:
                while f"vb{serial}" in taken:
                    serial += 1
                name = f"vb{serial}"
            bd = board_dir(state_dir, name)
            address = _previous_address(bd)
            if address is None or address in used:
                address = _free_address(used)
            used.add(address)
            taken.add(name)
            bd.root.mkdir(parents=True, exist_ok=True)
            write_atomic(bd.claim, json.dumps({"pid": os.getpid(), "address": address}))
            chosen.append((name, address))
        return chosen


def release(bd: BoardDir) -> None:
    bd.claim.unlink(missing_ok=True)


def _free_address(used: set[str]) -> str:
    for host in range(FIRST_HOST, LAST_HOST + 1):
        address = f"127.0.0.{host}"
        if address not in used:
            return address
    raise VBoardError(
        f"every loopback address 127.0.0.{FIRST_HOST}-{LAST_HOST} is in use by a virtual "
        "board: stop some (`harmonia vboard stop --all`)"
    )
