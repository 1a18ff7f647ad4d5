"""Role `control` of the fan: decides when the fan runs, as service `fan`.

`fan.on_reading(reading)` takes each `room.reading` (a binding delivers it) and
publishes `fan.command` (true: run the fan) when the decision changes, and at
least every 2 s; it switches on above `on_above` °C and off below `off_below`
(hysteresis, so the relay does not chatter). `fan.state()` and
`fan.configure(limits)` for the super device's interface.
"""

import time

RESEND_MS = 2000


class Fan:
    def __init__(self, node):
        self._node = node
        self.on_above = 28.0
        self.off_below = 26.0
        self.running = None  # unknown until the first reading
        self.temperature = None
        self._sent = None

    def on_reading(self, reading):
        t = reading["temperature"]
        self.temperature = t
        want = self.running
        if t >= self.on_above:
            want = True
        elif t <= self.off_below or want is None:
            want = False
        now = time.ticks_ms()
        due = self._sent is None or time.ticks_diff(now, self._sent) >= RESEND_MS
        if want != self.running or due:
            self.running = want
            self._sent = now
            self._node.publish("fan.command", want)
        return want

    def state(self):
        return {"running": self.running, "temperature": self.temperature,
                "on_above": self.on_above, "off_below": self.off_below}

    def configure(self, limits):
        on = float(limits.get("on_above", self.on_above))
        off = float(limits.get("off_below", self.off_below))
        if off > on:
            raise ValueError("off_below must not be above on_above")
        self.on_above, self.off_below = on, off
        return self.state()


def register(node):
    node.register("fan", Fan(node), "1.0", ("on_reading", "state", "configure"), ("command",))
