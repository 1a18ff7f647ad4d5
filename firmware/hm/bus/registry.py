"""Local services (like OpenHarmony SAMGR): plain objects offered under a name and version.

A service lists its methods (default: its public callables), optionally an
argument shape per method (`hm.codec.shape` codes, e.g. "ii") that the server
checks before the call, and the events it publishes. Names become wire ids
once, here; a name hashing to 0 or to another service's id is refused.
"""

from hm.codec.crc import crc16
from hm.codec.frame import ident


class Service:
    def __init__(self, name, version, obj, sid, events):
        self.name = name
        self.version = version
        self.obj = obj
        self.id = sid
        self.methods = {}  # method id -> [name, bound method, Shape or None, its arg list]
        self.events = events

    def describe(self):
        names = sorted(self.methods[m][0] for m in self.methods)
        return [self.name, self.version, names, list(self.events)]


def _id(name, what):
    i = ident(name)
    if i == 0:
        raise ValueError(what + " name " + name + " hashes to the reserved id 0")
    return i


def _public(obj):
    return [n for n in dir(obj) if n[0] != "_" and callable(getattr(obj, n))]


class Registry:
    def __init__(self):
        self.by_id = {}
        self.on_change = None  # called with no argument after every change

    def register(self, name, obj, version="1.0", methods=None, events=(), shapes=None):
        """Offer obj as service `name`; `shapes` maps a method name to its shape codes."""
        sid = _id(name, "service")
        old = self.by_id.get(sid)
        if old is not None and old.name != name:
            raise ValueError("service " + name + " collides with " + old.name)
        svc = Service(name, version, obj, sid, tuple(events))
        for m in methods if methods is not None else _public(obj):
            mid = _id(m, "method")
            if mid in svc.methods:
                raise ValueError("method " + m + " collides with " + svc.methods[mid][0])
            codes = shapes.get(m) if shapes else None
            if codes:
                from hm.codec.shape import Shape

                sh = Shape(codes)
                svc.methods[mid] = [m, getattr(obj, m), sh, [None] * sh.n]
            else:
                svc.methods[mid] = [m, getattr(obj, m), None, None]
        for e in svc.events:
            _id(e, "event")
        self.by_id[sid] = svc
        self._changed()
        return svc

    def unregister(self, name):
        if self.by_id.pop(ident(name), None) is not None:
            self._changed()

    def get(self, name):
        return self.by_id.get(ident(name))

    def digest(self):
        """CRC-16 of the sorted name@version list joined by "," (the beacon's "d")."""
        s = ",".join(sorted(v.name + "@" + v.version for v in self.by_id.values())).encode()
        return crc16(s, len(s))

    def describe(self):
        return [self.by_id[k].describe() for k in self.by_id]

    def _changed(self):
        if self.on_change is not None:
            self.on_change()
