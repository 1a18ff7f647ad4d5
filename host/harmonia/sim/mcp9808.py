"""Microchip MCP9808 digital temperature sensor (I2C, 0x18..0x1F), at register level.

16-bit registers behind a pointer (no auto-increment): 0x01 CONFIG, 0x02..0x04 the
upper, lower and critical limits, 0x05 T_A (13-bit two's complement in 1/16 °C with
the three alert flags on top), 0x06 manufacturer id 0x0054, 0x07 device id/revision
0x0400, 0x08 resolution (one byte). T_A follows the host's temperature at the set
resolution; in shutdown (CONFIG bit 8) it holds the last conversion.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..vboard.hw.devices import RegisterDevice
from .base import COMMON_CONTROL, Pluggable

CONFIG, UPPER, LOWER, CRIT, TA, MANUFACTURER, DEVICE, RESOLUTION = range(1, 9)
SHUTDOWN = 0x0100


def limit_value(reg: bytes) -> float:
    """A limit register (11-bit two's complement in 1/4 °C, bits 12..2) in °C."""
    raw = int.from_bytes(reg, "big") & 0x1FFC
    return (raw - 0x2000 if raw & 0x1000 else raw) / 16.0


class MCP9808(RegisterDevice, Pluggable):
    CONTROL: ClassVar[tuple[str, ...]] = (*COMMON_CONTROL, "set_temperature", "set_registers")
    VALUES: ClassVar[dict[str, tuple[float, float]]] = {"temperature": (-40.0, 125.0)}
    DEFAULTS: ClassVar[dict[str, float]] = {"temperature": 20.0}

    def __init__(self, temperature: float | None = None, **_: Any) -> None:
        super().__init__(width=2, auto_increment=False, read_only=(TA, MANUFACTURER, DEVICE))
        self.power_on()
        self._init_values({"temperature": temperature})
        self._convert()

    def power_on(self) -> None:
        self.set_registers({CONFIG: 0, UPPER: 0, LOWER: 0, CRIT: 0, TA: 0,
                            MANUFACTURER: 0x0054, DEVICE: 0x0400, RESOLUTION: b"\x03"})
        self.pointer = TA

    def set_temperature(self, celsius: float) -> None:
        self.set({"temperature": celsius})

    def _convert(self) -> None:
        """One conversion: T_A from the temperature at the set resolution, with flags."""
        if int.from_bytes(self.register(CONFIG), "big") & SHUTDOWN:
            return
        t = self.values["temperature"]
        step = 1 << (3 - (self.register(RESOLUTION)[0] & 3))  # in 1/16 °C: 8, 4, 2 or 1
        raw = int(round(t * 16 / step)) * step & 0x1FFF
        flags = 0
        if t >= limit_value(self.register(CRIT)):
            flags |= 0x8000
        if t > limit_value(self.register(UPPER)):
            flags |= 0x4000
        if t < limit_value(self.register(LOWER)):
            flags |= 0x2000
        self.regs[TA] = bytearray((flags | raw).to_bytes(2, "big"))

    def on_read(self, reg: int) -> None:
        if reg == TA:
            self._convert()

    def write(self, data: bytes) -> None:
        self.check_present()
        super().write(data)

    def read(self, n: int) -> bytes:
        self.check_present()
        return super().read(n)
