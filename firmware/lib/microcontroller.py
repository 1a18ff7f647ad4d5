"""CircuitPython's `microcontroller` over MicroPython's `machine`: pins, cpu, delay, reset.

A `Pin` names what `machine.Pin()` takes on this port (a number, or a name like "LED");
`board` makes one per named pin and `busio`/`digitalio` open them through `machine`.
"""

import time

import machine


class Pin:
    """A pin of this board; `id` is what `machine.Pin(id)` takes."""

    def __init__(self, pin_id):
        self.id = pin_id

    def __eq__(self, other):
        return isinstance(other, Pin) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return "microcontroller.Pin(" + repr(self.id) + ")"


def pin_id(pin):
    """The `machine.Pin` id of a `Pin`, or of a plain id (int or port name)."""
    return pin.id if isinstance(pin, Pin) else pin


class _Processor:
    @property
    def frequency(self):
        return machine.freq()

    @property
    def uid(self):
        return bytearray(machine.unique_id())

    @property
    def temperature(self):
        return None  # no portable on-chip sensor

    @property
    def voltage(self):
        return None

    @property
    def reset_reason(self):
        return machine.reset_cause()


cpu = _Processor()
cpus = (cpu,)


def delay_us(delay):
    time.sleep_us(delay)


def reset():
    machine.reset()


def on_next_reset(run_mode):
    pass  # boot modes (safe mode, bootloader) belong to CircuitPython's own firmware
