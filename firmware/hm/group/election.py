"""Who leads: each member votes, a member with a majority of fresh votes leads.

The leader only proposes the assignment; exclusive roles stay safe through a
partition because a holder also needs a majority of members to acknowledge it
(`roles.py`), so two leaders for a moment cost a little churn, never a duplicate.
Votes are sticky: a member keeps voting for a live leader, so a returning member
(whatever its id) follows the current leader instead of taking over.
"""

import time

_diff = time.ticks_diff


class Member:
    """Another member as this one last heard it (its latest heartbeat)."""

    def __init__(self, name):
        self.name = name
        self._clear()

    def _clear(self):
        self.id = 0
        self.nonce = None
        self.last = None  # ticks when its latest heartbeat arrived
        self.seq = -1
        self.v = 0  # its spec version
        self.h = 0  # how many members it hears, itself included
        self.w = None  # its vote
        self.l = False  # it leads
        self.t = 0  # its term
        self.r = ()  # roles it runs
        self.c = ()  # exclusive roles it claims (asks acknowledgements for)
        self.f = ()  # roles it can take
        self.x = {}  # roles it failed to start: error text
        self.a = {}  # its acknowledgements: role -> holder
        self.p = None  # its proposal, when it leads
        self.e = -1  # the last of our heartbeat seqs it had received

    def reset(self, nonce):
        """It rebooted: nothing it said before counts."""
        self._clear()
        self.nonce = nonce

    def up(self, now, lease):
        return self.last is not None and _diff(now, self.last) < lease


def heard(ag, now):
    """Members heard within the lease, this one included."""
    n = 1
    for k in ag.members:
        if ag.members[k].up(now, ag.lease):
            n += 1
    return n


def _ok(ag, m, now):
    """m is live and hears a majority (whatever its spec version: a new version spreads
    within a heartbeat and must not cost an election)."""
    return m.up(now, ag.lease) and m.h >= ag.maj


def _claimer(ag, now):
    """The live member that says it leads (highest term, then lowest id), or None."""
    best = None
    for k in ag.members:
        m = ag.members[k]
        if m.l and m.w == m.name and _ok(ag, m, now) and (
            best is None or m.t > best.t or (m.t == best.t and m.id < best.id)
        ):
            best = m
    return best


def _lowest(ag, now, my_h, standing_only=False):
    """The lowest-id member that hears a majority (this one included), or None."""
    best = ag.me if my_h >= ag.maj else None
    best_id = ag.node.id
    for k in ag.members:
        m = ag.members[k]
        if _ok(ag, m, now) and m.id < best_id and (not standing_only or m.w == m.name):
            best = m.name
            best_id = m.id
    if standing_only and best == ag.me:
        return None
    return best


def choose(ag, now, my_h):
    """This member's vote now."""
    me = ag.me
    p = ag.vote
    c = _claimer(ag, now)
    if p == me:
        if ag.leading:
            return me
        if c is not None:
            return c.name
        # stand while nobody lower stands, and at most two leases without winning
        if my_h >= ag.maj and _lowest(ag, now, my_h, True) is None and (
            _diff(now, ag.stood) < 2 * ag.lease or _lowest(ag, now, my_h) == me
        ):
            return me
    elif p is not None:
        m = ag.members.get(p)
        if c is not None:
            return c.name
        if m is not None and _ok(ag, m, now) and m.w in (None, p):
            return p  # still a candidate (or about to become one)
    elif c is not None:
        return c.name
    return _lowest(ag, now, my_h)


def leads(ag, now):
    """Whether a majority (this member included) votes for this member."""
    if ag.vote != ag.me:
        return False
    n = 1
    for k in ag.members:
        m = ag.members[k]
        if m.w == ag.me and m.up(now, ag.lease):
            n += 1
    return n >= ag.maj
