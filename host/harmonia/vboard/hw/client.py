"""Drive and observe a virtual board's hardware from another process (tests, the CLI)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import wire
from .errors import HardwareError, HardwareRequestError, HardwareTimeoutError, HubNotRunningError
from .state import LinkStats, PinState, PwmState, UartState, WlanState

Bus = int | str | tuple[int, int]  # I2C(0) -> 0; SoftI2C(scl=5, sda=4) -> (5, 4) or "5:4"
Registers = Mapping[int, bytes | int] | bytes


def _bus(bus: Bus) -> int | str:
    if isinstance(bus, tuple):
        return ":".join(str(p) for p in bus)
    return bus


def _registers(registers: Registers) -> Any:
    if isinstance(registers, bytes | bytearray):
        return bytes(registers).hex()
    return [[reg, v if isinstance(v, int) else bytes(v).hex()] for reg, v in registers.items()]


def _pin_state(raw: dict[str, Any]) -> PinState:
    return PinState(**{**raw, "irq": tuple(raw["irq"])})


class HardwareClient:
    """A connection to one board's hardware hub: `HardwareClient(state_dir)`."""

    def __init__(self, target: Path | str, *, timeout: float = 10.0) -> None:
        path = Path(target)
        if path.is_dir():
            path = path / "hw.sock"
        self.path = path
        self.timeout = timeout
        try:
            self._sock = wire.connect_unix(path, timeout=timeout)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise HubNotRunningError(
                f"no hardware hub answers at {path}: is the board running? "
                "(start it with `harmonia vboard start`)"
            ) from exc
        self._reader = wire.LineReader(self._sock)
        self._out = wire.Sender(self._sock)
        self._out.send({"op": "hello", "role": "client", "pid": os.getpid()})
        self._lock = threading.Lock()
        self._next = 0

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> HardwareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, op: str, *, wait: float = 0.0, **args: Any) -> Any:
        """One request; `wait` is how long the hub may wait for a condition."""
        with self._lock:
            self._next += 1
            msg = {k: v for k, v in args.items() if v is not None}
            msg.update(op=op, i=self._next, timeout=wait or None)
            self._sock.settimeout(self.timeout + wait)
            try:
                self._out.send(msg)
                reply = self._reader.message()
            except TimeoutError as exc:
                raise HardwareTimeoutError(
                    f"hardware hub at {self.path} did not answer {op}"
                ) from exc
            except OSError as exc:
                raise HubNotRunningError(f"hardware hub at {self.path} went away: {exc}") from exc
        if reply is None:
            raise HubNotRunningError(f"hardware hub at {self.path} closed the connection")
        if "e" in reply:
            kind = {"timeout": HardwareTimeoutError, "request": HardwareRequestError}
            raise kind.get(str(reply.get("t")), HardwareError)(reply["e"])
        return reply.get("r")

    # ---- the board

    def info(self) -> dict[str, Any]:
        """Name, boots, reset cause, whether the child runs, its pid, uid, mac."""
        out: dict[str, Any] = self.call("info")
        return out

    def wait_boot(self, boots: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until board code has booted `boots` times and its event link is up."""
        out: dict[str, Any] = self.call("wait_boot", boots=boots, wait=timeout)
        return out

    # ---- pins

    def set_pin(self, pin: int | str, value: int | bool | None) -> PinState:
        """Drive a pin from outside (None lets go); returns once board code sees it."""
        return _pin_state(self.call("set_pin", p=pin, v=None if value is None else int(value)))

    def release_pin(self, pin: int | str) -> PinState:
        return _pin_state(self.call("set_pin", p=pin))

    def get_pin(self, pin: int | str) -> PinState:
        return _pin_state(self.call("get_pin", p=pin))

    def pins(self) -> list[PinState]:
        return [_pin_state(raw) for raw in self.call("pins")]

    def wait_pin(self, pin: int | str, *, level: int | None = None, mode: str | None = None,
                 irq: Iterable[str] | None = None, timeout: float = 5.0) -> PinState:
        """Wait until the pin has the given level / mode / armed IRQ edges."""
        return _pin_state(self.call("wait_pin", p=pin, level=level, mode=mode,
                                    irq=None if irq is None else list(irq), wait=timeout))

    def set_adc(self, pin: int | str, value: int) -> None:
        """What ADC(pin).read_u16() returns from now on (0..65535)."""
        self.call("set_adc", p=pin, v=value)

    def get_pwm(self, pin: int | str) -> PwmState | None:
        raw = self.call("get_pwm", p=pin)
        return None if raw is None else PwmState(**raw)

    def freq(self) -> int:
        out: int = self.call("freq")
        return out

    # ---- I2C

    def attach_i2c(self, bus: Bus, addr: int, registers: Registers | None = None, *,
                   model: str = "regmap", **params: Any) -> None:
        """Put a device on a bus: a register map (default) or a registered chip model."""
        if registers is not None:
            params["registers"] = _registers(registers)
        if "read_only" in params:
            params["read_only"] = list(params["read_only"])
        self.call("i2c_attach", b=_bus(bus), a=addr, model=model, params=params)

    def detach_i2c(self, bus: Bus, addr: int) -> None:
        self.call("i2c_detach", b=_bus(bus), a=addr)

    def set_i2c_registers(self, bus: Bus, addr: int, registers: Mapping[int, bytes | int]) -> None:
        self.call("i2c_set", b=_bus(bus), a=addr, regs=_registers(registers))

    def i2c_registers(self, bus: Bus, addr: int) -> dict[int, bytes]:
        return {reg: bytes.fromhex(v) for reg, v in self.call("i2c_get", b=_bus(bus), a=addr)}

    def i2c_call(self, bus: Bus, addr: int, method: str, *args: Any) -> Any:
        """Call a control method of a device model (see `CONTROL` on its class)."""
        return self.call("i2c_call", b=_bus(bus), a=addr, method=method, args=list(args))

    def i2c_devices(self) -> list[tuple[int | str, int, str]]:
        return [(bus, addr, kind) for bus, addr, kind in self.call("i2c_list")]

    # ---- SPI

    def attach_spi(self, bus: Bus, cs: int | str | None = None, *, model: str = "loopback",
                   **params: Any) -> None:
        """Put a device on a bus, selected when pin `cs` is low (always, if None)."""
        self.call("spi_attach", b=_bus(bus), cs=cs, model=model, params=params)

    def detach_spi(self, bus: Bus, cs: int | str | None = None) -> None:
        self.call("spi_detach", b=_bus(bus), cs=cs)

    def spi_log(self, bus: Bus, *, clear: bool = False) -> list[tuple[bytes, bytes]]:
        """Transfers on the bus so far: (MOSI bytes, MISO bytes)."""
        raw = self.call("spi_log", b=_bus(bus), clear=clear or None)
        return [(bytes.fromhex(w), bytes.fromhex(r)) for w, r in raw]

    def spi_config(self, bus: Bus) -> dict[str, Any] | None:
        out: dict[str, Any] | None = self.call("spi_config", b=_bus(bus))
        return out

    # ---- UART

    def uart_write(self, uart: int, data: bytes) -> None:
        """Bytes arriving on the board's RX line."""
        self.call("uart_write", u=uart, d=bytes(data).hex())

    def uart_read(self, uart: int, n: int = -1, *, until: bytes | None = None,
                  timeout: float = 0.0) -> bytes:
        """Take bytes board code wrote: n of them, through `until`, or all there are."""
        raw = self.call("uart_read", u=uart, n=n, until=None if until is None else until.hex(),
                        wait=timeout)
        return bytes.fromhex(raw)

    def uart_state(self, uart: int) -> UartState:
        return UartState(**self.call("uart_state", u=uart))

    def link_uart(self, uart: int, peer: HardwareClient | Path | str, peer_uart: int, *,
                  drop: float = 0.0, corrupt: float = 0.0, seed: int | str | None = None
                  ) -> UartLink:
        """Wire this board's UART to a UART of the board whose hub is `peer`."""
        path = peer.path if isinstance(peer, HardwareClient) else Path(peer)
        if path.is_dir():
            path = path / "hw.sock"
        link_id = self.call("link", u=uart, peer=str(path), peer_u=peer_uart, drop=drop,
                            corrupt=corrupt, seed=seed)
        return UartLink(self, int(link_id))

    # ---- Wi-Fi

    def wlan(self, iface: int = 0) -> WlanState:
        return WlanState(**self.call("wlan", **{"if": iface}))

    def set_wifi(
        self, networks: Mapping[str, str | None] | None = None, *, up: bool = True
    ) -> None:
        """Networks in range (SSID -> key, None: open); None accepts any. up=False: none."""
        self.call("set_wifi", networks=None if networks is None else dict(networks), up=up)

    def wait_wlan(self, connected: bool = True, timeout: float = 5.0) -> WlanState:
        return WlanState(**self.call("wait_wlan", connected=connected, wait=timeout))


class UartLink:
    """A wire between two boards' UARTs, made by `link_uarts`; can drop and corrupt bytes."""

    def __init__(self, client: HardwareClient, link_id: int) -> None:
        self.client = client
        self.id = link_id

    def set(self, *, drop: float | None = None, corrupt: float | None = None,
            direction: str = "both") -> None:
        """Change the damage: probabilities per byte; direction "a>b", "b>a" or "both"."""
        self.client.call("link_set", id=self.id, drop=drop, corrupt=corrupt, dir=direction)

    def heal(self) -> None:
        self.set(drop=0.0, corrupt=0.0)

    def stats(self) -> LinkStats:
        return LinkStats(**self.client.call("link_stats", id=self.id))

    def close(self) -> None:
        self.client.call("unlink", id=self.id)


def link_uarts(a: HardwareClient, uart_a: int, b: HardwareClient, uart_b: int, *,
               drop: float = 0.0, corrupt: float = 0.0, seed: int | str | None = None) -> UartLink:
    """Connect UART uart_a of board a to UART uart_b of board b (TX to RX both ways)."""
    return a.link_uart(uart_a, b, uart_b, drop=drop, corrupt=corrupt, seed=seed)
