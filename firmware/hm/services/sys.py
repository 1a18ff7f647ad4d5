"""`sys` (protocol.md 8.6): board, firmware version, uptime, free heap, services, reboot."""

import asyncio
import gc


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
            "open_mode": n.auth.key is None,
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


def register(node):
    node.register("sys", SysService(node), "1.0", ("info", "services", "reboot"))
