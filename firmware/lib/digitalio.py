"""CircuitPython's `digitalio` over `machine.Pin`: DigitalInOut, Direction, Pull, DriveMode."""

import machine
from microcontroller import pin_id


class _Value:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class Direction:
    INPUT = _Value("digitalio.Direction.INPUT")
    OUTPUT = _Value("digitalio.Direction.OUTPUT")


class Pull:
    UP = _Value("digitalio.Pull.UP")
    DOWN = _Value("digitalio.Pull.DOWN")


class DriveMode:
    PUSH_PULL = _Value("digitalio.DriveMode.PUSH_PULL")
    OPEN_DRAIN = _Value("digitalio.DriveMode.OPEN_DRAIN")


def _pull(pull):
    if pull is None:
        return None
    if pull is Pull.UP:
        return machine.Pin.PULL_UP
    if pull is Pull.DOWN:
        return machine.Pin.PULL_DOWN
    raise ValueError("pull must be digitalio.Pull.UP, Pull.DOWN or None")


class DigitalInOut:
    """A pin used as a digital input or output; starts as an input with no pull."""

    def __init__(self, pin):
        self._id = pin_id(pin)
        self._pin = None
        self._dir = Direction.INPUT
        self._pull_v = None
        self._drive = DriveMode.PUSH_PULL
        self.switch_to_input()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()

    def deinit(self):
        if self._pin is not None:
            self._pin.init(machine.Pin.IN, None)
            self._pin = None

    def deinited(self):
        return self._pin is None

    def _open(self):
        if self._pin is None:
            raise ValueError("Object has been deinitialized and can no longer be used.")
        return self._pin

    def switch_to_output(self, value=False, drive_mode=DriveMode.PUSH_PULL):
        mode = machine.Pin.OPEN_DRAIN if drive_mode is DriveMode.OPEN_DRAIN else machine.Pin.OUT
        v = 1 if value else 0
        if self._pin is None:
            self._pin = machine.Pin(self._id, mode, value=v)
        else:
            self._pin.init(mode, value=v)
        self._dir = Direction.OUTPUT
        self._drive = drive_mode
        self._pull_v = None

    def switch_to_input(self, pull=None):
        p = _pull(pull)
        if self._pin is None:
            self._pin = machine.Pin(self._id, machine.Pin.IN, p)
        else:
            self._pin.init(machine.Pin.IN, p)
        self._dir = Direction.INPUT
        self._pull_v = pull

    @property
    def direction(self):
        return self._dir

    @direction.setter
    def direction(self, value):
        if value is Direction.OUTPUT:
            self.switch_to_output()
        elif value is Direction.INPUT:
            self.switch_to_input()
        else:
            raise ValueError("direction must be digitalio.Direction.INPUT or OUTPUT")

    @property
    def value(self):
        return bool(self._open().value())

    @value.setter
    def value(self, value):
        if self._dir is not Direction.OUTPUT:
            raise AttributeError("Cannot set value when direction is input.")
        self._open().value(1 if value else 0)

    @property
    def pull(self):
        if self._dir is not Direction.INPUT:
            raise AttributeError("Pull not used when direction is output.")
        return self._pull_v

    @pull.setter
    def pull(self, pull):
        if self._dir is not Direction.INPUT:
            raise AttributeError("Pull not used when direction is output.")
        self.switch_to_input(pull)

    @property
    def drive_mode(self):
        if self._dir is not Direction.OUTPUT:
            raise AttributeError("Drive mode not used when direction is input.")
        return self._drive

    @drive_mode.setter
    def drive_mode(self, mode):
        self.switch_to_output(self.value, mode)
