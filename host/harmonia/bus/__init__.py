"""The host side of the Harmonia service bus (docs/protocol.md section 8).

>>> # bus = await BusNode.start(name="host", address="127.0.0.1", port=47770, key=KEY)
>>> # await bus.wait_for_peers(3, timeout=2)
>>> # info = await bus.call("kitchen", "sys.info")
>>> # bus.subscribe("sensor.temp", lambda event: print(event.node, event.value))
>>> # await bus.stop()

`SyncBus` wraps the same node for code without an event loop (CLI, scripts, tests).
"""

from .errors import (
    BadArgs,
    BusError,
    Busy,
    CallError,
    CallTimeout,
    ConfigError,
    DiscoveryTimeout,
    LinkError,
    NoSuchMethod,
    NoSuchNode,
    NoSuchService,
    NotAuthorised,
    RemoteError,
    TooLarge,
)
from .events import Event, Subscription
from .link import Link, Route
from .node import BusNode
from .peers import Peer
from .serial_link import SerialLink
from .server import CallContext, current_call
from .udp_link import DEFAULT_GROUP, DEFAULT_PORT, UdpLink

__all__ = [
    "DEFAULT_GROUP",
    "DEFAULT_PORT",
    "BadArgs",
    "BusError",
    "BusNode",
    "Busy",
    "CallContext",
    "CallError",
    "CallTimeout",
    "ConfigError",
    "DiscoveryTimeout",
    "Event",
    "Link",
    "LinkError",
    "NoSuchMethod",
    "NoSuchNode",
    "NoSuchService",
    "NotAuthorised",
    "Peer",
    "RemoteError",
    "Route",
    "SerialLink",
    "Subscription",
    "TooLarge",
    "UdpLink",
    "current_call",
]
