"""Typed bus errors (protocol.md 8.4): what `Node.call` raises instead of a result.

The class names match the host library's and travel as the `type_name` of an
ERROR frame, so both sides name a failure the same way.
"""

from micropython import const

NO_NODE = const(1)
NO_SERVICE = const(2)
NO_METHOD = const(3)
REMOTE = const(4)
NOT_AUTHORISED = const(5)
TOO_LARGE = const(6)
BAD_ARGS = const(7)
BUSY = const(8)


class BusError(Exception):
    """A failed call; `code` is the wire code (0: detected locally, never sent)."""

    code = 0

    def __init__(self, message="", type_name=None):
        super().__init__(message)
        self.message = message
        self.type_name = type_name or type(self).__name__


class CallTimeout(BusError):
    pass


class NoSuchNode(BusError):
    code = NO_NODE


class NoSuchService(BusError):
    code = NO_SERVICE


class NoSuchMethod(BusError):
    code = NO_METHOD


class RemoteError(BusError):
    """The remote method raised: `type_name` and `message` are its exception's."""

    code = REMOTE


class NotAuthorised(BusError):
    code = NOT_AUTHORISED


class TooLarge(BusError):
    code = TOO_LARGE


class BadArgs(BusError):
    code = BAD_ARGS


class Busy(BusError):
    code = BUSY
