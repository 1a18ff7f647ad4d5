"""Role `sensing` of the fan: an MCP9808 temperature sensor on I2C as service `room`.

`room.read()` -> {"temperature": 23.5} measured now; `room.reading` is published
with the same map when the temperature moves by 0.25 °C or more (checked every
100 ms), and at least every 2 s so a new subscriber soon has a value.
"""

import asyncio

import machine

ADDRESS = 0x18  # MCP9808 with A0..A2 low
T_A = 0x05  # ambient temperature register
EVERY_MS = 100
CHANGE = 0.25
MAX_GAP_MS = 2000


def celsius(raw):
    """T_A register (13-bit two's complement in 1/16 °C, flags on top) in °C."""
    value = ((raw[0] << 8) | raw[1]) & 0x1FFF
    if value & 0x1000:
        value -= 0x2000
    return value / 16


class Room:
    def __init__(self, node, bus_id):
        self._node = node
        self._i2c = machine.I2C(bus_id)
        self._task = None

    def read(self):
        return {"temperature": celsius(self._i2c.readfrom_mem(ADDRESS, T_A, 2))}

    async def _run(self):
        last = None
        quiet = 0
        while True:
            try:
                value = self.read()
            except OSError:
                value = None
            if value is not None:
                t = value["temperature"]
                if last is None or abs(t - last) >= CHANGE or quiet >= MAX_GAP_MS:
                    self._node.publish("room.reading", value)
                    last = t
                    quiet = 0
            await asyncio.sleep_ms(EVERY_MS)
            quiet += EVERY_MS


_room = None


def register(node):
    global _room
    cfg = getattr(node, "cfg", None) or {}
    buses = cfg.get("i2c") or [{"id": 0}]
    _room = Room(node, buses[0].get("id", 0))
    node.register("room", _room, "1.0", ("read",), ("reading",))
    _room._task = asyncio.create_task(_room._run())


def unregister(node):
    if _room is not None and _room._task is not None:
        _room._task.cancel()
