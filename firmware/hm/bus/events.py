# ruff: noqa: SIM105  (MicroPython has no contextlib)
"""Events across nodes (protocol.md 8.5): publishing to subscribers, subscribing to peers.

A subscriber calls each peer's `bus.subscribe(topic)` and calls it again when
the peer joins again, reboots (new boot nonce) or changes its services (digest),
also a peer behind a bridge (whose beacons carry the digests and nonces of the
nodes they reach), so subscriptions come back after either side restarts, and a
subscription refused because the service was not there yet is made once it is,
without the application doing anything. A publisher keeps subscribers in a
bounded table, also while the topic's service is unregistered (it sends nothing
then; a service registered again has them back), and drops a node's
subscriptions when it is lost or reboots.
"""

import asyncio

from hm.codec.frame import T_EVENT, ident

from .errors import BusError
from .rpc import CORO


def _service(topic):
    dot = topic.rfind(".")
    return topic[:dot] if dot > 0 else None


class Events:
    def __init__(self, node, max_subs=64):
        self.node = node
        self.max_subs = max_subs
        self.subs = {}  # our topic -> {subscriber id: its nonce}
        self.wanted = {}  # topic we follow -> [[callback, node id or name or None], ...]
        self.by_ids = {}  # svc id -> {mth id: topic} of the topics we follow
        self.tids = {}  # topic -> (svc id, mth id)
        self.confirmed = {}  # peer id -> [topics asked there since it (re)joined]
        self._sync = {}  # peer id -> True while subscribing there
        self._ver = 0  # bumped by every subscribe, so a running sync sees new topics
        self.refused = 0  # bus.subscribe calls answered False here (no such service yet)

    def count(self):
        return sum(len(self.subs[t]) for t in self.subs)

    def subscribers(self, topic):
        """Ids of the nodes subscribed to our topic (a new list)."""
        d = self.subs.get(topic)
        return list(d) if d else []

    def _wants(self, w, pid):
        """Whether subscription w takes events from node pid (matched by id or name)."""
        x = w[1]
        if x is None or x == pid:
            return True
        if type(x) is str:
            p = self.node.peers.get(pid)
            return p is not None and p.name == x
        return False

    def _ids(self, topic):
        t = self.tids.get(topic)
        if t is None:
            s = _service(topic)
            if s is None:
                raise BusError("name the topic 'service.event', e.g. 'bus.join'")
            t = self.tids[topic] = (ident(s), ident(topic[len(s) + 1 :]))
        return t

    # ------------------------------------------------------------------ publisher side

    def add(self, topic, src, nonce):
        """bus.subscribe from src: False when no local service publishes topic."""
        s = _service(topic)
        if s is None or self.node.reg.get(s) is None:
            self.refused += 1
            return False
        d = self.subs.get(topic)
        if d is None:
            d = self.subs[topic] = {}
        if src not in d and self.count() >= self.max_subs:
            return False
        d[src] = nonce
        return True

    def remove(self, topic, src):
        d = self.subs.get(topic)
        if d is not None:
            d.pop(src, None)

    def drop(self, src, keep_nonce=None):
        """Forget src's subscriptions (all, or those made before its nonce keep_nonce)."""
        for t in self.subs:
            d = self.subs[t]
            if src in d and (keep_nonce is None or d[src] != keep_nonce):
                del d[src]

    def publish(self, topic, value):
        n = self.node
        sent = 0
        if topic in self.wanted:
            self._deliver(topic, value, n.id)
        d = self.subs.get(topic)
        if d:
            svc, mth = self._ids(topic)
            if svc not in n.reg.by_id:  # unregistered (a task left running): its subscribers
                return sent  # stay, for when the service is registered again
            for dst in d:
                try:
                    if n.send(T_EVENT, dst, svc, mth, n.next_seq(), value):
                        sent += 1
                except ValueError:  # the codec's errors: the value has no wire form / too big
                    n.drops["oversize"] += 1
                    return sent
        return sent

    # ------------------------------------------------------------------ subscriber side

    def subscribe(self, topic, cb, node=None):
        n = self.node
        if node == n.name:
            node = n.id
        svc, mth = self._ids(topic)
        ws = self.wanted.get(topic)
        if ws is None:
            ws = self.wanted[topic] = []
            m = self.by_ids.get(svc)
            if m is None:
                m = self.by_ids[svc] = {}
            m[mth] = topic
        w = [cb, node]  # a name is matched against the peers' names as they come and go
        ws.append(w)
        self._ver += 1
        for k in n.peers:
            if self._wants(w, k):
                self.refresh(n.peers[k])

    def unsubscribe(self, topic, cb=None):
        ws = self.wanted.get(topic)
        if ws is None:
            return
        ws[:] = [w for w in ws if cb is not None and w[0] is not cb]
        if ws:
            return
        del self.wanted[topic]
        svc, mth = self._ids(topic)
        self.by_ids.get(svc, {}).pop(mth, None)
        for pid in self.confirmed:
            if topic in self.confirmed[pid]:
                self.confirmed[pid].remove(topic)
                asyncio.create_task(self._quiet(pid, "bus.unsubscribe", topic))

    def on_event(self, src, svc, mth, value):
        m = self.by_ids.get(svc)
        topic = m.get(mth) if m is not None else None
        if topic is None:
            self.node.drops["unsubscribed"] += 1
            return
        self._deliver(topic, value, src)

    def _deliver(self, topic, value, src):
        for w in self.wanted.get(topic, ()):
            if w[1] is None or self._wants(w, src):
                try:
                    r = w[0](topic, value, src)
                    if type(r) is CORO:
                        asyncio.create_task(r)
                except Exception as e:  # one bad callback must not stop the others
                    self.node.log("hm.bus: event callback for " + topic + " failed: " + repr(e))

    # ------------------------------------------------------------------ peers coming and going

    def refresh(self, p, reset=False):
        """(Re)subscribe at peer p to every topic we follow from it."""
        if reset:
            self.confirmed.pop(p.id, None)
        self._ver += 1  # a sync running there looks at every topic again
        if not self.wanted or p.id in self._sync:
            return
        self._sync[p.id] = True
        asyncio.create_task(self._subscribe_at(p.id))

    def gone(self, p):
        self.confirmed.pop(p.id, None)
        self.drop(p.id)

    async def _subscribe_at(self, pid):
        n = self.node
        try:
            ver = -1
            while ver != self._ver:
                ver = self._ver
                for topic in list(self.wanted):
                    if pid not in n.peers:
                        return
                    asked = self.confirmed.setdefault(pid, [])
                    if topic in asked:
                        continue
                    if not any(self._wants(w, pid) for w in self.wanted.get(topic, ())):
                        continue
                    for _ in range(3):
                        try:
                            await n.call(pid, "bus.subscribe", (topic,), 1500)
                        except BusError:
                            await asyncio.sleep_ms(100)
                            continue
                        # asked, accepted or not: asked again when the peer's services change.
                        # Unless they changed while we asked (refresh replaced the list): the
                        # answer may predate the change, and the loop runs again for it.
                        if pid in self.confirmed and self.confirmed[pid] is asked:
                            asked.append(topic)
                        break
        finally:
            self._sync.pop(pid, None)

    async def _quiet(self, pid, method, topic):
        try:
            await self.node.call(pid, method, (topic,), 1500)
        except BusError:
            pass
