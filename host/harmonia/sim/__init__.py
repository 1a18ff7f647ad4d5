"""Simulated chips for virtual boards, at register level, enough for the real drivers.

Importing this package registers the models with the hardware hub by name, so a
control client attaches them like any device:

    from harmonia import sim
    room = sim.attach(hw, "mcp9808", bus=0, temperature=21.0)   # at its default 0x18
    room.set(temperature=23.5)          # what the chip measures from now on
    room.unplug(); room.plug()          # off the bus (no ACK), and back (powered up anew)

Models: `mcp9808` (temperature), `sht31d` (temperature, humidity, CRC-checked
words), `bme280` (temperature, humidity, pressure, with calibration data),
`ssd1306` (128x64 or 128x32 OLED: the host reads back what was drawn).
"""

from __future__ import annotations

from ..vboard.hw.devices import register_i2c_model
from .base import Pluggable
from .bme280 import BME280
from .handle import DEFAULT_ADDRESS, SimChip, attach
from .mcp9808 import MCP9808
from .sht31d import SHT31D
from .ssd1306 import SSD1306

MODELS = {"mcp9808": MCP9808, "sht31d": SHT31D, "bme280": BME280, "ssd1306": SSD1306}


def register_models() -> None:
    """Make the models attachable by name in this process's hardware hubs."""
    for name, model in MODELS.items():
        register_i2c_model(name, model)


register_models()

__all__ = ["BME280", "DEFAULT_ADDRESS", "MCP9808", "MODELS", "SHT31D", "SSD1306", "Pluggable",
           "SimChip", "attach", "register_models"]
