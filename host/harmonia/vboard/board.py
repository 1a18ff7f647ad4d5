"""A virtual board as a host object: start it, reach it, reset it, read its console, stop it.

`VirtualBoard` runs one board: a supervisor process (see supervisor.py) that owns the
board's pseudo-terminal and its MicroPython process. By default the board lives no longer
than the `VirtualBoard` object that started it (and so than this process): the supervisor
watches a pipe whose other end the object holds. `detach=True` starts a board that runs
until it is stopped (what `harmonia vboard start` does).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..boards import BoardProfile, load_profile
from . import flashimg
from .errors import BoardCrashedError, BoardNotFoundError, PortBusyError, VBoardError
from .launch import START_TIMEOUT, STOP_TIMEOUT, Lifeline, start_boards, stop_boards
from .state import (
    BoardDir,
    BoardState,
    board_dir,
    default_state_dir,
    is_board_process,
    is_supervisor,
    pid_alive,
    read_state,
    release,
)

if TYPE_CHECKING:
    from .hw import HardwareClient

DEFAULT_PROFILE = "virtual"


class VirtualBoard:
    """One virtual board. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        name: str | None = None,
        profile: str = DEFAULT_PROFILE,
        *,
        state_dir: Path | str | None = None,
        baud: int = 0,
        reformat: bool = False,
        detach: bool = False,
    ) -> None:
        self.requested_name = name or ""
        self.profile_name = profile
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.baud = baud
        self.reformat = reformat
        self.detach = detach
        self._name: str | None = name
        self._state: BoardState | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lifeline: Lifeline | None = None

    # ---- identity ---------------------------------------------------------------------

    @classmethod
    def attach(cls, name: str, state_dir: Path | str | None = None) -> VirtualBoard:
        """The running board called `name` (started by this or any other process)."""
        board = cls(name, state_dir=state_dir)
        state = read_state(board.dir)
        if state is None:
            raise BoardNotFoundError(
                f"no virtual board named {name!r} is running in {board.state_dir}: "
                "see `harmonia vboard list`"
            )
        board._state = state
        board.profile_name = state.profile
        board.baud = state.baud
        return board

    @property
    def name(self) -> str:
        if self._name is None:
            raise VBoardError("this board has no name until it starts")
        return self._name

    @property
    def dir(self) -> BoardDir:
        return board_dir(self.state_dir, self.name)

    @property
    def info(self) -> BoardState:
        """The board's state as of its start or its last status() call."""
        if self._state is None:
            raise VBoardError(f"board {self._name or '(unnamed)'} is not running: start it first")
        return self._state

    @property
    def port(self) -> str:
        """The serial port (/dev/pts/N) of its console."""
        return self.info.port

    @property
    def address(self) -> str:
        """Its own loopback address (127.0.0.x); the board's network layer binds to it."""
        return self.info.address

    @property
    def flash_path(self) -> Path:
        return self.dir.flash

    @property
    def pids(self) -> list[int]:
        """The supervisor's and the MicroPython process's pids."""
        state = self.info
        return [state.pid] + ([state.child_pid] if state.child_pid else [])

    @property
    def running(self) -> bool:
        return self._name is not None and read_state(self.dir) is not None

    def profile(self) -> BoardProfile:
        return load_profile(self.profile_name)

    # ---- life cycle -------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> VirtualBoard:
        start_boards([self], timeout)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the supervisor and MicroPython, and wait until both are gone."""
        stop_boards([self], timeout)

    def _signal_stop(self) -> tuple[int, int]:
        """SIGTERM to the supervisor; returns (supervisor, MicroPython) pids, 0 if none."""
        if self._name is None:
            return 0, 0
        state = read_state(self.dir) or self._state
        supervisor, child = (state.pid, state.child_pid or 0) if state else (0, 0)
        if self._proc is not None:
            supervisor = self._proc.pid
        elif supervisor and not is_supervisor(supervisor):
            supervisor = 0  # gone, and its pid may serve another program now
        if child and not is_board_process(child):
            child = 0
        if supervisor and pid_alive(supervisor):
            with contextlib.suppress(ProcessLookupError):
                os.kill(supervisor, signal.SIGTERM)
        return supervisor, child

    def _finish_stop(self, pids: tuple[int, int], timeout: float) -> None:
        supervisor, child = pids
        if supervisor and not self._wait_gone(supervisor, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(supervisor, signal.SIGKILL)
            self._wait_gone(supervisor, timeout)
        if child and pid_alive(child) and is_board_process(child):  # gone with its supervisor
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
            self._wait_gone(child, timeout)
        if self._name is None:
            return
        if self._lifeline is not None:
            self._lifeline.close()
            self._lifeline = None
        release(self.dir)
        self._state = None

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        finally:
            os.close(fd)

    def reset(self, hard: bool = True, timeout: float = START_TIMEOUT) -> None:
        """Hard reset: a new MicroPython process on the same flash. Soft: a fresh
        interpreter, as Ctrl-D does, in the REPL mode the board was in."""
        answer = self._request({"cmd": "reset", "hard": hard}, timeout)
        if not answer.get("ok"):
            raise BoardCrashedError(
                f"board {self.name} did not come back from a reset: {answer.get('error')}; "
                f"last console output:\n{answer.get('output', '')}",
                str(answer.get("output", "")),
            )
        self.status()

    def status(self) -> BoardState:
        """Fresh state from the supervisor (status, pids, crash report)."""
        state = read_state(self.dir)
        if state is None:
            raise BoardNotFoundError(f"board {self.name} is not running")
        self._state = state
        return state

    def check(self) -> None:
        """Raise BoardCrashedError, with the last console output, if the board crashed."""
        state = self.status()
        if state.status == "crashed" and state.crash is not None:
            raise BoardCrashedError(
                f"board {self.name} crashed: {state.crash.describe()}; last console output:\n"
                f"{state.crash.output}",
                state.crash.output,
            )

    def _request(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        control = self.status().control
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            try:
                s.connect(control)
                s.sendall(json.dumps(request).encode() + b"\n")
                line = s.makefile("rb").readline()
            except OSError as exc:
                raise VBoardError(f"board {self.name}'s supervisor did not answer: {exc}") from exc
        if not line:
            raise VBoardError(f"board {self.name}'s supervisor closed the request")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __enter__(self) -> VirtualBoard:
        if self._state is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- console ----------------------------------------------------------------------

    def logs(self) -> str:
        """The console transcript: everything the board printed, across resets."""
        old = self.dir.console_log.with_suffix(".log.1")
        data = old.read_bytes() if old.exists() else b""
        if self.dir.console_log.exists():
            data += self.dir.console_log.read_bytes()
        return data.decode("utf-8", "replace")

    def console_tail(self, chars: int = 2000) -> str:
        return self.logs()[-chars:]

    def console_mark(self) -> int:
        """A position in the transcript; wait_for_output(since=mark) looks only after it."""
        try:
            return self.dir.console_log.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_for_output(self, text: str, timeout: float = 10.0, since: int = 0) -> str:
        """Wait until the console shows `text` (after `since`); returns the transcript."""
        deadline = time.monotonic() + timeout
        needle = text.encode()
        while True:
            try:
                data = self.dir.console_log.read_bytes()[since:]
            except FileNotFoundError:
                data = b""
            if needle in data:
                return data.decode("utf-8", "replace")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"board {self.name} did not print {text!r} within {timeout:g} s; "
                    f"last console output:\n{data[-2000:].decode('utf-8', 'replace')}"
                )
            time.sleep(0.01)

    def holders(self) -> list[str]:
        """Programs that have the board's serial port open, as `name (pid N)`."""
        from ..flash.errors import port_holders

        return port_holders(self.port)

    def ensure_port_free(self) -> None:
        held = self.holders()
        if held:
            raise PortBusyError(
                f"the serial port {self.port} of board {self.name} is busy: held by "
                f"{', '.join(held)}; close that program and try again"
            )

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code on the board through its serial port (raw REPL); returns its output."""
        from mpremote.transport import (  # type: ignore[import-untyped]
            TransportError,
            TransportExecError,
        )
        from mpremote.transport_serial import SerialTransport  # type: ignore[import-untyped]

        self.ensure_port_free()
        try:
            transport = SerialTransport(self.port, baudrate=115200)
        except TransportError:
            self.ensure_port_free()
            raise PortBusyError(
                f"the serial port {self.port} of board {self.name} is busy (locked by "
                "another program); close it and try again"
            ) from None
        try:
            transport.enter_raw_repl(soft_reset=False, timeout_overall=timeout)
            out, err = transport.exec_raw(code, timeout=timeout)
            transport.exit_raw_repl()
        except TransportError as exc:
            raise VBoardError(f"board {self.name}: {exc}") from exc
        finally:
            transport.close()
        if err:
            raise TransportExecError(out, err.decode("utf-8", "replace"))
        return bytes(out).decode("utf-8", "replace")

    def hardware(self) -> HardwareClient:
        """A control connection to the board's simulated pins and peripherals."""
        from .hw import HardwareClient

        self.info  # noqa: B018 - raises unless the board runs
        return HardwareClient(self.dir.hw)

    # ---- flash (while stopped) --------------------------------------------------------

    def write_files(self, files: Mapping[str, bytes | str]) -> None:
        """Put files on the board's flash before it starts (boot.py, main.py, data)."""
        self._stopped_flash()
        data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
        flashimg.write_files(self.flash_path, self.profile(), data)

    def read_files(self) -> dict[str, bytes]:
        self._stopped_flash()
        return flashimg.read_files(self.flash_path, self.profile())

    def _stopped_flash(self) -> None:
        if self._name is None:
            raise VBoardError("give the board a name to reach its flash before it starts")
        if self.running:
            raise VBoardError(
                f"board {self.name} is running: stop it before touching its flash image, "
                "or use its serial port (mpremote fs cp)"
            )
        if not self.flash_path.exists():
            self.dir.root.mkdir(parents=True, exist_ok=True)
            flashimg.prepare(self.flash_path, self.profile(), self.name)

    def __repr__(self) -> str:
        where = f" on {self._state.port}" if self._state else ""
        return f"<VirtualBoard {self._name or '(unnamed)'} {self.profile_name}{where}>"
