"""The host's handle on a simulated chip attached to a virtual board's I2C bus."""

from __future__ import annotations

from typing import Any

from ..vboard.hw.client import Bus, HardwareClient

DEFAULT_ADDRESS = {"mcp9808": 0x18, "sht31d": 0x44, "bme280": 0x77, "ssd1306": 0x3C}


class SimChip:
    """One chip on one bus: set what it measures, read what it shows, unplug it."""

    def __init__(self, hw: HardwareClient, bus: Bus, address: int, model: str) -> None:
        self.hw = hw
        self.bus = bus
        self.address = address
        self.model = model

    def call(self, method: str, *args: Any) -> Any:
        """A control method of the model (see its CONTROL)."""
        return self.hw.i2c_call(self.bus, self.address, method, *args)

    def set(self, **values: float) -> None:
        """Physical inputs, e.g. set(temperature=23.5, humidity=40)."""
        self.call("set", values)

    def get(self, name: str | None = None) -> Any:
        return self.call("get", name)

    def unplug(self) -> None:
        """The chip stops acknowledging its address, as if its wires were pulled."""
        self.call("unplug")

    def plug(self) -> None:
        """Wires back: the chip powers up with its registers at their reset values."""
        self.call("plug")

    def detach(self) -> None:
        """Remove the chip from the bus altogether."""
        self.hw.detach_i2c(self.bus, self.address)

    def __repr__(self) -> str:
        return f"SimChip({self.model} at 0x{self.address:02x} on I2C bus {self.bus!r})"


def attach(hw: HardwareClient, model: str, bus: Bus = 0, address: int | None = None,
           **params: Any) -> SimChip:
    """Put a simulated `model` chip on `bus` (at its usual address unless given);
    `params` are its initial values (temperature=..., width=...)."""
    if address is None:
        address = DEFAULT_ADDRESS.get(model, 0)
    hw.attach_i2c(bus, address, model=model, **params)
    return SimChip(hw, bus, address, model)
