"""Virtual boards: the real MicroPython unix port behind a pseudo-terminal, with a board
profile's heap, a littlefs2 flash image, its own loopback address and (when the hardware
layer is present) simulated peripherals. `mpremote` and every Harmonia command drive one
as they drive a board on a USB cable. Process model, files and environment: docs/vboard.md.

    with VirtualBoardFarm(3, state_dir=tmp) as farm:
        for board in farm:
            print(board.name, board.port, board.address)

The board's MicroPython process finds its address in $HM_ADDR (see supervisor.py for the
full environment).
"""

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
