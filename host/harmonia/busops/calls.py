"""One remote call by node name: `call(bus, "kitchen", "sys.info")`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..bus.identity import split_name
from ..bus.sync import SyncBus
from .errors import BadArgument
from .nodes import FIND_TIMEOUT, find_node
from .options import BusOptions

CALL_TIMEOUT = 3.0


def check_method(method: str) -> str:
    """`method` if it reads `service.method`, else BadArgument with an example."""
    try:
        split_name(method)
    except Exception:
        raise BadArgument(
            f"{method!r} is not SERVICE.METHOD: write it like sys.info or led.set"
        ) from None
    return method


def call(
    bus: SyncBus,
    node: str | int,
    method: str,
    args: Sequence[Any] = (),
    *,
    timeout: float = CALL_TIMEOUT,
    find_timeout: float = FIND_TIMEOUT,
    options: BusOptions | None = None,
) -> Any:
    """Call `service.method(*args)` on the node named `node` (name or hex id) and return
    the result. Raises NodeNotFound, CallTimeout, RemoteError and the other CallErrors."""
    check_method(method)
    peer = find_node(bus, node, find_timeout, options)
    return bus.call(peer.id, method, *args, timeout=timeout)
