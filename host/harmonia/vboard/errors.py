"""Every way a virtual board can fail that a user meets, each saying what to do next."""

from __future__ import annotations

from ..errors import HarmoniaError


class VBoardError(HarmoniaError):
    """A virtual board could not do what was asked."""


class BoardNotFoundError(VBoardError):
    """No running virtual board has that name."""


class BoardExistsError(VBoardError):
    """A virtual board of that name already runs."""


class CorruptFlashError(VBoardError):
    """The board's flash image is not a littlefs2 filesystem it can mount."""


class PortBusyError(VBoardError):
    """Another program holds the board's serial port."""


class BoardStartError(VBoardError):
    """The board's processes did not come up."""


class BoardCrashedError(VBoardError):
    """The board's MicroPython process died; the message ends with its last console output."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output
