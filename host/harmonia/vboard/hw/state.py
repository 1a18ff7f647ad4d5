"""What the host can see of a virtual board's pins and peripherals.

Board code drives a pin (`out` in mode "out", or low in "open_drain"); the host
drives it from outside (`ext`, None when it lets go). The level is, in order:
the board's drive, the host's drive, the pull resistor, else 0 (a floating input
reads 0). A pin both sides drive reads the board's value; `PinState` shows both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

IRQ_RISING = 1
IRQ_FALLING = 2
PIN_MODES = ("in", "out", "open_drain")
PULLS = ("up", "down")


def irq_names(mask: int) -> tuple[str, ...]:
    edges = ((IRQ_RISING, "rising"), (IRQ_FALLING, "falling"))
    return tuple(name for bit, name in edges if mask & bit)


@dataclass(frozen=True)
class PinState:
    pin: int
    mode: str | None  # None until board code sets it; "in", "out", "open_drain"
    pull: str | None  # "up", "down" or None
    level: int  # what the wire carries
    out: int  # the value board code last drove
    ext: int | None  # the value the host drives, None when it does not
    irq: tuple[str, ...]  # edges board code armed an IRQ handler for


@dataclass(frozen=True)
class PwmState:
    pin: int
    freq: int
    duty_u16: int
    invert: bool
    active: bool


@dataclass(frozen=True)
class UartState:
    uart: int
    open: bool  # board code holds the port open
    baudrate: int
    bits: int
    parity: int | None
    stop: int


@dataclass(frozen=True)
class WlanState:
    active: bool
    connected: bool
    ssid: str | None
    status: int
    addr: str | None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkStats:
    """Bytes through a UART link, per direction ("a>b" is from the hub that made it)."""

    sent: dict[str, int]
    dropped: dict[str, int]
    corrupted: dict[str, int]


def to_json(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = asdict(obj)
    return out


@dataclass
class Pin:
    """A pin as the hub keeps it."""

    mode: str | None = None
    pull: str | None = None
    out: int = 0
    ext: int | None = None
    irq: int = 0

    def level(self) -> int:
        if self.mode == "out" or (self.mode == "open_drain" and self.out == 0):
            return self.out
        if self.ext is not None:
            return self.ext
        return 1 if self.pull == "up" else 0

    def power_on(self) -> None:
        """Forget what board code set (a reset); what the host drives stays."""
        self.mode = None
        self.pull = None
        self.out = 0
        self.irq = 0

    def state(self, pin: int) -> PinState:
        return PinState(
            pin, self.mode, self.pull, self.level(), self.out, self.ext, irq_names(self.irq)
        )
