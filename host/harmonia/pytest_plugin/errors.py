"""What the plugin raises: a missing capability becomes a skip, the rest are failures."""

from __future__ import annotations

from ..errors import HarmoniaError


class Unavailable(HarmoniaError):
    """The board (or bench) cannot do this: no REPL, no power switch, no way to partition.

    Raised inside a test, the plugin turns it into a skip with this message as the reason,
    so one suite runs unchanged on virtual and real boards.
    """


class BenchError(HarmoniaError):
    """A bench file or a `--hm-board` value that cannot be used as written."""


class LeaseTimeout(HarmoniaError):
    """Every board that fits is leased by another test process, for too long."""


class BoardSetupError(HarmoniaError):
    """A board did not come up for the test (provisioning, boot, or the bus)."""


class ExpectTimeout(AssertionError):
    """`expect` saw no match in time; the message holds the console output it searched."""
