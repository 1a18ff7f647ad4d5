"""CircuitPython's `busio` (I2C, SPI, UART) over MicroPython's `machine`.

A bus on the pins of one of the board's hardware buses (its profile's `i2c`/`spi`/
`uart` tables, from `_boardpins`) opens that peripheral; I2C and SPI on other pins
fall back to `machine.SoftI2C`/`SoftSPI`. Buffers slice with `start`/`end` through
memoryviews, so drivers that pass big buffers allocate nothing per transfer.
Transfers raise what `machine` raises: OSError when a device does not answer.
"""

import machine
from microcontroller import pin_id

try:
    import _boardpins as _bp  # type: ignore[import-not-found]
except ImportError:  # no pin table deployed: every bus is a soft one
    _bp = None

_locks: dict = {}  # bus key -> [held]; buses on the same pins share their lock


def _table(name):
    if _bp is None:
        return ()
    return getattr(_bp, name, None) or ()


def _hw_id(name, pins):
    """The id of the board's hardware bus `name` on exactly these pins, or None."""
    for entry in _table(name):
        if tuple(entry[1:]) == pins:
            return entry[0]
    return None


def _view(buf, start, end):
    if start == 0 and (end is None or end == len(buf)):
        return buf
    return memoryview(buf)[start : len(buf) if end is None else end]


class _Lockable:
    _lock: list

    def deinit(self):
        pass

    def _init_lock(self, key):
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = [False]
        self._lock = lock

    def try_lock(self):
        if self._lock[0]:
            return False
        self._lock[0] = True
        return True

    def unlock(self):
        self._lock[0] = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()


class I2C(_Lockable):
    """busio.I2C(scl, sda, *, frequency=100000, timeout=255)."""

    _i2c: "machine.I2C | machine.SoftI2C | None"

    def __init__(self, scl, sda, *, frequency=100000, timeout=255):
        s, d = pin_id(scl), pin_id(sda)
        self._init_lock(("i2c", s, d))
        bus = _hw_id("I2C", (s, d))
        if bus is None:
            self._i2c = machine.SoftI2C(scl=machine.Pin(s), sda=machine.Pin(d), freq=frequency)
        else:
            try:
                self._i2c = machine.I2C(bus, scl=machine.Pin(s), sda=machine.Pin(d), freq=frequency)
            except TypeError:  # a port whose hardware buses have fixed pins
                self._i2c = machine.I2C(bus, freq=frequency)

    def deinit(self):
        i2c = self._i2c
        self._i2c = None
        self.unlock()
        if i2c is not None and hasattr(i2c, "deinit"):
            i2c.deinit()

    def _bus(self):
        if self._i2c is None:
            raise ValueError("Object has been deinitialized and can no longer be used.")
        return self._i2c

    def scan(self):
        return self._bus().scan()

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        buf = _view(buffer, start, end)
        if len(buf):
            self._bus().readfrom_into(address, buf)

    def writeto(self, address, buffer, *, start=0, end=None):
        self._bus().writeto(address, _view(buffer, start, end))

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        """A write, then a repeated start and a read (no stop between them)."""
        bus = self._bus()
        bus.writeto(address, _view(out_buffer, out_start, out_end), False)
        buf = _view(in_buffer, in_start, in_end)
        if len(buf):
            bus.readfrom_into(address, buf)


class SPI(_Lockable):
    """busio.SPI(clock, MOSI=None, MISO=None, half_duplex=False)."""

    _spi: "machine.SPI | machine.SoftSPI | None"

    def __init__(self, clock, MOSI=None, MISO=None, half_duplex=False):  # noqa: N803
        pins = (pin_id(clock), pin_id(MOSI), pin_id(MISO))
        self._init_lock(("spi",) + pins)
        self._cfg = None
        self._baud = 100000
        bus = _hw_id("SPI", pins)
        if bus is not None:
            self._spi = machine.SPI(bus)
        elif MOSI is None or MISO is None:
            raise ValueError("busio.SPI: a software SPI needs clock, MOSI and MISO pins")
        else:
            self._spi = machine.SoftSPI(
                sck=machine.Pin(pins[0]), mosi=machine.Pin(pins[1]), miso=machine.Pin(pins[2])
            )

    def deinit(self):
        spi = self._spi
        self._spi = None
        self.unlock()
        if spi is not None:
            spi.deinit()

    def _bus(self):
        if self._spi is None:
            raise ValueError("Object has been deinitialized and can no longer be used.")
        return self._spi

    def configure(self, *, baudrate=100000, polarity=0, phase=0, bits=8):
        cfg = (baudrate, polarity, phase, bits)
        if cfg != self._cfg:  # drivers configure before every transaction
            self._bus().init(baudrate=baudrate, polarity=polarity, phase=phase, bits=bits)
            self._cfg = cfg
            self._baud = baudrate

    @property
    def frequency(self):
        return self._baud

    def write(self, buffer, *, start=0, end=None):
        self._bus().write(_view(buffer, start, end))

    def readinto(self, buffer, *, start=0, end=None, write_value=0):
        buf = _view(buffer, start, end)
        if len(buf):
            self._bus().readinto(buf, write_value)

    def write_readinto(self, out_buffer, in_buffer, *, out_start=0, out_end=None,
                       in_start=0, in_end=None):
        out = _view(out_buffer, out_start, out_end)
        buf = _view(in_buffer, in_start, in_end)
        if len(out) != len(buf):
            raise ValueError("buffer slices must be of equal length")
        self._bus().write_readinto(out, buf)


class UART:
    """busio.UART(tx=None, rx=None, *, baudrate=9600, bits=8, parity=None, stop=1,
    timeout=1 (seconds), receiver_buffer_size=64)."""

    _uart: "machine.UART | None"

    class Parity:
        ODD = 1
        EVEN = 0

    def __init__(self, tx=None, rx=None, *, baudrate=9600, bits=8, parity=None, stop=1,
                 timeout=1, receiver_buffer_size=64):
        t, r = pin_id(tx), pin_id(rx)
        table = _table("UART")
        bus = _hw_id("UART", (t, r))
        if bus is None and not table:
            raise ValueError("busio.UART: this board's profile names no UART")
        kw = {"bits": bits, "parity": parity, "stop": stop, "timeout": int(timeout * 1000),
              "rxbuf": max(receiver_buffer_size, 64)}
        if bus is None:  # a UART routed to other pins (ports with a pin matrix)
            bus = table[0][0]
            if t is not None:
                kw["tx"] = machine.Pin(t)
            if r is not None:
                kw["rx"] = machine.Pin(r)
        self._baud = baudrate
        self._timeout = timeout
        self._uart = machine.UART(bus, baudrate, **kw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()

    def deinit(self):
        if self._uart is not None:
            self._uart.deinit()
            self._uart = None

    def _bus(self):
        if self._uart is None:
            raise ValueError("Object has been deinitialized and can no longer be used.")
        return self._uart

    def read(self, nbytes=None):
        return self._bus().read() if nbytes is None else self._bus().read(nbytes)

    def readinto(self, buf):
        return self._bus().readinto(buf)

    def readline(self):
        return self._bus().readline()

    def write(self, buf):
        return self._bus().write(buf)

    @property
    def in_waiting(self):
        return self._bus().any()

    def reset_input_buffer(self):
        uart = self._bus()
        while uart.any():
            uart.read()

    @property
    def baudrate(self):
        return self._baud

    @baudrate.setter
    def baudrate(self, value):
        self._bus().init(value)
        self._baud = value

    @property
    def timeout(self):
        return self._timeout

    @timeout.setter
    def timeout(self, value):
        self._bus().init(timeout=int(value * 1000))
        self._timeout = value
