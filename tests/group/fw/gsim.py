"""A simulated group for the agent's own code (hm.group), on the MicroPython unix port.

    micropython gsim.py SEED SECONDS [FROM_MS TO_MS]   (MICROPYPATH: firmware, .frozen)

N agents on fake nodes share a fake clock and a network that delays (0-40 ms, now and
then 150 ms), drops (5 %) and reorders heartbeats, cuts random subsets of members off
and heals them, crashes members and restarts them (new boot nonce, nothing held), and
freezes members for up to 150 ms (frames wait for them). After every 10 ms tick it
checks that no exclusive role runs on two members; at the end, after a quiet spell, that
every role runs on exactly one member. Prints one JSON line: the counts and violations.
"""

import json
import random
import sys

import hm.group.agent as agentmod
from hm.bus.registry import Registry
from hm.group.agent import Agent

NAMES = ["m0", "m1", "m2", "m3", "m4"]
ROLES = {"x": {"services": ["simx"]}, "y": {"services": ["simy"]},
         "z": {"services": ["simz"]}, "w": {"services": ["simw"], "exclusive": False}}
SPEC = {"group": "sim", "version": 1, "members": NAMES, "roles": ROLES,
        "heartbeat_ms": 200, "lease_ms": 1000}
TICK = 10

clock = [1000]
agentmod._ticks = lambda: clock[0]


class _Role:
    """A role module: register() offers one service named like the module."""

    def __init__(self, name):
        self.name = name

    def register(self, node):
        node.register(self.name, self, "1.0", ())


for _r in ROLES:
    sys.modules[ROLES[_r]["services"][0]] = _Role(ROLES[_r]["services"][0])


class _Ev:
    def __init__(self):
        self.subs = {}


class _Peer:
    def __init__(self, pid):
        self.id = pid


def _copy(v):
    if type(v) is dict:
        return {k: _copy(v[k]) for k in v}
    if type(v) in (list, tuple):
        return [_copy(x) for x in v]
    return v


class Net:
    def __init__(self):
        self.queue = []  # [due, src id, dst id, payload]
        self.cut = set()  # names cut off from the rest
        self.sent = 0
        self.dropped = 0

    def link(self, a, b):
        return (a in self.cut) == (b in self.cut)


class FakeNode:
    def __init__(self, name, pid, net, ids):
        self.name = name
        self.id = pid
        self.nonce = random.getrandbits(30)
        self.board = "sim"
        self.group = ""
        self.reg = Registry()
        self.ev = _Ev()
        self.drops = {"oversize": 0}
        self._net = net
        self._ids = ids
        self._seq = 0

    def log(self, msg):
        pass

    def register(self, name, obj, version="1.0", methods=None, events=(), shapes=None):
        return self.reg.register(name, obj, version, methods, events, shapes)

    def unregister(self, name):
        self.reg.unregister(name)

    def subscribe(self, topic, cb, node=None):
        pass

    def unsubscribe(self, topic, cb=None):
        pass

    def publish(self, topic, value=None):
        return 0

    def peer(self, name):
        pid = self._ids.get(name)
        return _Peer(pid) if pid else None

    def next_seq(self):
        self._seq += 1
        return self._seq

    def send(self, typ, dst, svc, mth, seq, value, flags=0):
        net = self._net
        net.sent += 1
        if random.random() < 0.05:
            net.dropped += 1
            return True
        delay = random.randint(0, 40) if random.random() < 0.95 else 150
        net.queue.append([clock[0] + delay, self.id, dst, _copy(value)])
        return True


def trace(*a):
    """Events between the ms given as arguments 3 and 4, for looking into a seed."""
    if len(sys.argv) > 4 and int(sys.argv[3]) <= clock[0] <= int(sys.argv[4]):
        print(clock[0], *a)


def run(seed, seconds):
    random.seed(seed)
    net = Net()
    ids = {n: 0x1000 + i * 7919 for i, n in enumerate(NAMES)}
    by_id = {ids[n]: n for n in NAMES}
    agents = {}
    frozen = {}  # name -> tick it wakes
    down = {}  # name -> tick it restarts

    def boot(n):
        ag = Agent(FakeNode(n, ids[n], net, ids), {"i2c": []})
        ag.apply(SPEC, False)
        agents[n] = ag
        ag.next = clock[0]

    for n in NAMES:
        boot(n)
    end = clock[0] + seconds * 1000
    quiet = end - 6000  # the last 6 s: no faults, for the liveness check
    violations = []
    stats = {"cuts": 0, "crashes": 0, "freezes": 0, "moves": 0}
    holders = {}
    while clock[0] < end:
        now = clock[0]
        if now < quiet:
            r = random.random()
            if r < 0.002:  # about every 5 s: a new cut (a minority or a majority)
                k = random.randint(1, len(NAMES) - 1)
                pool = list(NAMES)
                cut = set()
                while len(cut) < k:
                    cut.add(pool.pop(random.randint(0, len(pool) - 1)))
                net.cut = cut if random.random() < 0.7 else set()
                stats["cuts"] += 1
                trace("CUT", sorted(net.cut))
            elif r < 0.0027:
                n = random.choice(NAMES)
                if n not in down:
                    del agents[n]
                    down[n] = now + random.randint(300, 3000)
                    stats["crashes"] += 1
                    trace("CRASH", n, "until", down[n])
            elif r < 0.006:
                n = random.choice(NAMES)
                if n in agents and n not in frozen:
                    frozen[n] = now + random.randint(20, 150)
                    stats["freezes"] += 1
                    trace("FREEZE", n, "until", frozen[n])
        elif net.cut:
            net.cut = set()
        for n in [n for n in down if down[n] <= now]:
            del down[n]
            boot(n)
            trace("BOOT", n)
        for n in [n for n in frozen if frozen[n] <= now]:
            del frozen[n]
        due = [m for m in net.queue if m[0] <= now]
        net.queue = [m for m in net.queue if m[0] > now]
        for m in due:
            src, dst = by_id[m[1]], by_id[m[2]]
            if dst in frozen:
                m[0] = frozen[dst]
                net.queue.append(m)
                continue
            ag = agents.get(dst)
            if ag is not None and net.link(src, dst):
                ag.on_hb("group.hb", m[3], m[1])
        for n in agents:
            ag = agents[n]
            if n in frozen:
                continue
            if ag._kick.is_set() or now >= ag.next:
                ag._kick.clear()
                ag.step()
                ag.next = now + 50
        for r in ROLES:
            have = [n for n in agents if r in agents[n].held]
            if ROLES[r].get("exclusive", True) and len(have) > 1:
                violations.append([now, r, have])
            if have and holders.get(r) != have:
                stats["moves"] += 1
                holders[r] = have
                trace("HOLD", r, have)
        clock[0] += TICK
    final = {r: [n for n in agents if r in agents[n].held] for r in ROLES}
    live = all(len(final[r]) == 1 for r in ROLES)
    print(json.dumps({"seed": seed, "violations": violations[:5], "nviolations": len(violations),
                      "final": final, "live": live, "stats": stats, "sent": net.sent,
                      "dropped": net.dropped}))


run(int(sys.argv[1]), int(sys.argv[2]))
