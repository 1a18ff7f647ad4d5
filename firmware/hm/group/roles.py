"""Roles: the leader's proposal, every member's acknowledgements, and running a role.

The leader proposes `role -> member`. Each member acknowledges one holder per
exclusive role in its heartbeats, and moves its acknowledgement from holder P to
another only when P has let go: P says it neither runs nor claims the role, or P
has been silent for a lease and a margin. A member runs an exclusive role while
a majority (itself included) acknowledges it, counting an acknowledgement only
for a lease after this member sent the heartbeat it echoes, and only when it
echoes a heartbeat sent after this member last let go of the role. So two
members can never count a majority for one role at the same time, whoever leads.
"""

import sys
import time

_diff = time.ticks_diff


def alive(ag, name, now):
    if name == ag.me:
        return True
    m = ag.members.get(name)
    return m is not None and m.v == ag.version and m.up(now, ag.lease)


def _fit(ag, name):
    if name == ag.me:
        return ag.fit
    return ag.members[name].f


def _failed(ag, name):
    if name == ag.me:
        return ag.failed
    return ag.members[name].x


def _runs(ag, name):
    if name == ag.me:
        return ag.held
    return ag.members[name].r


def propose(ag, now):
    """The leader's assignment: keep live fitting holders, fill the rest."""
    spec = ag.spec
    old = ag.assign
    out = {}
    load: dict = {}
    if _diff(now, ag.since) < ag.lease:
        for k in ag.members:
            m = ag.members[k]
            if m.last is None or (m.v < ag.version and m.up(now, ag.lease)):
                # a member not heard yet, or still on the old spec (it fetches this one
                # within a heartbeat): wait for it, a lease at most, so that it can be
                # given what it is preferred for
                return {r: old.get(r) for r in spec["order"]}
    names = [ag.me] + [k for k in ag.members if alive(ag, k, now)]
    for r in spec["order"]:
        h = old.get(r)
        if h is None:  # adopt a member that already runs it (a new leader, a healed split)
            for n in names:
                if r in _runs(ag, n):
                    h = n
                    break
        if h is not None and h in names and r in _fit(ag, h) and r not in _failed(ag, h):
            out[r] = h
            load[h] = load.get(h, 0) + 1
            continue
        prefer = spec["roles"][r]["prefer"]
        best = None
        key = None
        for n in names:
            if r not in _fit(ag, n) or r in _failed(ag, n) or n == h:
                continue
            k = (prefer.index(n) if n in prefer else len(prefer), load.get(n, 0), n)
            if key is None or k < key:
                best = n
                key = k
        out[r] = best
        if best is not None:
            load[best] = load.get(best, 0) + 1
    return out


def released(ag, p, r, now):
    """Whether member p has surely let go of exclusive role r."""
    if p == ag.me:
        return r not in ag.held
    m = ag.members.get(p) or ag.gone.get(p)
    if m is None or m.last is None:
        return True  # unknown, or silent since before our boot hold-off ended
    if _diff(now, m.last) >= ag.lease + ag.margin:
        return True
    return r not in m.r and r not in m.c


def update_acks(ag, now):
    """Follow the assignment with this member's acknowledgements; True if one changed."""
    changed = False
    booting = _diff(now, ag.booted) < ag.lease + ag.margin
    roles = ag.spec["roles"]
    for r in ag.spec["order"]:
        want = ag.assign.get(r)
        cur = ag.acks.get(r)
        if not roles[r]["exclusive"]:
            ag.acks[r] = want
            continue
        if cur == want:
            continue
        p = ag.prev.get(r)
        if want is not None and not booting and (p is None or p == want or released(ag, p, r, now)):
            ag.acks[r] = want
            ag.prev[r] = want
        else:
            ag.acks[r] = None  # withdrawing is always safe
        changed = changed or ag.acks[r] != cur
    return changed


def support(ag, r, now):
    """How many members (this one included) acknowledge this member for exclusive role r."""
    if ag.acks.get(r) != ag.me:
        return 0
    n = 1
    take = ag.take.get(r, 0)
    for k in ag.members:
        m = ag.members[k]
        if m.a.get(r) != ag.me or m.e < take:  # (any spec version: a rollout must not stop it)
            continue
        t = ag.sent_at(m.e)
        if t is not None and _diff(now, t) < ag.lease:
            n += 1
    return n


def wanted(ag, now):
    """The roles this member should run now."""
    out = []
    roles = ag.spec["roles"]
    for r in ag.spec["order"]:
        if r in ag.failed:
            continue
        if roles[r]["exclusive"]:
            if support(ag, r, now) >= ag.maj:
                out.append(r)
        elif ag.assign.get(r) == ag.me:
            out.append(r)
    return out


# ---------------------------------------------------------------- running a role here


def _module(name):
    m = __import__(name)
    for part in name.split(".")[1:]:
        m = getattr(m, part)
    return m


def start(ag, r):
    """Import the role's modules and register their services; False (and `failed`) on error."""
    node = ag.node
    mods = ag.spec["roles"][r]["services"]
    before = set(node.reg.by_id)
    run = {"mods": list(mods), "svcs": [], "ok": False}
    ag.held[r] = run
    try:
        for name in mods:
            _module(name).register(node)
    except Exception as e:  # a broken module: report it, let the leader move the role
        run["svcs"] = [node.reg.by_id[k].name for k in node.reg.by_id if k not in before]
        stop(ag, r)
        ag.failed[r] = type(e).__name__ + ": " + str(e)
        node.log("hm.group: cannot start role " + r + ": " + ag.failed[r])
        return False
    run["svcs"] = [node.reg.by_id[k].name for k in node.reg.by_id if k not in before]
    run["ok"] = True
    ag.note(r, True)
    return True


def stop(ag, r):
    """Stop the role's modules and unregister their services. Their subscribers are kept:
    the bus sends nothing for an unregistered service, and a reload that registers the
    same services again (same digest, so nobody re-subscribes) must find them."""
    run = ag.held.pop(r, None)
    if run is None:
        return
    node = ag.node
    for name in run["mods"]:
        m = sys.modules.get(name)
        f = getattr(m, "unregister", None) if m is not None else None
        if f is not None:
            try:
                f(node)
            except Exception as e:
                node.log("hm.group: " + name + ".unregister failed: " + repr(e))
    for s in run["svcs"]:
        node.unregister(s)
    if run["ok"]:
        ag.note(r, False)


def forget_modules(names):
    """Drop modules (and their packages' children) so the next import reads them anew."""
    for name in names:
        for k in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[k]
