"""The simulated hardware of one board: pins, buses, ADC, PWM, UARTs, Wi-Fi.

Pure state and rules; the hub (hub.py) moves messages. Every method runs with
`cond` held by the caller. Board-side state (pin modes, PWM, Wi-Fi, UART set-up)
goes back to power-on defaults at each boot; what the host set up (pin drives,
ADC inputs, attached devices, links) stays, as the world outside a board does.
"""

from __future__ import annotations

import errno
import threading
from collections import deque
from typing import Any

from .devices import I2CDevice, SPIDevice
from .errors import HardwareRequestError
from .facts import BoardFacts
from .state import PIN_MODES, PULLS, Pin, PwmState, UartState, WlanState
from .uart import UartPort

BusKey = int | str  # I2C(0)/SPI(1) -> 0/1; SoftI2C(scl=5, sda=4) -> "5:4"
SPI_LOG_MAX = 1000

STAT_IDLE = 1000
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202


class BoardError(Exception):
    """An error raised in board code, as MicroPython would raise it."""

    def __init__(self, kind: str, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.kind = kind  # "OSError", "ValueError", "TypeError"
        self.code = code  # errno for OSError


def _bit(value: Any, what: str) -> int:
    if value not in (0, 1, False, True):
        raise HardwareRequestError(f"{what} must be 0 or 1, not {value!r}")
    return int(value)


class Board:
    def __init__(self, facts: BoardFacts) -> None:
        self.facts = facts
        self.cond = threading.Condition()
        self.seq = 0  # bumped at every pin level change
        self.pins: dict[int, Pin] = {}
        self.i2c: dict[BusKey, dict[int, I2CDevice]] = {}
        self.spi: dict[BusKey, list[tuple[int | None, SPIDevice]]] = {}
        self.spi_config: dict[BusKey, dict[str, Any]] = {}
        self.spi_log: dict[BusKey, deque[tuple[bytes, bytes]]] = {}
        self.adc: dict[int, int] = {}
        self.pwm: dict[int, PwmState] = {}
        self.uarts: dict[int, UartPort] = {}
        self.freq = facts.freq
        self.networks: dict[str, str | None] | None = None  # None: any SSID, any key
        self.wifi_up = True
        self.wlan = [self._wlan_off(), self._wlan_off()]

    # ---- power

    @staticmethod
    def _wlan_off() -> dict[str, Any]:
        return {"active": False, "connected": False, "ssid": None, "status": STAT_IDLE,
                "addr": None, "config": {}}

    def power_on(self) -> None:
        for pin in self.pins.values():
            before = pin.level()
            pin.power_on()
            if pin.level() != before:
                self.seq += 1
        self.pwm.clear()
        self.spi_config.clear()
        self.freq = self.facts.freq
        self.wlan = [self._wlan_off(), self._wlan_off()]
        for port in self.uarts.values():
            port.power_on()

    def levels(self) -> dict[str, list[int]]:
        """Every known pin's level, as the board's boot snapshot."""
        return {str(p): [pin.level(), self.seq] for p, pin in self.pins.items()}

    # ---- pins

    def pin_number(self, p: Any) -> int:
        """A pin number from a number or a board pin name ("LED")."""
        n = self.facts.npins
        if isinstance(p, str) and p in self.facts.pins:
            p = self.facts.pins[p]
        if not isinstance(p, int) or isinstance(p, bool) or p < 0 or (n and p >= n):
            raise HardwareRequestError(
                f"{self.facts.name} has no pin {p!r}"
                + (f" (pins are 0..{n - 1})" if n else "")
            )
        return p

    def pin(self, p: Any) -> Pin:
        return self.pins.setdefault(self.pin_number(p), Pin())

    def _changed(self, pin: Pin, before: int) -> bool:
        if pin.level() != before:
            self.seq += 1
            self.cond.notify_all()
            return True
        return False

    def set_ext(self, p: Any, value: Any) -> tuple[int, int] | None:
        """Host drives a pin (None lets go); (pin, level) if the level changed."""
        number = self.pin_number(p)
        pin = self.pin(number)
        before = pin.level()
        pin.ext = None if value is None else _bit(value, "a pin value")
        return (number, pin.level()) if self._changed(pin, before) else None

    def pin_init(self, p: int, mode: str | None, pull: str | None, value: int | None,
                 set_pull: bool) -> list[Any]:
        pin = self.pin(p)
        if mode is not None and mode not in PIN_MODES:
            raise BoardError("ValueError", "invalid pin mode")
        if pull is not None and pull not in PULLS:
            raise BoardError("ValueError", "invalid pull")
        before = pin.level()
        if value is not None:
            pin.out = value
        if mode is not None:
            pin.mode = mode
        if set_pull:
            pin.pull = pull
        self._changed(pin, before)
        return [pin.level(), self.seq, pin.mode]

    def pin_write(self, p: int, value: int) -> list[Any]:
        pin = self.pin(p)
        before = pin.level()
        pin.out = _bit(value, "a pin value")
        self._changed(pin, before)
        return [pin.level(), self.seq, pin.mode]

    def pin_irq(self, p: int, trigger: int) -> None:
        self.pin(p).irq = trigger & 3
        self.cond.notify_all()

    # ---- I2C

    def attach_i2c(self, bus: BusKey, addr: int, device: I2CDevice) -> None:
        if not 0x08 <= addr <= 0x77:
            raise HardwareRequestError(f"I2C address 0x{addr:02x} is outside 0x08..0x77")
        devices = self.i2c.setdefault(bus, {})
        if addr in devices:
            raise HardwareRequestError(
                f"I2C bus {bus} already has a {type(devices[addr]).__name__} at 0x{addr:02x}; "
                "detach it first"
            )
        devices[addr] = device

    def i2c_scan(self, bus: BusKey) -> list[int]:
        """Addresses that acknowledge on `bus`: every device that is present."""
        return sorted(addr for addr, dev in self.i2c.get(bus, {}).items() if dev.present)

    def i2c_device(self, bus: BusKey, addr: int) -> I2CDevice:
        device = self.i2c.get(bus, {}).get(addr)
        if device is None:
            raise HardwareRequestError(f"no device at 0x{addr:02x} on I2C bus {bus}")
        return device

    def i2c_transfer(self, bus: BusKey, addr: int, segments: list[list[Any]]) -> list[str]:
        device = self.i2c.get(bus, {}).get(addr)
        if device is None or not device.present:
            raise BoardError("OSError", "ENODEV", errno.ENODEV)  # no ACK for the address
        reads = []
        for kind, arg in segments:
            if kind == "w":
                device.write(bytes.fromhex(arg))
            else:
                data = device.read(int(arg))
                reads.append(data.hex())
        return reads

    # ---- SPI

    def spi_transfer(self, bus: BusKey, data: bytes) -> bytes:
        answer = b"\xff" * len(data)  # MISO idles high when nothing drives it
        for cs, device in self.spi.get(bus, []):
            if cs is None or self.pin(cs).level() == 0:
                answer = device.transfer(data)[: len(data)].ljust(len(data), b"\xff")
                break
        self.spi_log.setdefault(bus, deque(maxlen=SPI_LOG_MAX)).append((data, answer))
        return answer

    # ---- PWM, UART

    def set_pwm(self, p: int, freq: int, duty: int, invert: bool, active: bool) -> None:
        self.pin(p)
        self.pwm[p] = PwmState(p, int(freq), int(duty), bool(invert), bool(active))
        self.cond.notify_all()

    def port(self, uart: Any) -> UartPort:
        if not isinstance(uart, int) or isinstance(uart, bool) or uart < 0:
            raise HardwareRequestError(f"UART id must be a number >= 0, not {uart!r}")
        if uart not in self.uarts:
            self.uarts[uart] = UartPort(uart, self.cond)
        return self.uarts[uart]

    def uart_state(self, uart: int) -> UartState:
        port = self.port(uart)
        c = port.config
        parity = c.get("parity")
        return UartState(uart, port.board is not None, int(str(c["baudrate"])),
                         int(str(c["bits"])), None if parity is None else int(str(parity)),
                         int(str(c["stop"])))

    # ---- Wi-Fi

    def wlan_state(self, iface: int) -> WlanState:
        w = self.wlan[iface]
        return WlanState(w["active"], w["connected"], w["ssid"], w["status"], w["addr"],
                         dict(w["config"]))

    def wlan_op(self, iface: int, action: str, msg: dict[str, Any]) -> Any:
        if iface not in (0, 1):
            raise BoardError("ValueError", "invalid WLAN interface identifier")
        w = self.wlan[iface]
        if action == "active":
            w["active"] = bool(msg.get("on"))
            if not w["active"]:
                w.update(connected=False, status=STAT_IDLE)
        elif action == "connect":
            self._connect(w, msg.get("ssid"), msg.get("key"), msg.get("addr"))
        elif action == "disconnect":
            w.update(connected=False, status=STAT_IDLE)
        elif action == "config":
            w["config"].update(msg.get("set") or {})
        elif action == "scan":
            if not w["active"]:
                raise BoardError("OSError", "Wifi Not Started")
            names = sorted(self.networks) if self.networks is not None else ["harmonia"]
            return [[name, -40] for name in names] if self.wifi_up else []
        state = dict(w)
        state["rssi"] = -40 if w["connected"] else 0
        self.cond.notify_all()
        return state

    def _connect(self, w: dict[str, Any], ssid: Any, key: Any, addr: Any) -> None:
        if not w["active"]:
            raise BoardError("OSError", "Wifi Not Started")
        w["ssid"] = ssid
        if not self.wifi_up or (self.networks is not None and ssid not in self.networks):
            w.update(connected=False, status=STAT_NO_AP_FOUND)
        elif self.networks is not None and self.networks[ssid] not in (None, key):
            w.update(connected=False, status=STAT_WRONG_PASSWORD)
        else:
            w.update(connected=True, status=STAT_GOT_IP, addr=addr)

    def set_wifi(self, networks: dict[str, str | None] | None, up: bool) -> None:
        self.networks = networks
        self.wifi_up = up
        w = self.wlan[0]
        gone = not up or (networks is not None and w["ssid"] not in networks)
        if w["connected"] and gone:
            w.update(connected=False, status=STAT_BEACON_TIMEOUT)
        self.cond.notify_all()
