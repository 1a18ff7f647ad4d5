"""Helpers for the hardware-layer tests: a hub, its client and a MicroPython child."""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harmonia.vboard.hw import HardwareClient, HardwareHub
from harmonia.vboard.hw.child import BoardProcess

# A board script that runs code sent on its stdin (hex, one chunk a line), for tests
# that interleave host actions and board code. Its main thread waits in a blocking
# read meanwhile, like a board idle at its REPL.
LOOP = """
import sys, binascii
import machine  # connects to the hub: the board has booted
_g = {"__name__": "__main__"}
print("<ready>")
while True:
    _line = sys.stdin.readline()
    if not _line:
        break
    try:
        exec(binascii.unhexlify(_line.strip()), _g)
        print("<ok>")
    except Exception as _e:
        sys.print_exception(_e)
        print("<err>")
"""


@dataclass
class Rig:
    hub: HardwareHub
    client: HardwareClient
    board: BoardProcess | None

    @property
    def proc(self) -> BoardProcess:
        assert self.board is not None
        return self.board

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code on a LOOP board; its output. Board exceptions fail the test."""
        return board_exec(self.proc, code, timeout)


def board_exec(board: BoardProcess, code: str, timeout: float = 10.0) -> str:
    mark = len(board.output)
    board.write(textwrap.dedent(code).encode().hex().encode() + b"\n")
    out = board.wait_output(("<ok>\n", "<err>\n"), timeout, since=mark)
    if "<ok>\n" in out:
        return out[: out.index("<ok>\n")]
    raise AssertionError(f"board code failed:\n{code}\n{out[: out.index('<err>')]}")


@contextlib.contextmanager
def rig(
    tmp_path: Path,
    script: str | None = LOOP,
    *,
    name: str = "b1",
    profile: object | None = None,
    env: dict[str, str] | None = None,
    heapsize: str | None = None,
) -> Iterator[Rig]:
    """A started hub in tmp_path/name, a client, and (if script) a board running it
    (on a heap of `heapsize`, e.g. "96k"), already booted. Everything stops on exit,
    also when the test fails."""
    hub = HardwareHub(name, profile, tmp_path / name)
    hub.start()
    client = None
    board = None
    try:
        client = HardwareClient(hub.socket_path)
        if script is not None:
            board = BoardProcess(hub, textwrap.dedent(script), env=env, heapsize=heapsize).start()
            try:
                client.wait_boot(1, timeout=10)
                if script == LOOP:
                    board.wait_output("<ready>\n")
            except Exception as exc:
                raise AssertionError(f"board did not boot; it printed:\n{board.output}") from exc
        yield Rig(hub, client, board)
    except BaseException:
        if board is not None:
            print(f"---- board output ----\n{board.output}")
        raise
    finally:
        if board is not None:
            board.stop()
        if client is not None:
            client.close()
        hub.stop()


def run_board(hub: HardwareHub, script: str = LOOP, name: str = "main") -> BoardProcess:
    """Another MicroPython process on the same hub (a restart), started."""
    return BoardProcess(hub, textwrap.dedent(script), name=name).start()
