"""The built-in services of every node (protocol.md 8.6), registered by `register(node)`:
`sys` (who this board is: name, firmware, uptime, free heap, services, reboot) and
`bus` (peers, counters, event subscriptions). Other services are modules beside this."""

import asyncio
import gc
import time


class SysService:
    def __init__(self, node):
        self._node = node

    def info(self):
        n = self._node
        return {
            "name": n.name,
            "id": n.id,
            "board": n.board,
            "version": n.version,
            "uptime_ms": n.uptime(),
            "free_heap": _free(),
            "services": [n.reg.by_id[k].name for k in n.reg.by_id],
            "open_mode": n.auth is None,
        }

    def services(self):
        return self._node.reg.describe()

    def reboot(self):
        """Reset the board after the answer has gone out."""
        asyncio.create_task(_reset_soon())
        return True


def _free():
    gc.collect()
    return gc.mem_free()


async def _reset_soon():
    await asyncio.sleep_ms(100)
    import machine

    machine.reset()


class BusService:
    def __init__(self, node):
        self._node = node

    def peers(self):
        n = self._node
        now = time.ticks_ms()
        return [n.peers[k].describe(now) for k in n.peers]

    def stats(self):
        return self._node.stats()

    def subscribe(self, topic):
        """Send topic's events to the caller until it unsubscribes, reboots or is lost."""
        n = self._node
        return n.ev.add(str(topic), n.caller, n.caller_nonce)

    def unsubscribe(self, topic):
        n = self._node
        n.ev.remove(str(topic), n.caller)
        return True


def register(node):
    node.register("sys", SysService(node), "1.0", ("info", "services", "reboot"))
    node.register("bus", BusService(node), "1.0",
                  ("peers", "stats", "subscribe", "unsubscribe"), ("join", "leave"))
