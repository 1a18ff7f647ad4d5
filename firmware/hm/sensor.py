"""Sensor services: a CircuitPython driver offered on the bus in a few lines.

    from hm import sensor

    def register(node):
        sensor.serve(node, "room", "adafruit_mcp9808:MCP9808", ("temperature",),
                     every_ms=1000, change=0.2, min_gap_ms=500)

or with no code, in /hm.json (each entry takes serve()'s keywords):

    "services": ["hm.sensor"],
    "sensors": [{"name": "room", "driver": "adafruit_mcp9808:MCP9808",
                 "fields": ["temperature"], "every_ms": 1000, "change": 0.2}]

Service `room` then has `read()` -> {"temperature": 23.5} (measured now), `info()`
and `configure(opts)`; it publishes `room.reading` (the values: every `every_ms`, or
only when a field moved by `change`, never twice within `min_gap_ms`, and at least
every `max_gap_ms`; a new subscriber gets the current values at the next sample) and
`room.error` (the message, once per failure).

The driver is "module:Class" (or a callable), built as `Class(bus, *args, **kwargs)`
on `bus` (default `board.I2C()`), lazily and again after a failure, so a sensor that
is plugged in later, or comes back, is found on the next read. Failures are errors
the caller can read: DriverMissing (the driver or a module it needs is not on the
board), SensorMissing (nothing answers: no ACK, wrong chip), SensorFault (it answered,
then the read failed).
"""

import asyncio
import gc
import time

_ticks = time.ticks_ms
_diff = time.ticks_diff


class SensorError(Exception):
    pass


class DriverMissing(SensorError):
    pass


class SensorMissing(SensorError):
    pass


class SensorFault(SensorError):
    pass


def _errno_name(e):
    code = e.args[0] if e.args else None
    try:
        import errno

        name = errno.errorcode.get(code)
    except (ImportError, AttributeError):
        name = None
    return "OSError " + str(code) + (" " + name if name else "")


def _address_of(dev):
    """The I2C address a driver talks to (its adafruit_bus_device I2CDevice's), or None."""
    objs = [dev]
    for _ in range(2):  # the driver, then what it holds (BME280: protocol -> I2CDevice)
        nxt: list = []
        for obj in objs:
            addr = getattr(obj, "device_address", None)
            if type(addr) is int:
                return addr
            d = getattr(obj, "__dict__", None)
            if d:
                nxt.extend(v for v in d.values() if hasattr(v, "__dict__"))
        objs = nxt
    return None


def _value(v):
    """A driver's value as the wire carries it (tuples as lists)."""
    if type(v) is tuple:
        return [_value(x) for x in v]
    return v


def _moved(old, new, change):
    """Whether `new` differs from `old` by at least `change` (any difference for
    non-numbers; per element for lists)."""
    if type(new) is list and type(old) is list and len(new) == len(old):
        for i in range(len(new)):  # noqa: SIM110  (no generator allocated per sample)
            if _moved(old[i], new[i], change):
                return True
        return False
    if type(new) in (int, float) and type(old) in (int, float):
        return abs(new - old) >= change
    return new != old


class Sensor:
    """The service object: `read()`, `info()`, `configure(opts)`; see the module doc."""

    def __init__(self, node, name, driver, fields, bus=None, args=(), kwargs=None,
                 every_ms=0, change=None, min_gap_ms=0, max_gap_ms=0, digits=None):
        self._node = node
        self.name = name
        self._driver = driver
        self._fields = tuple(fields)
        self._bus = bus
        self._args = tuple(args)
        self._kwargs = kwargs or {}
        self._every = every_ms
        self._change = change
        self._min_gap = min_gap_ms
        self._max_gap = max_gap_ms
        self._digits = digits
        self._dev = None
        self._addr = None  # the address the driver found its chip at
        self._error = None  # the message of the failure we are in, or None
        self._last = None  # values of the last reading event
        self._t_pub = None  # ticks_ms of the last reading event
        self._task = None
        self._seen = []  # subscribers of the reading topic that have had a reading
        self.reads = 0
        self.failures = 0
        self.events = 0

    # ---- what the bus calls

    def read(self):
        """Measure now: {field: value}. Raises a SensorError subclass."""
        try:
            values = self._read()
        except SensorError as e:
            self._failed(e)
            raise
        self._recovered()
        return values

    def info(self):
        return {
            "driver": self._driver_name(),
            "fields": list(self._fields),
            "ok": self._error is None and self._dev is not None,
            "error": self._error,
            "every_ms": self._every,
            "change": self._change,
            "min_gap_ms": self._min_gap,
            "max_gap_ms": self._max_gap,
            "reads": self.reads,
            "failures": self.failures,
            "events": self.events,
            "last": self._last,
        }

    def configure(self, opts):
        """Change every_ms, change, min_gap_ms, max_gap_ms (a map); the new info()."""
        for key in opts:
            if key not in ("every_ms", "change", "min_gap_ms", "max_gap_ms"):
                raise ValueError("configure takes every_ms, change, min_gap_ms, max_gap_ms, "
                                 "not " + str(key))
        self._every = opts.get("every_ms", self._every)
        self._change = opts.get("change", self._change)
        self._min_gap = opts.get("min_gap_ms", self._min_gap)
        self._max_gap = opts.get("max_gap_ms", self._max_gap)
        self.start()
        return self.info()

    # ---- the driver

    def _driver_name(self):
        d = self._driver
        return d if type(d) is str else getattr(d, "__name__", "driver")

    def _where(self):
        addr = self._kwargs.get("address", self._kwargs.get("addr", self._addr))
        if addr is None and self._args and type(self._args[0]) is int:
            addr = self._args[0]
        return self._driver_name() + ("" if addr is None else " at " + hex(addr))

    def _factory(self):
        d = self._driver
        if type(d) is not str:
            return d
        i = d.find(":")
        mod_name, attr = (d, "") if i < 0 else (d[:i], d[i + 1 :])
        try:
            mod = __import__(mod_name)
            for part in mod_name.split(".")[1:]:
                mod = getattr(mod, part)
        except ImportError as e:
            raise DriverMissing(
                self.name + ": driver " + mod_name + " does not import (" + str(e) + "): put it "
                "and the libraries it needs on the board (harmonia deploy --driver PACKAGE)"
            ) from None
        try:
            return getattr(mod, attr) if attr else mod
        except AttributeError:
            raise DriverMissing(
                self.name + ": driver module " + mod_name + " has no " + attr
            ) from None

    def _open_bus(self):
        bus = self._bus
        if bus is None:
            try:
                import board
            except ImportError as e:
                raise DriverMissing(
                    self.name + ": no default I2C bus (" + str(e) + "): the CircuitPython "
                    "layer (lib/board.py, lib/busio.py) must be on the import path"
                ) from None
            try:
                return board.I2C()
            except (OSError, ValueError) as e:
                raise SensorMissing(
                    self.name + ": cannot open the default I2C bus: " + str(e)
                ) from None
        return bus() if callable(bus) else bus

    def _open(self):
        gc.collect()  # a driver's import and set-up want contiguous memory
        factory = self._factory()
        bus = self._open_bus()
        try:
            self._dev = factory(bus, *self._args, **self._kwargs)
        except MemoryError as e:
            raise SensorFault(
                self.name + ": not enough memory to set up " + self._where() + " (" + str(e)
                + ", " + str(gc.mem_free()) + " bytes free)"
            ) from None
        except OSError as e:
            raise SensorMissing(
                self.name + ": no answer from " + self._where() + " (" + _errno_name(e)
                + "): check its wiring, power and address"
            ) from None
        except ImportError as e:  # a driver that imports late (inside __init__)
            raise DriverMissing(self.name + ": driver " + self._driver_name() + " needs a module "
                                "that is not on the board (" + str(e) + ")") from None
        except (ValueError, RuntimeError) as e:  # the driver's own "not found"/"wrong chip"
            raise SensorMissing(
                self.name + ": " + self._where() + " not found (" + str(e)
                + "): check its wiring, power and address"
            ) from None
        self._addr = _address_of(self._dev)
        return self._dev

    def _read(self):
        dev = self._dev
        if dev is None:
            dev = self._open()
        out = {}
        field = None
        try:
            for field in self._fields:
                v = _value(getattr(dev, field))
                if self._digits is not None and type(v) is float:
                    v = round(v, self._digits)
                out[field] = v
        except OSError as e:
            self._dev = None  # built again next time: a chip that comes back needs its set-up
            raise SensorMissing(
                self.name + ": " + self._where() + " stopped answering (" + _errno_name(e)
                + "): check its wiring and power"
            ) from None
        except Exception as e:
            raise SensorFault(
                self.name + ": reading " + str(field) + " failed: " + type(e).__name__ + " "
                + str(e)
            ) from None
        self.reads += 1
        return out

    # ---- events

    def _failed(self, e):
        self.failures += 1
        msg = str(e)
        if msg != self._error:
            self._error = msg
            self._node.log(msg)
            self._node.publish(self.name + ".error", msg)

    def _recovered(self):
        if self._error is not None:
            self._error = None
            self._last = None  # publish the next reading whatever it is

    def _new_subscriber(self, subs):
        """Whether someone subscribed to the readings since the last one went out: a new
        subscriber gets the current values at the next sample, not at the next change."""
        for k in subs:  # noqa: SIM110
            if k not in self._seen:
                return True
        return False

    def _due(self, values, now, subs):
        """Whether values make a reading event now (subs: the readings' subscribers)."""
        if self._t_pub is None or self._last is None or self._new_subscriber(subs):
            return True
        gap = _diff(now, self._t_pub)
        if gap < self._min_gap:
            return False
        if self._change is None:
            return True
        if self._max_gap and gap >= self._max_gap:
            return True
        for k in values:  # noqa: SIM110
            if _moved(self._last.get(k), values[k], self._change):
                return True
        return False

    def sample(self):
        """One sampling step: read, and publish a reading if it is due."""
        try:
            values = self.read()
        except SensorError:
            return None
        now = _ticks()
        topic = self.name + ".reading"
        subs = self._node.subscribers(topic)
        if self._due(values, now, subs):
            self._last = values
            self._t_pub = now
            self.events += 1
            self._node.publish(topic, values)
            self._seen = subs
        return values

    async def _run(self):
        while self._every > 0:
            self.sample()
            await asyncio.sleep_ms(self._every)
        self._task = None

    def start(self):
        """Start sampling (if every_ms > 0 and not already sampling)."""
        if self._every > 0 and self._task is None:
            self._task = asyncio.create_task(self._run())

    def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None


def serve(node, name, driver, fields, version="1.0", **options):
    """Offer `driver` as service `name` on `node`; the Sensor. Options: bus, args, kwargs,
    every_ms, change, min_gap_ms, max_gap_ms, digits (see the module doc)."""
    s = Sensor(node, name, driver, fields, **options)
    node.register(name, s, version, ("read", "info", "configure"), ("reading", "error"))
    try:
        s.read()  # find the chip now, so a missing one is in the log at boot
    except SensorError:
        pass
    except Exception as e:  # whatever a driver raises, the board still boots
        node.log(name + ": " + type(e).__name__ + " " + str(e))
    s.start()
    return s


def _config_bus(spec):
    """A bus from config: {"scl": pin, "sda": pin} (busio.I2C on those pins)."""
    if spec is None:
        return None

    def opener():
        import busio

        return busio.I2C(spec["scl"], spec["sda"], frequency=spec.get("frequency", 100000))

    return opener


def register(node):
    """Serve each entry of /hm.json "sensors" (as the module doc shows)."""
    cfg = getattr(node, "cfg", None) or {}
    for entry in cfg.get("sensors") or ():
        opts = {}
        for key in ("args", "kwargs", "every_ms", "change", "min_gap_ms", "max_gap_ms",
                    "digits"):
            if key in entry:
                opts[key] = entry[key]
        opts["bus"] = _config_bus(entry.get("i2c"))
        serve(node, entry["name"], entry["driver"], entry.get("fields") or (),
              entry.get("version", "1.0"), **opts)
