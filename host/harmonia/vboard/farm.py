"""Several virtual boards started and stopped together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from .board import DEFAULT_PROFILE, VirtualBoard
from .launch import START_TIMEOUT, start_boards, stop_boards


class VirtualBoardFarm:
    """`count` boards of one profile, started in parallel; a context manager.

    Boards are named `{prefix}1`..`{prefix}N` (or the next free `vbN` without a prefix).
    Stopping the farm stops every board it started, even after a failed start.
    """

    def __init__(
        self,
        count: int,
        profile: str = DEFAULT_PROFILE,
        state_dir: Path | str | None = None,
        *,
        prefix: str | None = None,
        baud: int = 0,
        reformat: bool = False,
        detach: bool = False,
    ) -> None:
        if count < 1:
            raise ValueError("a farm needs at least one board")
        self.boards = [
            VirtualBoard(
                f"{prefix}{i}" if prefix else None,
                profile,
                state_dir=state_dir,
                baud=baud,
                reformat=reformat,
                detach=detach,
            )
            for i in range(1, count + 1)
        ]

    def start(self, timeout: float = START_TIMEOUT) -> VirtualBoardFarm:
        start_boards(self.boards, timeout)
        return self

    def stop(self) -> None:
        stop_boards(self.boards)

    def __len__(self) -> int:
        return len(self.boards)

    def __iter__(self) -> Iterator[VirtualBoard]:
        return iter(self.boards)

    def __getitem__(self, index: int) -> VirtualBoard:
        return self.boards[index]

    def __enter__(self) -> VirtualBoardFarm:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
