"""Board side of tools/bench_bus: a user service that times calls and events from the board."""

import asyncio
import gc
import time
from array import array


class Bench:
    def __init__(self, node):
        self._n = node
        cfg = getattr(node, "cfg", None) or {}
        self._expect = cfg.get("expect", 0)
        self._known = None
        self._left = {}
        self._got = 0
        self._t0 = self._t1 = 0
        self._peak = 0
        self._watch = None
        node.subscribe("bus.join", self._join, node.id)
        node.subscribe("bus.leave", self._leave, node.id)

    def _join(self, topic, value, src):
        if self._known is None and len(self._n.peers) >= self._expect:
            self._known = time.ticks_ms()

    def _leave(self, topic, value, src):
        self._left[value["name"]] = time.ticks_ms()

    def nop(self, x):
        return x

    def status(self):
        return {"known_at": self._known, "left": self._left, "peers": len(self._n.peers),
                "started": self._n.started}

    async def rtt(self, node, n):
        """n sequential calls of bench.nop on node; [p50, p99, max, mean] in us (10 us bins)."""
        call = self._n.call
        bins = array("I", bytes(4 * 1001))  # 10 us each; the last one holds >= 10 ms
        worst = total = 0
        for i in range(n):
            t = time.ticks_us()
            await call(node, "bench.nop", (i,), 2000)
            us = time.ticks_diff(time.ticks_us(), t)
            bins[us // 10 if us < 10000 else 1000] += 1
            total += us
            worst = us if us > worst else worst
        return [_pct(bins, n, 50), _pct(bins, n, 99), worst, total // n]

    async def load(self, node, n, conc):
        """n calls of bench.nop on node, conc of them in flight; returns n."""
        left = [n]

        async def worker():
            call = self._n.call
            while left[0] > 0:
                left[0] -= 1
                await call(node, "bench.nop", (1,), 2000)

        await asyncio.gather(*[worker() for _ in range(conc)])
        return n

    async def rate(self, node, ms, conc):
        """Calls completed per second with conc callers in flight for ms."""
        done = [0]
        end = time.ticks_add(time.ticks_ms(), ms)

        async def worker():
            call = self._n.call
            while time.ticks_diff(end, time.ticks_ms()) > 0:
                await call(node, "bench.nop", (1,), 2000)
                done[0] += 1

        t = time.ticks_ms()
        await asyncio.gather(*[worker() for _ in range(conc)])
        return done[0] * 1000 // time.ticks_diff(time.ticks_ms(), t)

    def follow(self, node):
        self._n.subscribe("bench.ev", self._ev, node)
        return True

    def _ev(self, topic, value, src):
        t = time.ticks_us()
        if not self._got:
            self._t0 = t
        self._t1 = t
        self._got += 1

    def got(self):
        return self._got

    def got_rate(self):
        """Events received per second, first to last arrival."""
        us = time.ticks_diff(self._t1, self._t0)
        return (self._got - 1) * 1000000 // us if us > 0 else 0

    async def blast(self, n, burst):
        """Publish n events, yielding to the loop every burst; returns the ms it took."""
        pub = self._n.publish
        t = time.ticks_ms()
        for i in range(n):
            pub("bench.ev", i)
            if i % burst == burst - 1:
                await asyncio.sleep_ms(0)
        return time.ticks_diff(time.ticks_ms(), t)

    def heap(self):
        """[live bytes after a collection, free bytes, peak live bytes sampled]."""
        gc.collect()
        a = gc.mem_alloc()
        if a > self._peak:
            self._peak = a
        return [a, gc.mem_free(), self._peak]

    def watch(self, every):
        """Sample the live heap every `every` ms from now on, until peak() is asked."""
        self._peak = 0
        if self._watch is None:
            self._watch = asyncio.create_task(self._sampling(every))
        return True

    async def _sampling(self, every):
        while True:
            self.heap()
            await asyncio.sleep_ms(every)

    def peak(self):
        """Stop watching; the peak live heap seen."""
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self.heap()
        return self._peak

    def modules(self):
        """The modules loaded, by name."""
        import sys

        return sorted(sys.modules)


def _pct(bins, n, p):
    want = (n * p + 99) // 100
    seen = 0
    for i in range(len(bins)):
        seen += bins[i]
        if seen >= want:
            return i * 10 + 5
    return len(bins) * 10


def register(node):
    node.register("bench", Bench(node), "1.0",
                  ("nop", "status", "rtt", "load", "rate", "follow", "got", "got_rate", "blast",
                   "heap", "watch", "peak", "modules"),
                  ("ev",))
