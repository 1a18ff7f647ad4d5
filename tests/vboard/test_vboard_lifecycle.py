"""A virtual board boots, resets, crashes and stops like a board, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from vbtools import mpremote, wait_until

from harmonia.boards import load_profile
from harmonia.vboard import (
    BoardCrashedError,
    BoardExistsError,
    BoardStartError,
    VirtualBoard,
    VirtualBoardFarm,
)
from harmonia.vboard.launch import RUNTIME_HEAP, child_heap
from harmonia.vboard.state import pid_alive

BOOT = "print('boot.py ran')\n"
MAIN = "print('main.py ran')\nn = 0\nwhile True:\n    n += 1\n"


def _gone(pids: list[int]) -> bool:
    return not any(pid_alive(p) for p in pids)


def _pty_born(port: str) -> int | None:
    try:
        return os.stat(port).st_ctime_ns
    except FileNotFoundError:
        return None


def test_boot_py_then_main_py_run_in_order_and_again_after_soft_reset(tmp_path: Path) -> None:
    board = VirtualBoard("boots", state_dir=tmp_path)
    board.write_files({"boot.py": BOOT, "main.py": "print('main.py ran')\n"})
    with board:
        log = board.wait_for_output("main.py ran")
        assert log.index("boot.py ran") < log.index("main.py ran")
        mark = board.console_mark()
        mpremote(board.port, "soft-reset")
        # after a soft reset into the raw REPL a board runs boot.py only
        log = board.wait_for_output("raw REPL", since=mark)
        assert log.index("soft reboot") < log.index("boot.py ran")
        assert "main.py ran" not in log
        mark = board.console_mark()
        board.reset(hard=False)  # from the host: the friendly REPL runs main.py too
        log = board.wait_for_output("main.py ran", since=mark)
        assert log.index("boot.py ran") < log.index("main.py ran")


def test_ctrl_c_stops_a_busy_main_py_and_the_repl_answers(tmp_path: Path) -> None:
    board = VirtualBoard("busy", state_dir=tmp_path)
    board.write_files({"boot.py": BOOT, "main.py": MAIN})
    with board:
        board.wait_for_output("main.py ran")
        # mpremote's Ctrl-C interrupts main.py; `resume` keeps its globals to look at
        out = mpremote(board.port, "resume", "exec", "print('alive', n > 0)")
        assert out.strip() == "alive True"
        assert "KeyboardInterrupt" in board.logs()


def test_a_file_written_survives_a_hard_reset_and_a_restart(tmp_path: Path) -> None:
    with VirtualBoard("keep", state_dir=tmp_path) as board:
        mpremote(board.port, "exec", "with open('kept.txt', 'w') as f: f.write('still here')")
        first = board.status().child_pid
        board.reset(hard=True)
        assert board.status().child_pid != first
        assert mpremote(board.port, "fs", "cat", ":kept.txt").strip() == "still here"
    assert board.read_files()["/kept.txt"] == b"still here"
    with VirtualBoard("keep", state_dir=tmp_path) as again:
        assert mpremote(again.port, "fs", "cat", ":kept.txt").strip() == "still here"


def test_board_runs_with_its_profiles_heap_and_its_own_address(tmp_path: Path) -> None:
    profile = load_profile("esp32-c3-devkitm-1")
    with VirtualBoardFarm(2, profile.name, tmp_path) as farm:
        seen = [
            json.loads(
                b.exec(
                    "import gc, os, json, machine, network; gc.collect(); "
                    "print(json.dumps([gc.mem_free(), os.getenv('HM_ADDR')]))"
                )
            )
            for b in farm
        ]
        addresses = [b.address for b in farm]
    # with machine and network imported (C modules on a board, Python here), board code
    # finds about the profile's heap free, as on the board
    budget = child_heap(profile) - RUNTIME_HEAP  # the profile's heap in 64-bit words
    assert budget > profile.heap  # a 32-bit profile gets room for as many objects
    assert all(0.9 * budget <= free <= budget for free, _ in seen)
    assert [addr for _, addr in seen] == addresses
    assert len(set(addresses)) == 2 and all(a.startswith("127.0.0.") for a in addresses)


def test_eight_boards_start_and_stop_leaving_no_process_or_port(tmp_path: Path) -> None:
    farm = VirtualBoardFarm(8, state_dir=tmp_path)
    with farm:
        pids = [pid for b in farm for pid in b.pids]
        ports = {b.port: os.stat(b.port).st_ctime_ns for b in farm}
        assert len(ports) == 8 and len(pids) == 16
        assert all(pid_alive(p) for p in pids)
    assert _gone(pids)
    # each pty is gone (on a shared machine another program may already have a new one
    # under the same number: then it is younger than ours)
    assert not [p for p, born in ports.items() if _pty_born(p) == born]
    assert not list((tmp_path / "vboards").glob("*/state.json"))


def test_a_board_whose_owner_dies_stops_with_it(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            "from harmonia.vboard import VirtualBoard\n"
            f"b = VirtualBoard('orphan', state_dir={str(tmp_path)!r}).start()\n"
            "print(json.dumps(b.pids), flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert owner.stdout is not None
        pids = json.loads(owner.stdout.readline())
        assert all(pid_alive(p) for p in pids)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    wait_until(lambda: _gone(pids), 5.0, "the orphaned board's processes to stop")


def test_a_crash_is_reported_with_the_last_console_output(tmp_path: Path) -> None:
    with VirtualBoard("fragile", state_dir=tmp_path) as board:
        mpremote(
            board.port,
            "exec",
            "--no-follow",
            "print('last words'); import os; os.system('kill -9 $PPID')",
        )
        wait_until(lambda: board.status().status == "crashed", 5.0, "the crash to be noticed")
        with pytest.raises(BoardCrashedError, match="killed by signal 9") as info:
            board.check()
        assert "last words" in info.value.output
        board.reset()  # a reset brings a crashed board back
        board.check()
        assert mpremote(board.port, "eval", "1 + 1").strip() == "2"


def test_a_second_board_with_a_running_name_is_refused(tmp_path: Path) -> None:
    with (
        VirtualBoard("twin", state_dir=tmp_path),
        pytest.raises(BoardExistsError, match="already running"),
    ):
        VirtualBoard("twin", state_dir=tmp_path).start()


def test_a_start_that_fails_stops_every_board_of_its_batch(tmp_path: Path) -> None:
    farm = VirtualBoardFarm(3, state_dir=tmp_path)
    with pytest.raises(BoardStartError, match="did not boot within"):
        farm.start(timeout=0.001)
    supervisors = [b._proc.pid for b in farm if b._proc is not None]
    assert len(supervisors) == 3 and _gone(supervisors)
    assert not list((tmp_path / "vboards").glob("*/state.json"))
    assert not list((tmp_path / "vboards").glob("*/claim"))


def test_board_code_can_ask_for_a_soft_or_a_hard_reset(tmp_path: Path) -> None:
    with VirtualBoard("selfreset", state_dir=tmp_path) as board:
        boots = board.status().boots
        mark = board.console_mark()
        mpremote(board.port, "resume", "exec", "--no-follow", "import sys; sys.exit()")
        wait_until(lambda: board.status().boots == boots + 1, 5.0, "a soft reset")
        assert "MPY: soft reboot" in board.wait_for_output("raw REPL", since=mark)
        pid = board.status().child_pid
        mpremote(
            board.port, "resume", "exec", "--no-follow", "import _vboard; _vboard.hard_reset()"
        )
        wait_until(lambda: board.status().boots == boots + 2, 5.0, "a hard reset")
        assert board.status().child_pid != pid
        assert mpremote(board.port, "eval", "6 * 7").strip() == "42"


def test_board_code_and_the_test_meet_at_the_simulated_pins(tmp_path: Path) -> None:
    with VirtualBoard("pins", state_dir=tmp_path) as board, board.hardware() as hw:
        board.exec("from machine import Pin\nbtn = Pin(4, Pin.IN)\nled = Pin(5, Pin.OUT)")
        hw.set_pin(4, 1)
        assert mpremote(board.port, "resume", "exec", "led(btn())\nprint(btn())").strip() == "1"
        assert hw.get_pin(5).level == 1


def test_a_killed_supervisor_takes_its_micropython_along(tmp_path: Path) -> None:
    board = VirtualBoard("killed", state_dir=tmp_path).start()
    try:
        supervisor, child = board.pids
        port = board.port
        born = _pty_born(port)
        os.kill(supervisor, signal.SIGKILL)
        wait_until(
            lambda: _gone([supervisor, child]) and _pty_born(port) != born,
            5.0,
            "MicroPython to die with it and the port to go",
        )
        assert not board.running
    finally:
        board.stop()
    with VirtualBoard("killed", state_dir=tmp_path) as again:  # the stale state is no obstacle
        assert again.exec("print('back')").strip() == "back"
