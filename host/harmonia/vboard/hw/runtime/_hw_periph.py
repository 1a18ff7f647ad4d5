# mypy: ignore-errors
# ADC, PWM, Timer, WDT, RTC of the virtual `machine`, loaded on first use (machine.py).
import time

import _hw
from _hw import pin_id
from micropython import const


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
