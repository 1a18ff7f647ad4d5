"""Errors of the bus commands; each message is one line that says what to try next."""

from __future__ import annotations

from ..bus.errors import BusError, NoSuchNode


class NodeNotFound(NoSuchNode):
    """No node by that name or id answered discovery; `seen` lists the nodes that did."""

    def __init__(self, message: str, ref: str, seen: list[str]) -> None:
        super().__init__(message, ref)
        self.ref = ref
        self.seen = seen


class AmbiguousNode(BusError):
    """Several nodes share the name; the user has to pick one by its id."""


class BadArgument(BusError):
    """A command-line value (call argument, key, node reference) that cannot be used."""


class NoLogService(BusError):
    """The node runs no `log` service, so it keeps no log lines to show."""
