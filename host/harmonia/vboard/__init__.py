"""Virtual boards: the real MicroPython unix port behind a pseudo-terminal, with a board
profile's heap, a littlefs2 flash image, its own loopback address and simulated
peripherals. `mpremote` and every Harmonia command drive one as they drive a board on a
USB cable. Process model, files and environment: docs/vboard.md.

    with VirtualBoardFarm(3, state_dir=tmp) as farm:
        for board in farm:
            print(board.name, board.port, board.address)

The board's MicroPython process finds its address in $HM_ADDR (supervisor.py lists the
whole environment). Names load on first use, so the supervisor process stays small.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .board import VirtualBoard
    from .errors import (
        BoardCrashedError,
        BoardExistsError,
        BoardNotFoundError,
        BoardStartError,
        CorruptFlashError,
        PortBusyError,
        VBoardError,
    )
    from .farm import VirtualBoardFarm
    from .state import BoardState, Crash, default_state_dir, running_boards

_WHERE = {
    "VirtualBoard": "board",
    "VirtualBoardFarm": "farm",
    "BoardState": "state",
    "Crash": "state",
    "default_state_dir": "state",
    "running_boards": "state",
    "BoardCrashedError": "errors",
    "BoardExistsError": "errors",
    "BoardNotFoundError": "errors",
    "BoardStartError": "errors",
    "CorruptFlashError": "errors",
    "PortBusyError": "errors",
    "VBoardError": "errors",
}

__all__ = [
    "BoardCrashedError",
    "BoardExistsError",
    "BoardNotFoundError",
    "BoardStartError",
    "BoardState",
    "CorruptFlashError",
    "Crash",
    "PortBusyError",
    "VBoardError",
    "VirtualBoard",
    "VirtualBoardFarm",
    "default_state_dir",
    "running_boards",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
