"""Simulated bus devices that answer a virtual board's I2C and SPI transfers.

An `I2CDevice` sees whole transactions: `write(data)` for a write, `read(n)` for a
read. `RegisterDevice` is the common case, a register map behind a pointer
register; chip models subclass it and override `on_read`/`on_write` (a
temperature sensor refreshes its reading in `on_read`, a display decodes commands
in `on_write`). Models are registered by name so a control client can attach them
by name; `CONTROL` names the methods a client may call on a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from .errors import HardwareRequestError

RegisterValue = bytes | bytearray | int


class I2CDevice:
    """A target on an I2C bus: acknowledges its address, answers transfers.

    While `present` is false (a chip unplugged) it is on the bus but does not answer:
    a scan leaves it out and a transfer gets no ACK."""

    CONTROL: ClassVar[tuple[str, ...]] = ()
    present: bool = True

    def write(self, data: bytes) -> None:
        """A write transaction: the bytes after the address byte."""

    def read(self, n: int) -> bytes:
        """A read transaction of n bytes."""
        return b"\xff" * n

    def snapshot(self) -> dict[int, bytes]:
        """Registers (or memory) as the host may inspect them."""
        return {}

    def control(self, method: str, args: list[Any]) -> Any:
        """Run one of the `CONTROL` methods for a control client."""
        if method not in self.CONTROL:
            raise HardwareRequestError(
                f"{type(self).__name__} has no control method {method!r}; "
                f"it offers {', '.join(self.CONTROL) or 'none'}"
            )
        return getattr(self, method)(*args)


class RegisterDevice(I2CDevice):
    """A register map behind a pointer register, like most sensors and EEPROMs.

    A write sets the pointer from its first `addr_size` bytes, then stores the rest
    into the registers from there. A read returns register bytes from the pointer.
    Registers may be wider than a byte (`width`, or give bytes values); with
    `auto_increment` the pointer moves to the next register once one is fully
    read or written, otherwise it stays. Writes to `read_only` registers are
    ignored, as on the chips. Unknown registers read as `fill`.
    """

    CONTROL: ClassVar[tuple[str, ...]] = ("set_registers",)

    def __init__(
        self,
        registers: Mapping[int, RegisterValue] | bytes | None = None,
        *,
        addr_size: int = 1,
        width: int = 1,
        auto_increment: bool = True,
        read_only: Iterable[int] = (),
        fill: int = 0x00,
    ) -> None:
        if addr_size not in (1, 2):
            raise HardwareRequestError(f"addr_size must be 1 or 2 bytes, not {addr_size}")
        if width < 1:
            raise HardwareRequestError(f"register width must be at least 1 byte, not {width}")
        self.addr_size = addr_size
        self.width = width
        self.auto_increment = auto_increment
        self.read_only = frozenset(read_only)
        self.fill = fill & 0xFF
        self.pointer = 0
        self.regs: dict[int, bytearray] = {}
        if isinstance(registers, bytes | bytearray):
            self.regs = {i: bytearray([b]) for i, b in enumerate(registers)}
        elif registers is not None:
            self.set_registers(registers)

    def _value(self, value: RegisterValue) -> bytearray:
        if isinstance(value, int):
            return bytearray(value.to_bytes(self.width, "big"))
        return bytearray(value)

    def set_registers(self, registers: Mapping[int, RegisterValue]) -> None:
        """Host-side update; ignores `read_only` (the chip itself changes those)."""
        for reg, value in registers.items():
            self.regs[int(reg)] = self._value(value)

    def register(self, reg: int) -> bytes:
        return bytes(self.regs.get(reg, bytearray([self.fill] * self.width)))

    def snapshot(self) -> dict[int, bytes]:
        return {reg: bytes(v) for reg, v in sorted(self.regs.items())}

    def on_read(self, reg: int) -> None:
        """Called before register `reg` is read; models refresh computed values here."""

    def on_write(self, reg: int, value: bytes) -> None:
        """Called after board code wrote `value` into register `reg`."""

    def write(self, data: bytes) -> None:
        if len(data) < self.addr_size:
            return  # an address probe, or a write too short to set the pointer
        self.pointer = int.from_bytes(data[: self.addr_size], "big")
        rest = data[self.addr_size :]
        while rest:
            reg = self.pointer
            old = self.regs.get(reg)
            size = len(old) if old is not None else self.width
            chunk, rest = rest[:size], rest[size:]
            if reg not in self.read_only:
                value = bytearray(chunk) + (old[len(chunk) :] if old else bytearray())
                self.regs[reg] = value
                self.on_write(reg, bytes(value))
            if self.auto_increment:
                self.pointer = (reg + 1) & ((1 << (8 * self.addr_size)) - 1)

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            reg = self.pointer
            self.on_read(reg)
            value = self.register(reg)
            out += value
            if self.auto_increment and len(out) <= n:
                self.pointer = (reg + 1) & ((1 << (8 * self.addr_size)) - 1)
        return bytes(out[:n])


class SPIDevice:
    """A device on an SPI bus, selected by its chip-select pin going low."""

    CONTROL: ClassVar[tuple[str, ...]] = ()

    def transfer(self, data: bytes) -> bytes:
        """Full duplex: the bytes on MISO while `data` is clocked out on MOSI."""
        return b"\xff" * len(data)

    def control(self, method: str, args: list[Any]) -> Any:
        if method not in self.CONTROL:
            raise HardwareRequestError(f"{type(self).__name__} has no control method {method!r}")
        return getattr(self, method)(*args)


class LoopbackSPI(SPIDevice):
    """MISO wired to MOSI."""

    def transfer(self, data: bytes) -> bytes:
        return bytes(data)


I2C_MODELS: dict[str, Callable[..., I2CDevice]] = {"regmap": RegisterDevice}
SPI_MODELS: dict[str, Callable[..., SPIDevice]] = {"loopback": LoopbackSPI}


def register_i2c_model(name: str, factory: Callable[..., I2CDevice]) -> None:
    """Make a chip model attachable by name from control clients."""
    I2C_MODELS[name] = factory


def register_spi_model(name: str, factory: Callable[..., SPIDevice]) -> None:
    SPI_MODELS[name] = factory


def make_i2c(model: str, params: Mapping[str, Any]) -> I2CDevice:
    if model not in I2C_MODELS:
        raise HardwareRequestError(
            f"unknown I2C device model {model!r}; known: {', '.join(sorted(I2C_MODELS))}"
        )
    try:
        return I2C_MODELS[model](**params)
    except TypeError as exc:
        raise HardwareRequestError(f"bad parameters for I2C model {model!r}: {exc}") from exc


def make_spi(model: str, params: Mapping[str, Any]) -> SPIDevice:
    if model not in SPI_MODELS:
        raise HardwareRequestError(
            f"unknown SPI device model {model!r}; known: {', '.join(sorted(SPI_MODELS))}"
        )
    try:
        return SPI_MODELS[model](**params)
    except TypeError as exc:
        raise HardwareRequestError(f"bad parameters for SPI model {model!r}: {exc}") from exc
