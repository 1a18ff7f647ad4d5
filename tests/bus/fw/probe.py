"""A user service for the firmware bus tests: it calls, subscribes and publishes on
command, so a test on the host drives board-to-board traffic through it."""

import asyncio

from hm.bus.errors import BusError


class Probe:
    def __init__(self, node):
        self._node = node
        self._log = []
        self.runs = 0

    def add(self, a, b):
        self.runs += 1
        return a + b

    async def slow(self, ms):
        self.runs += 1
        await asyncio.sleep_ms(ms)
        return "done"

    def fail(self):
        raise ValueError("bad input 42")

    def big(self, n):
        return bytes(n)

    def count(self):
        return self.runs

    async def call(self, node, method, args, timeout):
        """Make this board call another node; the result or the typed error, as data."""
        try:
            return ["ok", await self._node.call(node, method, args, timeout)]
        except BusError as e:
            return ["err", type(e).__name__, e.type_name, e.message]

    async def call_blob(self, node, method, size, timeout):
        """Call method(bytes(size)) on node: an argument built here, too big to send in."""
        return await self.call(node, method, [bytes(size)], timeout)

    def follow(self, topic, node=None):
        self._node.subscribe(topic, self._got, node)
        return True

    def _got(self, topic, value, src):
        if len(self._log) < 200:
            self._log.append([topic, value, src])

    def events(self):
        return self._log

    def clear(self):
        self._log = []
        return True

    def emit(self, topic, value):
        return self._node.publish(topic, value)

    def subscribers(self, topic):
        return self._node.subscribers(topic)

    def peers(self):
        n = self._node
        return sorted([n.peers[k].name for k in n.peers if n.peers[k].name])


def register(node):
    p = Probe(node)
    node.register("probe", p, "1.0",
                  ("add", "slow", "fail", "big", "count", "call", "call_blob", "follow", "events",
                   "clear", "emit", "subscribers", "peers"),
                  ("tick",), {"add": "ii"})
    for topic in (getattr(node, "cfg", None) or {}).get("follow", ()):
        p.follow(topic)
