"""A bench for group tests and benchmarks: a private state directory, board profiles with
room for the firmware, a free bus port, and every group it brought up stopped at the end.

    with GroupLab(tmp_path) as lab:
        group, report = lab.up(lab.copy_example("fan"))
        ...                                  # lab.close() downs every group it made
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from .. import paths
from ..bus.testing import free_udp_port
from ..demo.roomy import HEAP, roomy_boards, using_boards
from ..vboard.launch import stop_boards
from ..vboard.state import running_boards
from .handle import Group
from .up import UpReport, up

T = TypeVar("T")


class GroupLab:
    def __init__(self, root: Path, heap: int = HEAP) -> None:
        self.root = root
        self.state_dir = root / "state"
        self.port = free_udp_port()
        self.boards_dir, _ = roomy_boards(root / "boards", heap)
        self.groups: list[Group] = []
        self._env = using_boards(self.boards_dir)
        self._env.__enter__()

    def copy_example(self, name: str) -> Path:
        """examples/NAME copied here (to change its services); its manifest's path."""
        dest = self.root / name
        shutil.copytree(paths.repo_root() / "examples" / name, dest,
                        ignore=shutil.ignore_patterns("__pycache__"))
        return dest / f"{name}.toml"

    def write(self, name: str, text: str, files: dict[str, str] | None = None) -> Path:
        """A manifest (and service files beside it) in a folder of its own."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        for file, body in (files or {}).items():
            (folder / file).write_text(body)
        path = folder / f"{name}.toml"
        path.write_text(text)
        return path

    def up(self, manifest: Path, **options: Any) -> tuple[Group, UpReport]:
        """`up()` on this lab's state dir and port; boards die with the lab."""
        options.setdefault("detach", False)
        group, report = up(manifest, state_dir=self.state_dir, port=self.port, **options)
        self.groups.append(group)
        return group, report

    def close(self) -> None:
        for group in self.groups:
            with contextlib.suppress(Exception):
                group.down()
        if self.state_dir.exists():
            from ..vboard.board import VirtualBoard

            left = [VirtualBoard.attach(b.name, self.state_dir)
                    for b in running_boards(self.state_dir)]
            stop_boards(left)
        self._env.__exit__(None, None, None)

    def __enter__(self) -> GroupLab:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `predicate` until it returns a true value (returned), or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
