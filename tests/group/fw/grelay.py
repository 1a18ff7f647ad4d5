"""Role service for the group tests: a relay on the board's RELAY pin."""

import machine


class Relay:
    def __init__(self, node):
        self._node = node
        self._pin = machine.Pin("RELAY", machine.Pin.OUT, value=0)
        self.log = []

    def set(self, speed):
        self.log.append(speed)
        self._pin.value(1 if speed else 0)
        return self._node.name

    def speeds(self):
        return self.log


_relay = None


def register(node):
    global _relay
    _relay = Relay(node)
    node.register("relay", _relay, "1.0", ("set", "speeds"))


def unregister(node):
    """Let go of the pin when the role leaves this board."""
    if _relay is not None:
        _relay._pin.value(0)
