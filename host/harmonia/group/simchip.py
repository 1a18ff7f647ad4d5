"""Simulated chips on virtual members: attach one, set what it measures.

A hub knows the `harmonia.sim` models by name only when its process imported them;
a board supervisor's hub may not have. Then the chip goes on the bus as a plain register
map, and this module runs the model here to compute the registers the board reads
(`set` updates them), so the board sees the same bytes either way.
"""

from __future__ import annotations

from typing import Any

from ..sim import MODELS
from ..vboard.hw.client import HardwareClient
from ..vboard.hw.devices import RegisterDevice
from ..vboard.hw.errors import HardwareRequestError
from .errors import GroupError
from .manifest import Device


def _local(device: Device, values: dict[str, Any]) -> RegisterDevice:
    model = MODELS[device.model](**values)
    if not isinstance(model, RegisterDevice):
        raise GroupError(
            f"the virtual board's hub does not know the {device.model} model, and it is not "
            "a register map the host can stand in for"
        )
    return model


def _registers(model: RegisterDevice) -> dict[int, bytes]:
    for reg in list(model.regs):
        model.on_read(reg)
    return {reg: bytes(value) for reg, value in model.regs.items()}


def attach_device(hw: HardwareClient, device: Device) -> None:
    try:
        hw.attach_i2c(device.bus, device.address, model=device.model, **device.params)
        return
    except HardwareRequestError as exc:
        if "unknown I2C device model" not in str(exc):
            raise
    model = _local(device, dict(device.params))
    hw.attach_i2c(device.bus, device.address, _registers(model), width=model.width,
                  auto_increment=model.auto_increment, read_only=sorted(model.read_only))


def set_values(hw: HardwareClient, device: Device, **values: float) -> None:
    """What the chip measures from now on, e.g. set_values(hw, dev, temperature=31.0)."""
    try:
        hw.i2c_call(device.bus, device.address, "set", values)
        return
    except HardwareRequestError as exc:
        if "offers" not in str(exc) and "no control" not in str(exc):
            raise
    model = _local(device, {})
    model.set_registers(hw.i2c_registers(device.bus, device.address))  # what the board set
    model.set(values)  # type: ignore[attr-defined]
    hw.set_i2c_registers(device.bus, device.address, _registers(model))
