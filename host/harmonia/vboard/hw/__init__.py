"""Simulated hardware of a virtual board: the hub, its control client, bus devices.

The supervisor of a board runs a `HardwareHub`; the MicroPython child imports the
`machine` and `network` modules from `runtime_dir()`; tests and the CLI drive pins
and peripherals with a `HardwareClient`. See docs/vboard-hw.md.
"""

from .client import HardwareClient, UartLink, link_uarts
from .devices import (
    I2CDevice,
    LoopbackSPI,
    RegisterDevice,
    SPIDevice,
    register_i2c_model,
    register_spi_model,
)
from .errors import HardwareError, HardwareRequestError, HardwareTimeoutError, HubNotRunningError
from .hub import KICK_SIGNAL, RESET_EXIT_CODE, RUNTIME_DIR, RUNTIME_HEAP, HardwareHub
from .state import LinkStats, PinState, PwmState, UartState, WlanState
from .uart import Impairment

__all__ = [
    "KICK_SIGNAL",
    "RESET_EXIT_CODE",
    "RUNTIME_DIR",
    "RUNTIME_HEAP",
    "HardwareClient",
    "HardwareError",
    "HardwareHub",
    "HardwareRequestError",
    "HardwareTimeoutError",
    "HubNotRunningError",
    "I2CDevice",
    "Impairment",
    "LinkStats",
    "LoopbackSPI",
    "PinState",
    "PwmState",
    "RegisterDevice",
    "SPIDevice",
    "UartLink",
    "UartState",
    "WlanState",
    "link_uarts",
    "register_i2c_model",
    "register_spi_model",
]
