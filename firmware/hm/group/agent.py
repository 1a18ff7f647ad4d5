# ruff: noqa: SIM105, UP041  (no contextlib on MicroPython; asyncio.TimeoutError is what it raises)
"""The group agent's state and loop: heartbeats out and in, then one `step()`.

Every step recomputes the vote (election.py), the assignment when leading, the
acknowledgements and the roles to run (roles.py), and the subscriptions that
follow them (links.py). Heartbeats go every `heartbeat_ms`, and at once (at most
every 30 ms) when the vote, the assignment, an acknowledgement or a role changed.
"""

import asyncio
import json
import os
import time
from array import array

from micropython import const

from hm.codec.frame import T_EVENT, ident

from . import caps as capsmod
from . import election, roles
from . import spec as specmod
from .links import Links

TYPE_CHECKING = const(False)
if TYPE_CHECKING:
    from typing import Any

_TICK = const(50)
_MIN_GAP = const(30)
_RING = const(64)  # send times kept: a lease of heartbeats sent as fast as allowed
_HISTORY = const(16)
_RESCAN = const(2000)

_ticks = time.ticks_ms
_diff = time.ticks_diff
_FIELDS = ("r", "c", "f", "x", "a", "p")  # heartbeat keys kept as Member attributes
_EMPTY: dict = {"r": (), "c": (), "f": (), "x": {}, "a": {}, "p": None}


_TYPES = {"h": int, "t": int, "r": list, "c": list, "f": list, "x": dict, "a": dict, "p": dict}


def _same(old, new):
    return old if old == new else new


def _well_formed(d):
    """A heartbeat whose fields have the types the agent relies on (absent is fine)."""
    for k in _TYPES:
        v = d.get(k)
        if v is not None and type(v) is not _TYPES[k]:
            return False
    w = d.get("w")
    return w is None or type(w) is str


class Agent:
    def __init__(self, node, cfg):
        self.node = node
        self.cfg = cfg
        self.me = node.name
        self.path = cfg.get("group_file") or "/group.json"
        self.spec: Any = None  # the checked spec (spec.check), None until configured
        self.raw = None  # the spec as given, which spec() hands on
        self.version = 0
        self.since = _ticks()  # when this version arrived
        self.left = None  # [group, version] this member left: not taken up again
        self.members = {}
        self.gone = {}  # members the spec no longer names
        self.vote = None
        self.stood = _ticks()
        self.leading = False
        self.term = 0
        self.max_term = 0
        self.assign = {}  # role -> member, as the leader proposes
        self.acks = {}  # role -> the member this one acknowledges (exclusive roles)
        self.prev = {}  # role -> the last member acknowledged
        self.take = {}  # role -> the first of our seqs an acknowledgement must echo
        self.held = {}  # role -> {"mods", "svcs", "ok"}
        self.failed = {}
        self.fit = []
        self.caps = None
        self.lease = specmod.LEASE_MS
        self.hb = specmod.HEARTBEAT_MS
        self.margin = self.hb
        self.maj = 1
        self.seq = 0
        self._sent_q = array("i", [-1] * _RING)  # seq and send time of our last heartbeats
        self._sent_t = array("i", [0] * _RING)
        self.booted = _ticks()
        self.hist = []
        self.links = Links(self)
        self._kick = asyncio.Event()
        self._last_hb = _ticks()
        self._urgent = False
        self._scanned = _ticks()
        self._published = {}
        self._hbd = {}
        self._fetching = False
        self._svc = ident("group")
        self._mth = ident("hb")
        self._task = None

    # ------------------------------------------------------------------ spec

    def load(self):
        try:
            with open(self.path) as f:
                saved = json.load(f)
        except (OSError, ValueError):
            return
        if type(saved) is not dict:
            return
        if saved.get("left"):
            self.left = saved["left"]
        elif saved.get("spec"):
            try:
                self.apply(saved["spec"], False)
            except ValueError as e:
                self.node.log("hm.group: ignoring " + self.path + ": " + str(e))

    def _save(self, data):
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.rename(tmp, self.path)

    def apply(self, raw, persist=True):
        """Take a spec (configure, or one fetched from a member); whether it changed."""
        s = specmod.check(raw)
        if self.me not in s["members"]:
            raise specmod.NotAMember(self.me + " is not one of the members " + str(s["members"]))
        old = self.spec
        if old is not None and old["group"] == s["group"]:
            if s["version"] < self.version:
                raise specmod.StaleSpec("version " + str(s["version"]) + " is older than "
                                        + str(self.version) + ", which this member holds")
            if s["version"] == self.version:
                if specmod.same(old, s):
                    return False
                raise specmod.VersionConflict("version " + str(self.version)
                                              + " differs from the one held: bump version")
        same_group = old is not None and old["group"] == s["group"]
        for r in list(self.held):
            if not same_group or s["roles"].get(r) != old["roles"].get(r):
                roles.stop(self, r)
        if not same_group:
            self.members = {}
            self.assign = {}
            self.acks = {}
            self.prev = {}
            self.vote = None
            self.leading = False
        self.spec = s
        self.raw = raw
        self.version = s["version"]
        self.since = _ticks()
        self.hb = s["heartbeat_ms"]
        self.lease = s["lease_ms"]
        self.margin = self.hb if self.hb > 200 else 200
        self.maj = len(s["members"]) // 2 + 1
        ms = {}
        for n in s["members"]:
            if n != self.me:
                ms[n] = self.members.get(n) or election.Member(n)
        # a member taken out may still run a role until it hears so: remember when it
        # was last heard, so its roles move only once it has surely let go
        self.gone = {k: self.members[k] for k in self.members if k not in ms}
        self.members = ms
        names = s["members"]
        for t in (self.assign, self.acks, self.prev):
            for r in [r for r in t if r not in s["roles"] or t[r] not in names]:
                del t[r]
        self.failed = {}
        self.rescan()
        self.node.group = s["group"]
        self.left = None
        if persist:
            self._save({"spec": raw})
        self.kick()
        return True

    def leave(self):
        for r in list(self.held):
            roles.stop(self, r)
        if self.spec is not None:
            self.left = [self.spec["group"], self.version]
            self._save({"left": self.left})
        self.spec = None
        self.raw = None
        self.version = 0
        self.members = {}
        self.assign = {}
        self.acks = {}
        self.leading = False
        self.vote = None
        self.links.sync()
        self.node.group = ""

    def rescan(self):
        self.caps = capsmod.detect(self.node, self.cfg)
        self.fit = capsmod.fit(self.spec, self.caps, self.me) if self.spec else []
        self._scanned = _ticks()
        return self.fit

    async def _fetch(self, src):
        try:
            raw = await self.node.call(src, "group.spec", (), 2000)
            if raw is not None:
                self.apply(raw)
        except specmod.NotAMember:
            if self.spec is not None and self.spec["group"] == raw.get("group"):
                self.node.log("hm.group: version " + str(raw.get("version"))
                              + " of the group leaves this member out: leaving")
                self.leave()
            self.left = [raw.get("group"), raw.get("version")]  # not asked again
        except Exception as e:
            self.node.log("hm.group: cannot take the spec from " + str(src) + ": " + repr(e))
        finally:
            self._fetching = False

    def _maybe_fetch(self, src, g, v):
        if self._fetching or type(v) is not int or type(g) is not str:
            return
        if self.left is not None and self.left[0] == g and v <= self.left[1]:
            return
        if self.spec is not None and (g != self.spec["group"] or v <= self.version):
            return
        self._fetching = True
        asyncio.create_task(self._fetch(src))

    # ------------------------------------------------------------------ heartbeats

    def kick(self):
        self._urgent = True
        self._kick.set()

    def sent_at(self, q):
        i = q % _RING
        return self._sent_t[i] if q >= 0 and self._sent_q[i] == q else None

    def up(self, name):
        """Whether member `name` was heard within the lease (this member always is)."""
        if name == self.me:
            return True
        m = self.members.get(name)
        return m is not None and m.up(_ticks(), self.lease)

    def node_id(self, name):
        if name is None:
            return None
        if name == self.me:
            return self.node.id
        m = self.members.get(name)
        if m is not None and m.id:
            return m.id
        p = self.node.peer(name)
        return p.id if p is not None else None

    def send_hb(self, now, my_h):
        self.seq += 1
        q = self.seq
        self._sent_q[q % _RING] = q
        self._sent_t[q % _RING] = now
        spec = self.spec
        ex = spec["roles"]
        claims = [r for r in spec["order"] if ex[r]["exclusive"] and self.acks.get(r) == self.me]
        d = self._hbd  # one map, refilled: a heartbeat leaves little garbage
        d.clear()
        d["n"] = self.me
        d["g"] = spec["group"]
        d["v"] = self.version
        d["o"] = self.node.nonce
        d["q"] = q
        d["w"] = self.vote
        d["l"] = self.leading
        d["t"] = self.term
        d["h"] = my_h
        d["r"] = list(self.held)
        d["c"] = claims
        d["f"] = self.fit
        d["a"] = self.acks
        if self.failed:
            d["x"] = self.failed
        if self.leading:
            d["p"] = self.assign
        node = self.node
        for k in self.members:
            m = self.members[k]
            nid = self.node_id(k)
            if nid is None:
                continue
            d["e"] = m.seq
            d["eo"] = m.nonce  # whose seq: an echo from before a reboot must not count
            try:
                node.send(T_EVENT, nid, self._svc, self._mth, node.next_seq(), d)
            except ValueError:  # the codec's errors: a spec too large for one frame
                node.drops["oversize"] += 1
        for r in spec["order"]:
            if r not in self.held and r not in claims:
                self.take[r] = q + 1
        self._last_hb = now
        self._urgent = False

    def on_hb(self, topic, d, src):
        if type(d) is not dict:
            return
        g = d.get("g")
        v = d.get("v")
        spec = self.spec
        if spec is None or g != spec["group"]:
            self._maybe_fetch(src, g, v)
            return
        if type(v) is int and v > self.version:
            self._maybe_fetch(src, g, v)
        m = self.members.get(d.get("n"))
        q = d.get("q")
        if m is None or type(q) is not int or not _well_formed(d):
            return
        o = d.get("o")
        if o != m.nonce:
            m.reset(o)
        if q <= m.seq:
            return  # late or repeated
        now = _ticks()
        news = m.last is None or not m.up(now, self.lease)
        m.id = src
        m.seq = q
        m.last = now
        m.v = v
        m.h = d.get("h") or 0
        e = d.get("e")
        m.e = e if type(e) is int and d.get("eo") == self.node.nonce else -1
        # what changed is taken; what did not keeps its old object, so the long-lived
        # values stay where they are in the heap instead of moving every heartbeat
        w = d.get("w")
        lead = d.get("l") is True
        t = d.get("t") or 0
        ch = news or w != m.w or lead != m.l or t != m.t
        m.w = _same(m.w, w)
        m.l = lead
        m.t = t
        for k in _FIELDS:
            new = d.get(k)
            old = getattr(m, k)
            if new != old and (new or old):
                setattr(m, k, new if new is not None else _EMPTY[k])
                ch = True
        if t > self.max_term:
            self.max_term = t
        if ch:
            self._kick.set()

    # ------------------------------------------------------------------ the loop

    def start(self):
        self.node.subscribe("group.hb", self.on_hb)
        self._task = asyncio.create_task(self.run())

    async def run(self):
        while True:
            try:
                await asyncio.wait_for_ms(self._kick.wait(), _TICK)
            except asyncio.TimeoutError:
                pass
            self._kick.clear()
            if self.spec is None:
                continue
            try:
                self.step()
            except Exception as e:  # the agent must outlive any bug in one step
                self.node.log("hm.group: step failed: " + repr(e))
                await asyncio.sleep_ms(_TICK)

    def leader(self):
        if self.leading:
            return self.me
        m = self.members.get(self.vote)
        if m is not None and m.l and m.w == m.name and m.up(_ticks(), self.lease):
            return m.name
        return None

    def step(self):
        now = _ticks()
        my_h = election.heard(self, now)
        v = election.choose(self, now, my_h)
        if v != self.vote:
            if v == self.me:
                self.stood = now
            self.vote = v
            self._urgent = True
        lead = election.leads(self, now)
        if lead and not self.leading:
            self.term = (self.max_term if self.max_term > self.term else self.term) + 1
            self.max_term = self.term
        self.leading = lead
        order = self.spec["order"]
        if lead:
            a = roles.propose(self, now)
        else:
            a = self.assign
            m = self.members.get(self.vote)
            if m is not None and m.l and m.w == m.name and type(m.p) is dict \
                    and m.v == self.version and m.up(now, self.lease):
                a = {r: m.p.get(r) for r in order}
        if a != self.assign:
            self.assign = a
            self._urgent = True
        if roles.update_acks(self, now):
            self._urgent = True
        want = roles.wanted(self, now)
        for r in [r for r in self.held if r not in want]:
            roles.stop(self, r)
            self._urgent = True
        for r in want:
            if r not in self.held:
                roles.start(self, r)
                self._urgent = True
        self.links.sync()
        gap = _diff(now, self._last_hb)
        if gap >= self.hb or (self._urgent and gap >= _MIN_GAP):
            self.send_hb(now, my_h)
        if len(self.fit) < len(order) and _diff(now, self._scanned) >= _RESCAN:
            self.rescan()
        self._publish(now)

    def _publish(self, now):
        """group.roles and group.health, each when what it says changed."""
        leader = self.leader()
        term = self.term if self.leading else self._leader_term()
        ups = 0
        bit = 1
        for k in self.members:
            if self.members[k].up(now, self.lease):
                ups |= bit
            bit <<= 1
        p = self._published
        if p.get("assign") is not self.assign or p.get("leader") != leader \
                or p.get("term") != term or p.get("version") != self.version:
            p["assign"] = self.assign
            p["leader"] = leader
            p["term"] = term
            p["version"] = self.version
            self.node.publish("group.roles", {"version": self.version, "leader": leader,
                                              "term": term, "roles": self.roles()})
        if p.get("ups") != ups or p.get("hleader") != leader or p.get("hassign") is not self.assign:
            p["ups"] = ups
            p["hleader"] = leader
            p["hassign"] = self.assign
            states = {self.me: "up"}
            for k in self.members:
                states[k] = "up" if self.members[k].up(now, self.lease) else "down"
            h = {"leader": leader, "members": states,
                 "unassigned": [r for r in self.spec["order"] if self.assign.get(r) is None]}
            if h != p.get("health"):
                p["health"] = h
                self.node.publish("group.health", h)

    def _leader_term(self):
        m = self.members.get(self.vote)
        return m.t if m is not None else 0

    def roles(self):
        return {r: self.assign.get(r) for r in self.spec["order"]} if self.spec else {}

    def note(self, r, started):
        now = _ticks()
        if started:
            if len(self.hist) >= _HISTORY:
                self.hist.pop(0)
            self.hist.append([r, now, None])
            return
        for h in reversed(self.hist):
            if h[0] == r and h[2] is None:
                h[2] = now
                return

    # ------------------------------------------------------------------ status

    def status(self):
        now = _ticks()
        spec = self.spec
        if spec is None:
            return {"group": None, "version": 0, "me": self.me, "leader": None, "term": 0,
                    "members": {}, "roles": {}, "held": [], "left": self.left}
        ms = {self.me: {"state": "up", "last_seen_ms": 0, "roles": list(self.held),
                        "fit": list(self.fit), "vote": self.vote, "failed": dict(self.failed)}}
        for k in self.members:
            m = self.members[k]
            ms[k] = {"state": "up" if m.up(now, self.lease) else "down",
                     "last_seen_ms": _diff(now, m.last) if m.last is not None else None,
                     "roles": list(m.r), "fit": list(m.f), "vote": m.w, "failed": dict(m.x)}
        return {"group": spec["group"], "version": self.version, "me": self.me,
                "leader": self.leader(),
                "term": self.term if self.leading else self._leader_term(),
                "members": ms, "roles": self.roles(), "held": list(self.held)}
