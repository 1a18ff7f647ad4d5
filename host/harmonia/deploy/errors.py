"""Every way a deploy can fail that a user meets, each saying what to do next."""

from __future__ import annotations

from ..errors import HarmoniaError


class DeployError(HarmoniaError):
    """A deploy did not complete; the board still boots the version it had."""


class NoReplError(DeployError):
    """Nothing on the port answers as a MicroPython raw REPL."""


class IncompatibleBoardError(DeployError):
    """The board's MicroPython cannot load what mpy-cross wrote (.mpy version, arch)."""


class DiskFullError(DeployError):
    """The board's filesystem has no room for the new version; nothing was switched."""


class RejectedError(DeployError):
    """The board refused the new version (a write failed, a file arrived corrupted)."""


class BoardStoppedError(DeployError):
    """The board stopped answering mid-deploy (reset, crash, or a lost link)."""


class VerifyError(DeployError):
    """After the switch the board does not run the new version."""


class BootFileError(DeployError):
    """The board's /boot.py is the user's own and does not activate deployed versions."""
