# A user service the CLI tests put on a virtual board's flash: it logs, echoes, fails,
# dawdles and publishes, as a maker's own service would. Config keys (in /hm.json):
# "tick_ms" publishes `chat.tick` (a counter) that often, "log_ticks" also logs each one.
import asyncio

from hm.services.log import log


class Chat:
    def __init__(self, node):
        self._node = node

    def say(self, text):
        log(text)
        return True

    def spam(self, n, width):
        for i in range(n):
            log("line " + str(i) + " " + "x" * width)
        return n

    def echo(self, *args):
        return list(args)

    def fail(self):
        raise ValueError("bad input 42")

    async def slow(self, ms):
        await asyncio.sleep_ms(ms)
        return "done"

    def emit(self, value):
        return self._node.publish("chat.tick", value)


async def _ticker(node, ms, logged):
    n = 0
    while True:
        await asyncio.sleep_ms(ms)
        n += 1
        node.publish("chat.tick", n)
        if logged:
            log("tick", n)


def register(node):
    methods = ("say", "spam", "echo", "fail", "slow", "emit")
    node.register("chat", Chat(node), "1.0", methods, ("tick",))
    cfg = getattr(node, "cfg", None) or {}
    if cfg.get("tick_ms"):
        asyncio.create_task(_ticker(node, cfg["tick_ms"], cfg.get("log_ticks", False)))
    log("chat ready")
