"""What every simulated chip shares: it can be unplugged, and the host sets its values.

An unplugged chip does not acknowledge its address, so board code gets the
`OSError(ENODEV)` that `machine.I2C` raises on a board when nothing answers.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar

from ..vboard.hw.board import BoardError
from ..vboard.hw.errors import HardwareRequestError

COMMON_CONTROL = ("set", "get", "plug", "unplug", "plugged")


def no_ack() -> BoardError:
    """What a transfer to an absent device raises in board code."""
    return BoardError("OSError", "ENODEV", errno.ENODEV)


class Pluggable:
    """Host-side state of a simulated chip: plugged in or not, and its physical inputs.

    `VALUES` names the inputs the host may `set` (temperature, humidity, ...) with their
    allowed range; a model reads them from `self.values` when it measures."""

    VALUES: ClassVar[dict[str, tuple[float, float]]] = {}

    def _init_values(self, given: dict[str, Any]) -> None:
        self.present = True
        self.values: dict[str, float] = {}
        defaults = {name: getattr(self, "DEFAULTS", {}).get(name, 0.0) for name in self.VALUES}
        self.set({**defaults, **{k: v for k, v in given.items() if v is not None}})

    def set(self, values: dict[str, Any]) -> None:
        """Change physical inputs, e.g. {"temperature": 23.5}; the chip measures them next."""
        for name, value in values.items():
            if name not in self.VALUES:
                raise HardwareRequestError(
                    f"{type(self).__name__} measures {', '.join(self.VALUES)}, not {name!r}"
                )
            low, high = self.VALUES[name]
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise HardwareRequestError(f"{name} must be a number, not {value!r}")
            if not low <= value <= high:
                raise HardwareRequestError(
                    f"{type(self).__name__} {name} {value} is outside its range {low}..{high}"
                )
            self.values[name] = float(value)

    def get(self, name: str | None = None) -> Any:
        """One input's value, or all of them."""
        if name is None:
            return dict(self.values)
        if name not in self.values:
            raise HardwareRequestError(f"{type(self).__name__} has no value {name!r}")
        return self.values[name]

    def unplug(self) -> None:
        """Take the chip off the bus: it stops acknowledging its address."""
        self.present = False

    def plug(self) -> None:
        """Put the chip back: it powers up again, with its registers at their reset values."""
        if not self.present:
            self.power_on()
        self.present = True

    def power_on(self) -> None:
        """Registers to their power-on values (models override)."""

    def plugged(self) -> bool:
        return self.present

    def check_present(self) -> None:
        if not self.present:
            raise no_ack()
