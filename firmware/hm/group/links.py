"""What follows the roles: bindings, the interface's events, and interface calls.

Bindings are bus subscriptions kept by the member holding a binding's target
role, at whichever member the assignment names for its source role; `sync()`
redoes the difference whenever the assignment or the roles held here change.
"""

import asyncio
import time

from hm.bus.errors import Busy, CallTimeout, NoSuchNode, NoSuchService

_RETRY = (NoSuchNode, NoSuchService, CallTimeout, Busy)  # the role is moving: try again
_GAP = 100


class NoSuchName(ValueError):
    """The name is not in the spec's interface."""


class NoHolder(Exception):
    """No member held the role in time."""


class Links:
    def __init__(self, ag):
        self.ag = ag
        self.cur = {}  # key -> (topic, callback)

    def _wanted(self):
        ag = self.ag
        out: dict = {}
        spec = ag.spec
        if spec is None:
            return out
        for b in spec["bindings"]:
            if b[2] in ag.held:
                nid = ag.node_id(ag.assign.get(b[0]))
                if nid is not None:
                    out[("b", b[1], nid, b[3])] = True
        ev = spec["events"]
        for name in ev:
            if ev[name][0] in ag.held:
                out[("e", ev[name][1], ag.node.id, name)] = True
        return out

    def sync(self):
        want = self._wanted()
        node = self.ag.node
        for key in [k for k in self.cur if k not in want]:
            topic, cb = self.cur.pop(key)
            node.unsubscribe(topic, cb)
        for key in want:
            if key not in self.cur:
                cb = self._binding(key[3]) if key[0] == "b" else self._event(key[3])
                self.cur[key] = (key[1], cb)
                node.subscribe(key[1], cb, key[2])

    def _binding(self, method):
        node = self.ag.node

        async def fire(topic, value, src):
            try:
                await node.call(node.id, method, (value,))
            except Exception as e:
                node.log("hm.group: binding " + topic + " -> " + method + " failed: " + repr(e))

        return fire

    def _event(self, name):
        node = self.ag.node

        def fire(topic, value, src):
            node.publish("group.event", [name, value])

        return fire


async def call(ag, name, args, timeout_ms):
    """Interface method `name` on whichever member holds its role, retried while it moves."""
    spec = ag.spec
    route = spec["interface"].get(name) if spec is not None else None
    if route is None:
        raise NoSuchName("no interface method " + str(name) + " in the group's spec")
    role, method = route
    node = ag.node
    deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
    last = None
    while True:
        left = time.ticks_diff(deadline, time.ticks_ms())
        if left <= 0:
            break
        h = ag.assign.get(role)
        if h == ag.me:
            if role in ag.held:
                return await node.call(node.id, method, args)
        elif h is not None and ag.up(h):  # a holder gone silent: wait for its successor
            nid = ag.node_id(h)
            if nid is not None:
                try:
                    return await node.call(nid, method, args, left if left < ag.lease else ag.lease)
                except _RETRY as e:
                    last = e
        await asyncio.sleep_ms(_GAP if left > _GAP else left)
    why = (" (last: " + type(last).__name__ + " " + str(last) + ")") if last else ""
    raise NoHolder("no member answered for role " + role + " within " + str(timeout_ms) + " ms"
                   + why)
