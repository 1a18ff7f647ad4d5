"""A virtual board's serial console: mpremote drives it, and its REPL behaves like a board's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from vbtools import mpremote

from harmonia.vboard import VirtualBoard
from harmonia.vboard.console import _watch_opens


@pytest.fixture
def board(tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("b", state_dir=tmp_path / "state") as b:
        yield b


def _expect(port: serial.Serial, ending: bytes, timeout: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(ending):
        assert time.monotonic() < deadline, f"no {ending!r} from the board; got {data!r}"
        data += port.read(1)
    return data


def test_mpremote_exec_eval_run_and_soft_reset(board: VirtualBoard, tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("print('ran', __name__)\n")
    assert mpremote(board.port, "exec", "x = 6 * 7; print(x)").strip() == "42"
    assert mpremote(board.port, "eval", "2 ** 10").strip() == "1024"
    assert mpremote(board.port, "run", str(script)).strip() == "ran __main__"
    # resume keeps the interpreter; soft-reset gives a fresh one
    out = mpremote(
        board.port,
        "exec",
        "y = 1",
        "resume",
        "eval",
        "'y' in globals()",
        "soft-reset",
        "eval",
        "'y' in globals()",
    )
    assert out.split() == ["True", "False"]


def test_mpremote_fs_commands_copy_binary_files_both_ways(
    board: VirtualBoard, tmp_path: Path
) -> None:
    blob = os.urandom(32 * 1024)
    src = tmp_path / "blob.bin"
    src.write_bytes(blob)
    back = tmp_path / "back.bin"
    mpremote(board.port, "fs", "mkdir", ":data", "+", "fs", "cp", str(src), ":data/blob.bin")
    listing = mpremote(board.port, "fs", "ls", ":data")
    assert "32768 blob.bin" in listing
    mpremote(board.port, "fs", "cp", ":data/blob.bin", str(back))
    assert back.read_bytes() == blob
    note = "with open('note.txt', 'w') as f: f.write('line one\\nline two\\n')"
    mpremote(board.port, "exec", note)
    assert mpremote(board.port, "fs", "cat", ":note.txt").splitlines() == ["line one", "line two"]
    mpremote(board.port, "fs", "rm", ":data/blob.bin", "+", "fs", "rmdir", ":data")
    root = mpremote(board.port, "fs", "ls", ":/")
    assert "note.txt" in root and "data" not in root
    # the host's import directories never show in the board's filesystem
    assert ".hm" not in root


def test_friendly_repl_echoes_evaluates_and_switches_modes(board: VirtualBoard) -> None:
    board.wait_for_output(">>> ")  # the boot banner has gone by: no client saw it
    with serial.Serial(board.port, timeout=0.5) as port:
        port.write(b"\x03")  # a fresh prompt, once
        assert _expect(port, b">>> ") == b"\r\n>>> "
        port.write(b"1 + 1\r")
        assert _expect(port, b">>> ") == b"1 + 1\r\n2\r\n>>> "
        port.write(b"for i in range(2):\r  print(i * 10)\r\r")
        assert _expect(port, b">>> ").endswith(b"0\r\n10\r\n>>> ")
        port.write(b"\x05")  # paste mode keeps indentation as it comes
        _expect(port, b"=== ")
        port.write(b"def f():\r    return 'pasted'\rprint(f())\r\x04")
        assert _expect(port, b">>> ").endswith(b"pasted\r\n>>> ")
        port.write(b"1/0\r")
        assert b"ZeroDivisionError" in _expect(port, b">>> ")
        port.write(b"\x01")
        _expect(port, b"raw REPL; CTRL-B to exit\r\n>")
        port.write(b"print('raw')\x04")
        assert _expect(port, b">") == b"OKraw\r\n\x04\x04>"
        port.write(b"\x02")
        assert b'Type "help()"' in _expect(port, b">>> ")


def test_raw_paste_honours_window_flow_control(board: VirtualBoard) -> None:
    """A command far larger than the window goes through with credits (\\x01) only."""
    body = "".join(f"v{i} = {i}\n" for i in range(800))  # ~8 KB
    out = mpremote(board.port, "exec", body + "print(v0 + v799)")
    assert out.strip() == "799"
    with serial.Serial(board.port, timeout=0.5) as port:
        port.write(b"\r\x03\r\x01")
        _expect(port, b"raw REPL; CTRL-B to exit\r\n>")
        port.write(b"\x05A\x01")
        header = port.read(5)
        assert header[:2] == b"R\x01"
        window = int.from_bytes(header[2:4], "little")
        assert header[4:] == b"\x01" and window >= 128
        code = b"s = 0\n" + b"s += 1\n" * (window // 7 * 3) + b"print(s)\n"
        sent, credit = 0, 2 * window
        while sent < len(code):
            if credit == 0:
                assert port.read(1) == b"\x01"
                credit += window
            n = min(credit, len(code) - sent)
            port.write(code[sent : sent + n])
            sent, credit = sent + n, credit - n
        port.write(b"\x04")
        out = _expect(port, b"\x04>")
        assert out.replace(b"\x01", b"").startswith(b"\x04" + str(window // 7 * 3).encode())


def test_baud_emulation_throttles_the_console(tmp_path: Path) -> None:
    n = 5760  # half a second of output at 115200 baud (11520 bytes/s)
    with VirtualBoard("slow", state_dir=tmp_path / "state", baud=115200) as slow:
        start = time.monotonic()
        out = mpremote(slow.port, "exec", f"print('x' * {n})")
        elapsed = time.monotonic() - start
    assert out.strip() == "x" * n
    assert elapsed >= n / 11520, f"{n} bytes took {elapsed:.2f} s at 115200 baud"


def _opens(watch: int) -> int:
    """Opens of the watched port inotify reported since the last look (repeats that
    nobody read in between count once)."""
    try:
        return len(os.read(watch, 4096)) // 16  # struct inotify_event, no name for a file
    except BlockingIOError:
        return 0


def test_a_closed_port_is_free_at_once_and_unread_output_is_gone(board: VirtualBoard) -> None:
    """The supervisor drops what a client left unread without opening the port itself,
    so no one who looks for holders right after a client closes finds the board's own."""
    board.wait_for_output(">>> ")
    watch = _watch_opens(board.port)
    assert watch >= 0, "inotify is unavailable"
    try:
        for i in range(5):
            with serial.Serial(board.port, timeout=0.5) as port:
                assert _opens(watch) == 1  # this client's open
                mark = board.console_mark()
                port.write(f"print('left unread {i}')\r".encode())
                board.wait_for_output(f"left unread {i}\r\n>>> ", since=mark)
            time.sleep(0.1)  # the supervisor has seen the hang-up and flushed
            assert _opens(watch) == 0, "something opened the port after its client closed"
            assert board.holders() == []
        with serial.Serial(board.port, timeout=0.3) as port:
            assert port.read(256) == b""  # nothing left over from the last client
        for i in range(10):  # back to back: the port is never found busy in between
            assert board.exec(f"print({i})").strip() == str(i)
    finally:
        os.close(watch)
