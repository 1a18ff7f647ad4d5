"""Sensirion SHT31-D humidity and temperature sensor (I2C, 0x44/0x45), at command level.

The chip has no registers: board code writes 16-bit commands and reads answers,
each 16-bit word followed by its CRC-8 (polynomial 0x31, init 0xFF). Single-shot
commands measure at once; periodic mode measures on each fetch (0xE000). A read with
no answer pending is not acknowledged, as on the chip. Status bit 13 is the heater,
bit 4 "reset seen", bit 1 "last command not understood".
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..vboard.hw.devices import I2CDevice
from .base import COMMON_CONTROL, Pluggable, no_ack

SINGLE = frozenset({0x2400, 0x240B, 0x2416, 0x2C06, 0x2C0D, 0x2C10})
PERIODIC = frozenset({0x2032, 0x2024, 0x202F, 0x2130, 0x2126, 0x212D, 0x2236, 0x2220,
                      0x222B, 0x2334, 0x2322, 0x2329, 0x2737, 0x2721, 0x272A, 0x2B32})
FETCH, BREAK, SOFT_RESET = 0xE000, 0x3093, 0x30A2
HEATER_ON, HEATER_OFF = 0x306D, 0x3066
READ_STATUS, CLEAR_STATUS, READ_SERIAL = 0xF32D, 0x3041, 0x3780
STATUS_HEATER, STATUS_RESET, STATUS_CMD = 0x2000, 0x0010, 0x0002


def crc8(data: bytes) -> int:
    """Sensirion's CRC-8: polynomial x^8 + x^5 + x^4 + 1, initial value 0xFF."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def words(*values: int) -> bytes:
    """16-bit words as the chip sends them, each followed by its CRC."""
    out = bytearray()
    for value in values:
        word = (value & 0xFFFF).to_bytes(2, "big")
        out += word + bytes([crc8(word)])
    return bytes(out)


class SHT31D(I2CDevice, Pluggable):
    CONTROL: ClassVar[tuple[str, ...]] = (*COMMON_CONTROL, "status", "mode")
    VALUES: ClassVar[dict[str, tuple[float, float]]] = {
        "temperature": (-40.0, 125.0), "humidity": (0.0, 100.0)}
    DEFAULTS: ClassVar[dict[str, float]] = {"temperature": 20.0, "humidity": 50.0}

    def __init__(self, temperature: float | None = None, humidity: float | None = None,
                 serial: int = 0x1234ABCD, **_: Any) -> None:
        self.serial = serial & 0xFFFFFFFF
        self.power_on()
        self._init_values({"temperature": temperature, "humidity": humidity})

    def power_on(self) -> None:
        self.periodic = False
        self.reg_status = STATUS_RESET | 0x8000  # alert pending and reset seen, as at power-up
        self.pending = b""

    def status(self) -> int:
        return self.reg_status

    def mode(self) -> str:
        return "periodic" if self.periodic else "single"

    def measurement(self) -> bytes:
        t = self.values["temperature"]
        rh = self.values["humidity"]
        st = round((t + 45.0) * 65535.0 / 175.0)
        srh = round(rh * 65535.0 / 100.0)
        return words(max(0, min(0xFFFF, st)), max(0, min(0xFFFF, srh)))

    def write(self, data: bytes) -> None:
        self.check_present()
        if len(data) < 2:
            return  # an address probe
        command = int.from_bytes(data[:2], "big")
        self.reg_status &= ~STATUS_CMD
        if command in SINGLE and not self.periodic:
            self.pending = self.measurement()
        elif command in PERIODIC:
            self.periodic = True
        elif command == FETCH and self.periodic:
            self.pending = self.measurement()
        elif command == BREAK:
            self.periodic = False
        elif command == SOFT_RESET and not self.periodic:
            self.power_on()
            self.reg_status = STATUS_RESET
        elif command == HEATER_ON:
            self.reg_status |= STATUS_HEATER
        elif command == HEATER_OFF:
            self.reg_status &= ~STATUS_HEATER
        elif command == CLEAR_STATUS:
            self.reg_status &= ~(0x8000 | 0x0800 | 0x0400 | STATUS_RESET)
        elif command == READ_STATUS:
            self.pending = words(self.reg_status)
        elif command == READ_SERIAL:
            self.pending = words(self.serial >> 16, self.serial)
        else:
            self.reg_status |= STATUS_CMD

    def read(self, n: int) -> bytes:
        self.check_present()
        if not self.pending:
            raise no_ack()  # nothing to say: the chip NACKs the read header
        out, self.pending = self.pending, b""
        return out[:n].ljust(n, b"\xff")
