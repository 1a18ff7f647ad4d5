"""Bosch BME280 humidity, pressure and temperature sensor (I2C, 0x76/0x77), at register level.

The chip reports raw ADC counts; a driver turns them into units with the per-chip
trimming coefficients it reads from 0x88..0xA1 and 0xE1..0xE7. The model keeps a set
of coefficients (the datasheet's example values unless given) and, for the values
the host sets, finds the raw counts whose compensated result is nearest, using the
datasheet's compensation formulas. So a driver reads back what the host set, to the
chip's resolution, and only through the calibration path a real chip needs.

Registers: 0xD0 chip id 0x60, 0xE0 reset (write 0xB6), 0xF2 ctrl_hum (takes effect at
the next ctrl_meas write), 0xF3 status, 0xF4 ctrl_meas (mode bits 1..0: sleep 00,
forced 01/10, normal 11; oversampling 0 skips a measurement, which then reads
0x80000 / 0x8000), 0xF5 config, 0xF7..0xFE data (press, temp, hum). Forced mode
measures once and returns to sleep; normal mode measures at the start of each read.
Writes are (register, value) pairs, as on the chip.
"""

from __future__ import annotations

import struct
from dataclasses import astuple, dataclass
from typing import Any, ClassVar

from ..vboard.hw.devices import RegisterDevice
from .base import COMMON_CONTROL, Pluggable

CHIP_ID, RESET, CTRL_HUM, STATUS, CTRL_MEAS, CONFIG = 0xD0, 0xE0, 0xF2, 0xF3, 0xF4, 0xF5
PRESS, TEMP, HUM = 0xF7, 0xFA, 0xFD
SKIPPED_20, SKIPPED_16 = 0x80000, 0x8000


@dataclass(frozen=True)
class Calibration:
    """Trimming coefficients (names as in the datasheet, dig_T1 ... dig_H6)."""

    t1: int = 27504
    t2: int = 26435
    t3: int = -1000
    p1: int = 36477
    p2: int = -10685
    p3: int = 3024
    p4: int = 2855
    p5: int = 140
    p6: int = -7
    p7: int = 15500
    p8: int = -14600
    p9: int = 6000
    h1: int = 75
    h2: int = 362
    h3: int = 0
    h4: int = 313
    h5: int = 50
    h6: int = 30

    def registers(self) -> dict[int, bytes]:
        """The coefficients as the chip stores them, by start register."""
        c = astuple(self)
        block1 = struct.pack("<HhhHhhhhhhhh", *c[:12])
        h4, h5 = self.h4 & 0xFFF, self.h5 & 0xFFF
        block2 = struct.pack("<hB", self.h2, self.h3) + bytes(
            [h4 >> 4, (h4 & 0x0F) | ((h5 & 0x0F) << 4), h5 >> 4, self.h6 & 0xFF])
        regs = {0x88 + i: bytes([b]) for i, b in enumerate(block1)}
        regs[0xA1] = bytes([self.h1])
        regs.update({0xE1 + i: bytes([b]) for i, b in enumerate(block2)})
        return regs

    # ---- the datasheet's floating-point compensation (section 4.2.3 / 8.1)

    def t_fine(self, adc_t: int) -> float:
        var1 = (adc_t / 16384.0 - self.t1 / 1024.0) * self.t2
        var2 = (adc_t / 131072.0 - self.t1 / 8192.0) ** 2 * self.t3
        return var1 + var2

    def temperature(self, adc_t: int) -> float:
        return self.t_fine(adc_t) / 5120.0

    def pressure(self, adc_p: int, t_fine: float) -> float:
        """In Pa."""
        var1 = t_fine / 2.0 - 64000.0
        var2 = var1 * var1 * self.p6 / 32768.0
        var2 = var2 + var1 * self.p5 * 2.0
        var2 = var2 / 4.0 + self.p4 * 65536.0
        var1 = (self.p3 * var1 * var1 / 524288.0 + self.p2 * var1) / 524288.0
        var1 = (1.0 + var1 / 32768.0) * self.p1
        if var1 == 0:
            return 0.0
        p = 1048576.0 - adc_p
        p = (p - var2 / 4096.0) * 6250.0 / var1
        var1 = self.p9 * p * p / 2147483648.0
        var2 = p * self.p8 / 32768.0
        return p + (var1 + var2 + self.p7) / 16.0

    def humidity(self, adc_h: int, t_fine: float) -> float:
        """In %RH, before clamping to 0..100."""
        h = t_fine - 76800.0
        h = (adc_h - (self.h4 * 64.0 + self.h5 / 16384.0 * h)) * (
            self.h2 / 65536.0 * (1.0 + self.h6 / 67108864.0 * h * (1.0 + self.h3 / 67108864.0 * h))
        )
        return h * (1.0 - self.h1 * h / 524288.0)


def nearest(f: Any, target: float, bits: int) -> int:
    """The raw count in 0..2**bits-1 whose f(count) is nearest to target (f monotonic)."""
    lo, hi = 0, (1 << bits) - 1
    rising = f(hi) > f(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (f(mid) < target) == rising:
            lo = mid
        else:
            hi = mid
    return lo if abs(f(lo) - target) <= abs(f(hi) - target) else hi


class BME280(RegisterDevice, Pluggable):
    CONTROL: ClassVar[tuple[str, ...]] = (*COMMON_CONTROL, "raw", "set_registers")
    VALUES: ClassVar[dict[str, tuple[float, float]]] = {
        "temperature": (-40.0, 85.0), "humidity": (0.0, 100.0), "pressure": (300.0, 1100.0)}
    DEFAULTS: ClassVar[dict[str, float]] = {
        "temperature": 20.0, "humidity": 50.0, "pressure": 1013.25}

    def __init__(self, temperature: float | None = None, humidity: float | None = None,
                 pressure: float | None = None, calibration: dict[str, int] | None = None,
                 **_: Any) -> None:
        super().__init__(read_only=(CHIP_ID, STATUS, *range(0x88, 0xA2), *range(0xE1, 0xE8),
                                    *range(PRESS, HUM + 2)))
        self.cal = Calibration(**(calibration or {}))
        self.power_on()
        self._init_values({"temperature": temperature, "humidity": humidity,
                           "pressure": pressure})

    def power_on(self) -> None:
        self.regs = {}
        self.set_registers({CHIP_ID: 0x60, CTRL_HUM: 0, STATUS: 0, CTRL_MEAS: 0, CONFIG: 0})
        self.set_registers(self.cal.registers())
        self._store(SKIPPED_20, SKIPPED_20, SKIPPED_16)
        self.osrs_h = 0  # ctrl_hum as latched by the last ctrl_meas write

    def raw(self) -> dict[str, int]:
        """The raw counts the data registers hold (adc_T, adc_P, adc_H)."""
        d = b"".join(self.register(r) for r in range(PRESS, HUM + 2))
        return {"pressure": int.from_bytes(d[0:3], "big") >> 4,
                "temperature": int.from_bytes(d[3:6], "big") >> 4,
                "humidity": int.from_bytes(d[6:8], "big")}

    def _store(self, adc_p: int, adc_t: int, adc_h: int) -> None:
        data = (adc_p << 4).to_bytes(3, "big") + (adc_t << 4).to_bytes(3, "big") + \
            adc_h.to_bytes(2, "big")
        for i, b in enumerate(data):
            self.regs[PRESS + i] = bytearray([b])

    def measure(self) -> None:
        """One conversion of what the host set, per the oversampling settings."""
        meas = self.register(CTRL_MEAS)[0]
        cal = self.cal
        adc_t = nearest(cal.temperature, self.values["temperature"], 20)
        t_fine = float(int(cal.t_fine(adc_t)))  # as drivers truncate it
        adc_p = nearest(lambda a: cal.pressure(a, t_fine), self.values["pressure"] * 100.0, 20)
        adc_h = nearest(lambda a: cal.humidity(a, t_fine), self.values["humidity"], 16)
        self._store(adc_p if meas >> 2 & 7 else SKIPPED_20, adc_t if meas >> 5 else SKIPPED_20,
                    adc_h if self.osrs_h else SKIPPED_16)

    def write(self, data: bytes) -> None:
        self.check_present()
        for i in range(0, len(data) - 1, 2):  # (register, value) pairs
            reg, value = data[i], data[i + 1]
            if reg == RESET:
                if value == 0xB6:
                    self.power_on()
                continue
            super().write(bytes([reg, value]))
            if reg == CTRL_MEAS:
                self.osrs_h = self.register(CTRL_HUM)[0] & 7
                if value & 3 in (1, 2):  # forced: one conversion, then back to sleep
                    self.measure()
                    self.regs[CTRL_MEAS] = bytearray([value & 0xFC])
        if len(data) % 2:
            self.pointer = data[-1]  # a lone register byte sets the read pointer

    def read(self, n: int) -> bytes:
        self.check_present()
        if self.register(CTRL_MEAS)[0] & 3 == 3 and PRESS <= self.pointer <= HUM + 1:
            self.measure()  # normal mode: the data shadow holds the latest conversion
        return super().read(n)
