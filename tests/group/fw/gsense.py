"""Role service for the group tests: a sensor that publishes what the test hands it."""


class Sense:
    def __init__(self, node):
        self._node = node
        self.last = None

    def emit(self, value):
        self.last = value
        return self._node.publish("sense.reading", value)

    def read(self):
        return [self._node.name, self.last]


def register(node):
    node.register("sense", Sense(node), "1.0", ("emit", "read"), ("reading",))
