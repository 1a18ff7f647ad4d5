"""CircuitPython's `board`: this board's named pins and default buses.

The names come from the board's profile (boards/<profile>.toml, `pins`, `i2c`, `spi`,
`uart`), which `harmonia deploy` and `harmonia flash` write to the board as the data
module `/lib/_boardpins.py` (harmonia.drivers.board_pins_module); no code here knows any
board by name.

    import board
    i2c = board.I2C()            # the profile's default I2C bus, shared
    led = digitalio.DigitalInOut(board.LED)
"""

from microcontroller import Pin

try:
    import _boardpins as _bp  # type: ignore[import-not-found]
except ImportError:
    raise ImportError(
        "board: no pin table (_boardpins) on this board; `harmonia deploy` (or `harmonia "
        "flash`) writes it from the board's profile"
    ) from None

board_id = _bp.PROFILE

_by_id: dict = {}  # one Pin per pin id, so aliases (LED and D13) are the same object
for _name in _bp.PINS:
    _id = _bp.PINS[_name]
    _p = _by_id.get(_id)
    if _p is None:
        _p = _by_id[_id] = Pin(_id)
    globals()[_name] = _p

_shared: dict = {}


def _pin(pin_id):
    return _by_id.get(pin_id) or Pin(pin_id)


def _default(kind):
    table = getattr(_bp, kind, None)
    if not table:
        raise ValueError("board." + kind + "(): this board's profile names no default " + kind
                         + " bus; build one with busio." + kind + "(...) on its pins")
    return table[0]


def _one(kind, make):
    bus = _shared.get(kind)
    if bus is None or getattr(bus, "_" + kind.lower(), 1) is None:  # absent, or deinit'ed
        bus = _shared[kind] = make(_default(kind))
    return bus


def I2C():  # noqa: N802  (CircuitPython's name)
    """The default I2C bus (the same object on every call, as CircuitPython's)."""
    import busio

    return _one("I2C", lambda t: busio.I2C(_pin(t[1]), _pin(t[2])))


def SPI():  # noqa: N802
    import busio

    return _one("SPI", lambda t: busio.SPI(_pin(t[1]), _pin(t[2]), _pin(t[3])))


def UART():  # noqa: N802
    import busio

    return _one("UART", lambda t: busio.UART(_pin(t[1]), _pin(t[2])))
