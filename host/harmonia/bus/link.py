"""The interface every link implements: bytes on one medium, nothing above it.

A link hands each checked frame up with the address it came from and tells the
node when it goes up or down; the node never touches sockets or ports itself.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Address = Any
"""Where on a link a frame goes: `(ip, port)` on UDP, None on a point-to-point serial link."""

FrameHandler = Callable[["Link", bytes, Address], None]
StateHandler = Callable[["Link", bool], None]


@dataclass(frozen=True, slots=True)
class Route:
    """How to reach a node: the link and the address on it."""

    link: Link
    addr: Address = None


class Link(ABC):
    """One medium. `start` begins delivering frames to `on_frame` in the event loop thread."""

    kind = "link"
    datagram = False
    """True where frames can be lost silently and calls must be retransmitted (UDP)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.up = False
        self.dropped: dict[str, int] = {}
        self._on_frame: FrameHandler = lambda link, raw, addr: None
        self._on_state: StateHandler = lambda link, up: None

    async def start(self, on_frame: FrameHandler, on_state: StateHandler) -> None:
        """Open the medium and begin delivering frames."""
        self._on_frame = on_frame
        self._on_state = on_state
        await self._open(asyncio.get_running_loop())

    @abstractmethod
    async def _open(self, loop: asyncio.AbstractEventLoop) -> None: ...

    @abstractmethod
    async def stop(self) -> None:
        """Close the medium; no frame is delivered after this returns."""

    @abstractmethod
    def send(self, frame: bytes, addr: Address = None) -> bool:
        """Queue one frame; False (and a count in `dropped`) when it cannot go out now."""

    def broadcast(self, frame: bytes) -> bool:
        """Send to every node on the medium (the only peer, on a point-to-point link)."""
        return self.send(frame, None)

    def _set_state(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            self._on_state(self, up)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {'up' if self.up else 'down'}>"
