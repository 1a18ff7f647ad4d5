"""The group agent: this board as a member of a super device (docs/group.md).

    "services": ["hm.group"]          # in /hm.json; "group_file", "caps", "i2c" optional

offers the `group` service (configure, spec, status, caps, call, reload, rescan,
leave, history) and publishes `group.roles`, `group.health` and `group.event`.
"""

from . import links, roles
from .agent import Agent

_agent = None


class GroupService:
    def __init__(self, ag):
        self._ag = ag

    def configure(self, spec):
        """Take this spec (validated, persisted); {"changed", "version"}."""
        changed = self._ag.apply(spec)
        return {"changed": changed, "version": self._ag.version}

    def spec(self):
        return self._ag.raw

    def status(self):
        return self._ag.status()

    def caps(self):
        ag = self._ag
        ag.rescan()
        return ag.caps

    async def call(self, name, args=(), timeout_ms=4000):
        """Interface method `name`(*args) on its role's holder, retried while the role moves."""
        return await links.call(self._ag, name, list(args), timeout_ms)

    def reload(self):
        """Import the held roles' modules anew (after a hot deploy) and start them again."""
        ag = self._ag
        done = []
        ag.failed = {}
        for r in list(ag.held):
            mods = ag.held[r]["mods"]
            roles.stop(ag, r)
            roles.forget_modules(mods)
            if roles.start(ag, r):
                done.append(r)
        ag.links.sync()
        ag.kick()
        return done

    def rescan(self):
        ag = self._ag
        ag.failed = {}
        fit = ag.rescan()
        ag.kick()
        return fit

    def leave(self):
        self._ag.leave()
        return True

    def history(self):
        return self._ag.hist


def register(node):
    global _agent
    ag = Agent(node, getattr(node, "cfg", None) or {})
    _agent = ag
    node.register("group", GroupService(ag), "1.0",
                  ("configure", "spec", "status", "caps", "call", "reload", "rescan", "leave",
                   "history"),
                  ("roles", "health", "event", "hb"))
    ag.load()
    if ag.caps is None:
        ag.rescan()  # at boot, while the heap is in one piece (I2C drivers may be Python)
    ag.start()
