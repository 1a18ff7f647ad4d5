"""Port trouble a user meets: a busy port names its holder; a vanished one is found again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from deploytools import active_version, run_on

from harmonia.deploy import DeployOptions, deploy
from harmonia.targets import PortBusyError, PortVanishedError, resolve
from harmonia.vboard import VirtualBoard


def test_a_port_held_by_another_program_is_busy_naming_the_holder(
    board: VirtualBoard, state_dir: Path, app: Path
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import serial, sys\n"
            f"s = serial.Serial({board.port!r}, exclusive=True)\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
        target = resolve([board.name], state_dir=state_dir)[0]
        with pytest.raises(PortBusyError, match=rf"busy: held by .*\(pid {holder.pid}\).*close"):
            deploy(target, DeployOptions(src=app))
    finally:
        holder.kill()
        holder.wait()
    assert deploy(target, DeployOptions(src=app)).changed  # free again: it goes through


def test_a_port_that_vanishes_mid_deploy_is_found_again_and_the_deploy_completes(
    state_dir: Path, app: Path
) -> None:
    board = VirtualBoard("hop", state_dir=state_dir).start()
    boards = [board]
    old_port = board.port

    def replug(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        if stage == "send" and done and len(boards) == 1:
            board.stop()  # the port goes away, as a USB board's does on a reset
            boards.append(VirtualBoard("hop", state_dir=state_dir).start())

    try:
        target = resolve(["hop"], state_dir=state_dir)[0]
        result = deploy(target, DeployOptions(src=app), progress=replug)
        again = boards[-1]
        assert len(boards) == 2 and again.port != old_port
        assert result.port == again.port
        assert any("vanished mid-deploy" in n and again.port in n for n in result.notes)
        assert active_version(again) == result.version
        assert run_on(again, "import app\nprint(app.VERSION)") == "1"
    finally:
        for b in boards:
            b.stop()


def test_a_port_that_does_not_come_back_is_reported_as_vanished(state_dir: Path, app: Path) -> None:
    board = VirtualBoard("gone", state_dir=state_dir).start()

    def unplug(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        if stage == "send" and done:
            board.stop()

    try:
        target = resolve(["gone"], state_dir=state_dir)[0]
        with pytest.raises(PortVanishedError, match=r"went away and did not come back within"):
            deploy(target, DeployOptions(src=app, reconnect_wait=0.5), progress=unplug)
    finally:
        board.stop()
