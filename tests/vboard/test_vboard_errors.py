"""Bad input reaches the user as one clear error that says what to do next."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harmonia.boards import UnknownBoardError
from harmonia.vboard import CorruptFlashError, PortBusyError, VirtualBoard


def test_an_unknown_profile_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownBoardError, match=r"unknown board 'esp99'.*virtual"):
        VirtualBoard(profile="esp99", state_dir=tmp_path).start()
    assert not list((tmp_path / "vboards").glob("*/state.json"))


def test_a_corrupt_flash_image_is_refused_kept_and_reformatted_only_on_request(
    tmp_path: Path,
) -> None:
    board = VirtualBoard("bad", state_dir=tmp_path)
    board.write_files({"main.py": "print('hi')\n"})
    image = board.flash_path
    garbage = bytes(range(256)) * (image.stat().st_size // 256)
    image.write_bytes(garbage)
    with pytest.raises(CorruptFlashError, match="corrupt.*--reformat"):
        board.start()
    assert image.read_bytes() == garbage  # never silently wiped
    with VirtualBoard("bad", state_dir=tmp_path, reformat=True) as fresh:
        assert fresh.exec("import os; print(os.listdir('/'))").strip() == "[]"
    assert image.with_name("flash.img.corrupt").read_bytes() == garbage


def test_a_port_held_by_another_program_is_busy_naming_the_holder(tmp_path: Path) -> None:
    with VirtualBoard("held", state_dir=tmp_path) as board:
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
            with pytest.raises(PortBusyError, match=rf"busy: held by .*\(pid {holder.pid}\)"):
                board.exec("print(1)")
        finally:
            holder.kill()
            holder.wait()
        assert board.exec("print(1)").strip() == "1"
