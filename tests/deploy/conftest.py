"""Fixtures for the deploy tests: a private state dir, a source tree, a virtual board,
and a board profile with a tiny flash."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploytools import APP_V1, TINY_PROFILE, write_tree

from harmonia import paths
from harmonia.vboard import VirtualBoard


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src", dict(APP_V1))


@pytest.fixture
def board(state_dir: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard("d1", state_dir=state_dir, reformat=True) as b:
        yield b


@pytest.fixture
def tiny_boards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """HARMONIA_BOARDS with every board plus `tiny`: a virtual board with 128 KiB of flash."""
    boards = tmp_path / "boards"
    shutil.copytree(paths.boards_dir(), boards)
    text = (boards / "virtual.toml").read_text()
    text = text.replace("flash_size = 0x200000", "flash_size = 0x20000")
    text = text.replace("fs_size = 0x200000", "fs_size = 0x20000")
    (boards / f"{TINY_PROFILE}.toml").write_text(text)
    monkeypatch.setenv("HARMONIA_BOARDS", str(boards))
    return TINY_PROFILE
