"""A board cut off mid-deploy boots the version it had; a full disk leaves nothing behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from deploytools import APP_V1, active_version, noise, run_on, write_tree

from harmonia.deploy import BoardStoppedError, DeployOptions, DiskFullError, deploy
from harmonia.targets import resolve
from harmonia.vboard import VirtualBoard

APP_V2: dict[str, str | bytes] = {
    **APP_V1,
    "app/__init__.py": 'VERSION = "2"\n',
    "big.bin": noise(60_000),
}


def _listing(board: VirtualBoard) -> str:
    return run_on(board, "import os\nprint(sorted(os.listdir('/app')))")


def _free(board: VirtualBoard) -> int:
    return int(run_on(board, "import os\ns = os.statvfs('/')\nprint(s[0] * s[3])"))


def test_a_board_killed_mid_deploy_boots_the_previous_version(
    board: VirtualBoard, state_dir: Path, app: Path
) -> None:
    target = resolve([board.name], state_dir=state_dir)[0]
    first = deploy(target, DeployOptions(src=app))
    write_tree(app, APP_V2)
    killed: list[int] = []

    def kill_halfway(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        if stage == "send" and total and done > total // 2 and not killed:
            pid = board.status().child_pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # the MicroPython process: power gone mid-write
            killed.append(pid)

    with pytest.raises(BoardStoppedError, match="crashed mid-deploy.*nothing was switched"):
        deploy(target, DeployOptions(src=app), progress=kill_halfway)
    assert killed
    board.reset(hard=True)
    assert active_version(board) == first.version
    assert run_on(board, "import app\nprint(app.VERSION)") == "1"
    assert ".new-" in _listing(board)  # the half-received stage, never booted
    second = deploy(target, DeployOptions(src=app))
    assert second.previous == first.version and second.changed
    assert active_version(board) == second.version
    assert run_on(board, "import app\nprint(app.VERSION)") == "2"
    assert ".new-" not in _listing(board)  # the next deploy cleared it


def test_a_version_too_big_for_the_flash_is_refused_before_a_byte_is_sent(
    tiny_boards: str, state_dir: Path, app: Path
) -> None:
    with VirtualBoard("small", tiny_boards, state_dir=state_dir) as board:
        target = resolve([board.name], state_dir=state_dir)[0]
        first = deploy(target, DeployOptions(src=app))
        before = _free(board)
        write_tree(app, {**APP_V2, "big.bin": noise(200_000)})
        with pytest.raises(DiskFullError, match=r"no room.*needs \d+ bytes, \d+ free"):
            deploy(target, DeployOptions(src=app))
        assert _free(board) == before
        assert _listing(board) == str(sorted(["current", "deployed.mpy", first.version]))
        assert active_version(board) == first.version


def test_a_disk_filling_up_mid_transfer_leaves_nothing_half_written(
    tiny_boards: str, state_dir: Path, app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with VirtualBoard("small", tiny_boards, state_dir=state_dir) as board:
        target = resolve([board.name], state_dir=state_dir)[0]
        first = deploy(target, DeployOptions(src=app))
        before = _free(board)
        write_tree(app, {**APP_V2, "big.bin": noise(200_000)})
        monkeypatch.setattr("harmonia.deploy.core._need", lambda bundle, block: 0)
        with pytest.raises(DiskFullError, match=r"no room.*ENOSPC.*nothing was switched"):
            deploy(target, DeployOptions(src=app))
        assert _free(board) == before
        assert _listing(board) == str(sorted(["current", "deployed.mpy", first.version]))
        board.reset(hard=True)
        assert active_version(board) == first.version
        assert run_on(board, "import app\nprint(app.VERSION)") == "1"
