"""Role `switching` of the fan: a relay on a GPIO pin as service `relay`.

`relay.set(on)` drives the pin (high: fan on) and publishes `relay.changed` with
the new state when it changes; `relay.state()` -> bool. The pin is `relay_pin` of
the board's /hm.json (default GP15).
"""

import machine

PIN = "GP15"


class Relay:
    def __init__(self, node):
        self._node = node
        cfg = getattr(node, "cfg", None) or {}
        self._pin = machine.Pin(cfg.get("relay_pin", PIN), machine.Pin.OUT, value=0)
        self.on = False

    def set(self, on):
        on = bool(on)
        self._pin.value(1 if on else 0)
        if on != self.on:
            self.on = on
            self._node.publish("relay.changed", on)
        return on

    def state(self):
        return self.on


def register(node):
    node.register("relay", Relay(node), "1.0", ("set", "state"), ("changed",))
