"""`bus` (protocol.md 8.6): peers, link states, counters, and event subscriptions."""

import time


class BusService:
    def __init__(self, node):
        self._node = node

    def peers(self):
        n = self._node
        now = time.ticks_ms()
        return [n.peers[k].describe(now) for k in n.peers]

    def stats(self):
        return self._node.stats()

    def subscribe(self, topic):
        """Send topic's events to the caller until it unsubscribes, reboots or is lost."""
        n = self._node
        return n.ev.add(str(topic), n.caller, n.caller_nonce)

    def unsubscribe(self, topic):
        n = self._node
        n.ev.remove(str(topic), n.caller)
        return True


def register(node):
    node.register("bus", BusService(node), "1.0",
                  ("peers", "stats", "subscribe", "unsubscribe"), ("join", "leave"))
