"""Events as they arrive: `for event in watch(bus, "sensor.temp"): ...`.

The host node subscribes at every node that is on the bus or joins later, and again
after a node reboots, so a watch keeps going while boards come and go.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence

from ..bus import BusError, Event
from ..bus.identity import split_name
from ..bus.sync import SyncBus
from .errors import BadArgument
from .nodes import FIND_TIMEOUT, find_node
from .options import BusOptions

_TICK = 0.25


def check_topic(topic: str) -> str:
    """`topic` if it reads `service.event`, else BadArgument with an example."""
    try:
        split_name(topic)
    except Exception:
        raise BadArgument(
            f"{topic!r} is not SERVICE.EVENT: write it like log.line or bus.join"
        ) from None
    return topic


def watch(
    bus: SyncBus,
    topic: str,
    nodes: Sequence[str | int] = (),
    *,
    count: int | None = None,
    duration: float | None = None,
    find_timeout: float = FIND_TIMEOUT,
    options: BusOptions | None = None,
) -> Iterator[Event]:
    """`topic` events from `nodes` (names or ids; none: every node), until `count` events
    or `duration` seconds, or forever. Closing the iterator ends the subscription."""
    check_topic(topic)
    ids = {find_node(bus, ref, find_timeout, options).id for ref in nodes}
    sub = bus.events(topic, next(iter(ids)) if len(ids) == 1 else None)
    deadline = None if duration is None else time.monotonic() + duration
    seen = 0
    try:
        while count is None or seen < count:
            wait = _TICK if deadline is None else min(_TICK, deadline - time.monotonic())
            if wait <= 0:
                return
            try:
                event = sub.get(timeout=wait)
            except TimeoutError:
                continue
            if ids and event.source not in ids:
                continue
            seen += 1
            yield event
    finally:
        with contextlib.suppress(BusError):  # the bus closed first
            sub.cancel()
