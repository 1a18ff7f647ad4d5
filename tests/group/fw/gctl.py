"""Role service for the group tests: a controller that turns readings into speeds."""


class Ctl:
    def __init__(self, node):
        self._node = node
        self.seen = []

    def on_reading(self, value):
        self.seen.append(value)
        self._node.publish("ctl.speed", value + 1)
        return True

    def set(self, speed):
        self._node.publish("ctl.speed", speed)
        return self._node.name

    def readings(self):
        return self.seen


def register(node):
    node.register("ctl", Ctl(node), "1.0", ("on_reading", "set", "readings"), ("speed",))
