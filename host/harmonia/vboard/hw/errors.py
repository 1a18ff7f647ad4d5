"""Errors of the virtual hardware layer, each with what to do next."""

from __future__ import annotations

from ...errors import HarmoniaError


class HardwareError(HarmoniaError):
    """Something about a virtual board's simulated hardware went wrong."""


class HubNotRunningError(HardwareError):
    """No hardware hub answers at the given path."""


class HardwareRequestError(HardwareError):
    """The hub refused a request: unknown pin, taken address, bad parameters."""


class HardwareTimeoutError(HardwareError):
    """A wait for a pin, a UART byte or a board boot ran out of time."""
