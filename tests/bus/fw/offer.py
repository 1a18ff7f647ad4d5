"""A service that another is registered by, on command: a publisher whose service comes
after its subscribers, goes away, or is unregistered and registered again at once."""


class Late:
    pass


class Offer:
    def __init__(self, node):
        self._node = node

    def late(self):
        """Register service `late` (event `ping`); publish with probe.emit("late.ping", v)."""
        self._node.register("late", Late(), "1.0", (), ("ping",))
        return True

    def drop(self):
        self._node.unregister("late")
        return True

    def reload(self):
        """Unregister and register `late` in one step (as a hot reload does): same digest."""
        self.drop()
        return self.late()


def register(node):
    node.register("offer", Offer(node), "1.0", ("late", "drop", "reload"))
