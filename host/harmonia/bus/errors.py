"""Errors a bus user can meet, one class per outcome of a call (docs/protocol.md 8.4).

Each message names the node, service and method involved and says what to try next.
"""

from __future__ import annotations

from ..errors import HarmoniaError

# ERROR payload codes (protocol section 8.4).
NO_NODE = 1
NO_SERVICE = 2
NO_METHOD = 3
REMOTE = 4
NOT_AUTHORISED = 5
TOO_LARGE = 6
BAD_ARGS = 7
BUSY = 8


class BusError(HarmoniaError):
    """Anything the service bus reports to its user."""


class ConfigError(BusError):
    """A bus node was started with settings it cannot use (key, address, port)."""


class LinkError(BusError):
    """A link could not be opened (address in use, no such serial port)."""


class DiscoveryTimeout(BusError):
    """`wait_for_peers` gave up before the peers it waited for appeared."""


class CallError(BusError):
    """A call that did not return a result; `node`, `service`, `method` say which one."""

    code = 0

    def __init__(self, message: str, node: str = "", service: str = "", method: str = "") -> None:
        super().__init__(message)
        self.node = node
        self.service = service
        self.method = method

    @property
    def target(self) -> str:
        """`node:service.method`, as the messages print it."""
        return f"{self.node}:{self.service}.{self.method}"


class CallTimeout(CallError):
    """No answer before the caller's timeout (never sent on the wire)."""


class NoSuchNode(CallError):
    """The node is not in the peer table, or a bridge has no route to it."""

    code = NO_NODE


class NoSuchService(CallError):
    """The node has no service of that name."""

    code = NO_SERVICE


class NoSuchMethod(CallError):
    """The service has no method of that name."""

    code = NO_METHOD


class RemoteError(CallError):
    """The method raised on the remote node; `type_name` and `remote_message` are its own."""

    code = REMOTE

    def __init__(
        self,
        type_name: str,
        remote_message: str,
        node: str = "",
        service: str = "",
        method: str = "",
    ) -> None:
        super().__init__(
            f"{node}:{service}.{method} raised {type_name}: {remote_message} "
            "(the error is the remote method's own; fix the arguments or the service)",
            node,
            service,
            method,
        )
        self.type_name = type_name
        self.remote_message = remote_message


class NotAuthorised(CallError):
    """The callee refused a frame it could not authenticate."""

    code = NOT_AUTHORISED


class TooLarge(CallError):
    """The request or its result does not fit in one frame (4096 bytes)."""

    code = TOO_LARGE


class BadArgs(CallError):
    """The arguments do not fit the method's signature."""

    code = BAD_ARGS


class Busy(CallError):
    """The callee is rate limiting this caller."""

    code = BUSY


_ADVICE: dict[int, tuple[type[CallError], str]] = {
    NO_NODE: (NoSuchNode, "no route to the node; check it is powered and linked to its bridge"),
    NO_SERVICE: (NoSuchService, "no such service there; list them with `sys.services`"),
    NO_METHOD: (NoSuchMethod, "no such method; list the service's methods with `sys.services`"),
    NOT_AUTHORISED: (NotAuthorised, "refused as unauthenticated; start the host with the "
                     "group's key"),
    TOO_LARGE: (TooLarge, "the request or its result exceeds one 4096-byte frame; "
                "move less data per call"),
    BAD_ARGS: (BadArgs, "the arguments do not fit the method; check its signature"),
    BUSY: (Busy, "the node is rate limiting this caller; slow down and retry"),
}


def from_wire(payload: object, node: str, service: str, method: str) -> CallError:
    """The exception for an ERROR frame's `[code, type_name, message]` payload."""
    code, type_name, text = 0, "Error", repr(payload)
    if isinstance(payload, list | tuple) and len(payload) == 3:
        code = payload[0] if isinstance(payload[0], int) else 0
        type_name, text = str(payload[1]), str(payload[2])
    if code in _ADVICE:
        cls, advice = _ADVICE[code]
        detail = f" ({text})" if text else ""
        return cls(f"{node}:{service}.{method}: {advice}{detail}", node, service, method)
    return RemoteError(type_name, text, node, service, method)
