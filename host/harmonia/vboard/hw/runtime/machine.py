# mypy: ignore-errors
# `machine` for a Harmonia virtual board: MicroPython's API, backed by the
# board's hardware hub (see _hw.py and docs/vboard-hw.md). Constants follow the
# esp32 port; code written for a board runs here unchanged.
import sys
import time

import _hw
import umachine
from micropython import const

# What the unix port's own machine module has, kept as it is.
PinBase = umachine.PinBase
Signal = umachine.Signal
mem8 = umachine.mem8
mem16 = umachine.mem16
mem32 = umachine.mem32
soft_reset = umachine.soft_reset

PWRON_RESET = const(1)
HARD_RESET = const(2)
WDT_RESET = const(3)
DEEPSLEEP_RESET = const(4)
SOFT_RESET = const(5)

_MODES = {1: "in", 3: "out", 7: "open_drain"}
_PULLS = {None: None, 1: "down", 2: "up"}


pin_id = _hw.pin_id


class Pin(umachine.PinBase):
    IN = const(1)
    OUT = const(3)
    OPEN_DRAIN = const(7)
    PULL_UP = const(2)
    PULL_DOWN = const(1)
    IRQ_RISING = const(1)
    IRQ_FALLING = const(2)
    DRIVE_0 = const(0)
    DRIVE_1 = const(1)
    DRIVE_2 = const(2)
    DRIVE_3 = const(3)

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=-1, hold=None):
        self._id = pin_id(id)
        if mode != -1 or pull != -1 or value is not None:
            self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=-1, hold=None):
        args = {"p": self._id}
        if mode != -1:
            if mode not in _MODES:
                raise ValueError("invalid pin mode")
            args["mode"] = _MODES[mode]
        if pull != -1:
            if pull not in _PULLS:
                raise ValueError("invalid pull")
            args["pull"] = _PULLS[pull]
        if value is not None:
            args["v"] = 1 if value else 0
        lv, seq, mode_now = _hw.call("pin_init", args)
        _hw.wrote.pop(self._id, None)
        if value is not None and mode_now in ("out", "open_drain"):
            _hw.wrote[self._id] = args["v"]
        if _hw.update(self._id, lv, seq):
            _hw.schedule()

    def value(self, v=None):
        if v is None:
            return _hw.level(self._id)
        v = 1 if v else 0
        if _hw.wrote.get(self._id) == v:
            return None
        lv, seq, mode_now = _hw.call("pin_write", {"p": self._id, "v": v})
        if mode_now in ("out", "open_drain"):
            _hw.wrote[self._id] = v
        if _hw.update(self._id, lv, seq):
            _hw.schedule()
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(1 - self.value())

    def mode(self, mode=None):
        if mode is not None:
            return self.init(mode)
        m = _hw.call("pin_get", {"p": self._id})[0]
        for k in _MODES:
            if _MODES[k] == m:
                return k
        return None

    def pull(self, pull=-1):
        if pull != -1:
            return self.init(pull=pull)
        p = _hw.call("pin_get", {"p": self._id})[1]
        for k in _PULLS:
            if _PULLS[k] == p:
                return k
        return None

    def irq(self, handler=None, trigger=3, *, priority=1, wake=None, hard=False):
        trigger = trigger if handler is not None else 0
        _hw.set_irq(self._id, (trigger, handler, self) if handler is not None else None)
        _hw.call("pin_irq", {"p": self._id, "t": trigger})
        return _PinIRQ(self, trigger)

    def __repr__(self):
        return "Pin(" + str(self._id) + ")"


class _PinIRQ:
    def __init__(self, pin, trigger):
        self._trigger = trigger

    def trigger(self):
        return self._trigger

    def flags(self):
        return self._trigger


def unique_id():
    return bytes(_hw.info["uid"])


def freq(hz=None):
    if hz is None:
        return _hw.call("freq")
    _hw.call("freq", {"hz": hz})


def _restart(cause):
    # From a callback the process cannot end itself (the scheduler swallows SystemExit):
    # the hub ends it then. Otherwise it exits with the hard-reset code.
    if _hw.call("reset", {"cause": cause, "irq": _hw.in_irq}) != "exit":
        for _ in range(1000):  # the host restarts or ends this process; wait for it
            time.sleep_ms(10)
    boot = sys.modules.get("_vrepl")  # the board's REPL runtime, when it runs us
    if boot is not None:
        boot.hard_reset()
    raise SystemExit(_hw.info["reset_exit"])


def reset():
    """A hard reset: this process ends and the host starts a new one (docs/vboard-hw.md)."""
    _restart(HARD_RESET)


def reset_cause():
    return _hw.info["cause"]


def bootloader():
    reset()


def idle():
    time.sleep_ms(1)  # like a core waiting for its next tick; pending IRQs run


def lightsleep(ms=None):
    if ms is None:
        while True:
            time.sleep_ms(1000)
    time.sleep_ms(ms)


def deepsleep(ms=None):
    if ms is not None:
        time.sleep_ms(ms)
    _restart(DEEPSLEEP_RESET)


def disable_irq():
    return _hw.mask(True)


def enable_irq(state=False):
    _hw.mask(state)


_LAZY = {
    "I2C": "_hw_bus", "SoftI2C": "_hw_bus", "SPI": "_hw_bus", "SoftSPI": "_hw_bus",
    "UART": "_hw_bus", "ADC": "_hw_periph", "PWM": "_hw_periph", "Timer": "_hw_periph",
    "WDT": "_hw_periph", "RTC": "_hw_periph", "time_pulse_us": "_hw_periph",
}


def __getattr__(name):
    # Peripherals load on first use: code that never opens one keeps their heap.
    if name not in _LAZY:
        raise AttributeError(name)
    value = getattr(__import__(_LAZY[name]), name)
    globals()[name] = value
    return value
