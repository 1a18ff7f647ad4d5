# mypy: ignore-errors
# `machine` for a Harmonia virtual board: MicroPython's API, backed by the
# board's hardware hub (see _hw.py and docs/vboard-hw.md). Constants follow the
# esp32 port; code written for a board runs here unchanged.
import sys
import time

import _hw
import umachine
from _hw_bus import I2C, SPI, UART, SoftI2C, SoftSPI  # noqa: F401  (re-exported)
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


class ADC:
    ATTN_0DB = const(0)
    ATTN_2_5DB = const(1)
    ATTN_6DB = const(2)
    ATTN_11DB = const(3)
    WIDTH_9BIT = const(9)
    WIDTH_10BIT = const(10)
    WIDTH_11BIT = const(11)
    WIDTH_12BIT = const(12)

    def __init__(self, pin, *, atten=None):
        self._id = pin_id(pin)
        self._bits = 12

    def init(self, *, atten=None):
        pass

    def atten(self, atten):
        pass

    def width(self, bits):
        self._bits = bits

    def read_u16(self):
        return _hw.call("adc", {"p": self._id})

    def read(self):
        return self.read_u16() >> (16 - self._bits)

    def read_uv(self):
        return self.read_u16() * 3300000 // 65535


class PWM:
    def __init__(self, dest, *, freq=5000, duty_u16=32768, duty_ns=None, invert=False):
        self._id = pin_id(dest)
        self._freq = 5000
        self._duty = 32768
        self._invert = False
        self.init(freq=freq, duty_u16=duty_u16, duty_ns=duty_ns, invert=invert)

    def init(self, *, freq=None, duty_u16=None, duty_ns=None, invert=None):
        if freq is not None:
            if freq <= 0:
                raise ValueError("frequency must be positive")
            self._freq = freq
        if duty_ns is not None:
            duty_u16 = min(65535, duty_ns * self._freq * 65535 // 1000000000)
        if duty_u16 is not None:
            if not 0 <= duty_u16 <= 65535:
                raise ValueError("duty must be 0..65535")
            self._duty = duty_u16
        if invert is not None:
            self._invert = bool(invert)
        self._send(True)

    def _send(self, active):
        _hw.call(
            "pwm",
            {"p": self._id, "f": self._freq, "d": self._duty, "x": self._invert, "on": active},
        )

    def deinit(self):
        self._send(False)

    def freq(self, value=None):
        if value is None:
            return self._freq
        self.init(freq=value)

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self.init(duty_u16=value)

    def duty_ns(self, value=None):
        if value is None:
            return self._duty * 1000000000 // (self._freq * 65535)
        self.init(duty_ns=value)

    def duty(self, value=None):  # esp32's 10-bit form
        if value is None:
            return self._duty >> 6
        self.init(duty_u16=min(65535, value << 6))


class Timer:
    ONE_SHOT = const(0)
    PERIODIC = const(1)

    def __init__(self, id=-1, *args, **kwargs):
        self._id = id
        self._cb = None
        self._period = 0
        self._due = 0
        if args or kwargs:
            self.init(*args, **kwargs)

    def init(self, *, mode=PERIODIC, freq=-1, period=-1, callback=None, tick_hz=1000):
        if freq > 0:
            ms = 1000 / freq
        elif period >= 0:
            ms = period * 1000 / tick_hz
        else:
            raise ValueError("give period or freq")
        ms = max(1, int(ms))
        _hw.remove_timer(self)
        self._cb = callback
        self._period = ms if mode == Timer.PERIODIC else 0
        self._due = time.ticks_add(time.ticks_ms(), ms)
        _hw.add_timer(self)

    def deinit(self):
        _hw.remove_timer(self)

    def __repr__(self):
        return "Timer(" + str(self._id) + ")"


class WDT:
    def __init__(self, id=0, timeout=5000):
        _hw.set_wdt(max(1, timeout))

    def feed(self):
        _hw.feed_wdt()


class RTC:
    _offset = 0  # seconds between the board's clock and the host's

    def __init__(self, id=0):
        pass

    def datetime(self, dt=None):
        if dt is None:
            t = time.localtime(time.time() + RTC._offset)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        secs = time.mktime((dt[0], dt[1], dt[2], dt[4], dt[5], dt[6], 0, 0))
        RTC._offset = secs - time.time()

    def init(self, dt):
        self.datetime(dt)


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


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    start = time.ticks_us()
    while pin.value() != pulse_level:
        if time.ticks_diff(time.ticks_us(), start) > timeout_us:
            return -2
    t0 = time.ticks_us()
    while pin.value() == pulse_level:
        if time.ticks_diff(time.ticks_us(), t0) > timeout_us:
            return -1
    return time.ticks_diff(time.ticks_us(), t0)
