"""What the hub does for each request: board-code calls ("ctl") and control clients.

A mixin of `HardwareHub`, kept apart so that hub.py is only about connections.
Board calls run with `cond` held; client calls take it themselves because some
wait (for a pin, for UART bytes) and some push a change to the child.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .board import Board, BusKey
from .devices import make_i2c, make_spi
from .errors import HardwareRequestError, HardwareTimeoutError
from .state import PinState, to_json
from .uart import PeerLink

if TYPE_CHECKING:
    from .hub import Session


def bus_key(value: Any) -> BusKey:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value:
        return value
    raise HardwareRequestError(f"a bus is a number or a pin string like '5:4', not {value!r}")


def registers_from_json(value: Any) -> Any:
    """Registers as sent by a client: hex of a flat memory, or [[reg, hex|int], ...]."""
    if isinstance(value, str):
        return bytes.fromhex(value)
    return {int(reg): bytes.fromhex(v) if isinstance(v, str) else int(v) for reg, v in value}


def _timeout(msg: dict[str, Any]) -> float:
    return float(msg.get("timeout") or 0.0)


class ControlOps:
    board: Board
    cond: threading.Condition
    session: Session | None
    boots: int
    cause: int
    links: dict[int, PeerLink]
    links_made: int
    name: str

    if TYPE_CHECKING:

        def push_pin(self, change: tuple[int, int] | None) -> None: ...
        def poke(self, sess: Session) -> None: ...
        def _reset(self, cause: int, sess: Session, from_irq: bool = False) -> str: ...

    # ---- board code

    def board_op(self, sess: Session, op: str, m: dict[str, Any]) -> Any:
        b = self.board
        if op == "pin_init":
            return b.pin_init(m["p"], m.get("mode"), m.get("pull"), m.get("v"), "pull" in m)
        if op == "pin_write":
            return b.pin_write(m["p"], m["v"])
        if op == "pin_get":
            pin = b.pin(m["p"])
            return [pin.mode, pin.pull]
        if op == "pin_irq":
            return b.pin_irq(m["p"], int(m["t"]))
        if op == "adc":
            return b.adc.get(b.pin_number(m["p"]), 0)
        if op == "pwm":
            return b.set_pwm(m["p"], m["f"], m["d"], m["x"], m["on"])
        if op == "i2c_scan":
            return b.i2c_scan(bus_key(m["b"]))
        if op == "i2c":
            return b.i2c_transfer(bus_key(m["b"]), int(m["a"]), m["x"])
        if op == "spi_init":
            b.spi_config[bus_key(m["b"])] = {k: m[k] for k in ("baud", "pol", "pha", "bits")}
            return None
        if op == "spi":
            return b.spi_transfer(bus_key(m["b"]), bytes.fromhex(m["d"])).hex()
        if op == "uart_init":
            port = b.port(m["u"])
            port.config = {k: m[k] for k in ("baudrate", "bits", "parity", "stop")}
            if m.get("tok") is not None:  # a new stream: return once it is attached
                self._wait(lambda: port.ready(m["tok"]), 2.0,
                           lambda: f"UART {port.id} stream of the board to attach")
            return None
        if op == "uart_deinit":
            return None
        if op == "wlan":
            return b.wlan_op(int(m["if"]), str(m["do"]), m)
        if op == "freq":
            if m.get("hz"):
                b.freq = int(m["hz"])
            return b.freq
        if op == "poke":
            return self.poke(sess)
        if op == "reset":
            return self._reset(int(m.get("cause") or 2), sess, bool(m.get("irq")))
        raise HardwareRequestError(f"unknown board call {op!r}")

    # ---- control clients

    def client_op(self, op: str, m: dict[str, Any]) -> Any:
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, "_c_" + op, None)
        if handler is None:
            raise HardwareRequestError(f"unknown request {op!r}")
        return handler(m)

    def _wait(self, ready: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
        """Wait (cond held) until ready(); raise naming what was awaited and what is."""
        if not self.cond.wait_for(ready, timeout=timeout):
            raise HardwareTimeoutError(f"{self.name}: waited {timeout:g} s for {what()}")

    def _c_info(self, m: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            sess = self.session
            f = self.board.facts
            return {"name": self.name, "boots": self.boots, "cause": self.cause,
                    "running": sess is not None and sess.evt is not None,
                    "pid": sess.pid if sess else None, "uid": f.uid.hex(), "mac": f.mac.hex(),
                    "freq": self.board.freq}

    def _c_wait_boot(self, m: dict[str, Any]) -> dict[str, Any]:
        boots = int(m.get("boots") or 1)
        with self.cond:
            self._wait(
                lambda: self.boots >= boots and self.session is not None
                and self.session.evt is not None,
                _timeout(m),
                lambda: f"boot #{boots} of its MicroPython process (seen {self.boots})",
            )
        return self._c_info(m)

    def _c_set_pin(self, m: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            change = self.board.set_ext(m["p"], m.get("v"))
        self.push_pin(change)
        return self._c_get_pin(m)

    def _c_get_pin(self, m: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            p = self.board.pin_number(m["p"])
            return to_json(self.board.pin(p).state(p))

    def _c_pins(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        with self.cond:
            return [to_json(pin.state(p)) for p, pin in sorted(self.board.pins.items())]

    def _c_wait_pin(self, m: dict[str, Any]) -> dict[str, Any]:
        want = {k: m[k] for k in ("level", "mode", "irq") if m.get(k) is not None}
        if "irq" in want:
            want["irq"] = tuple(want["irq"])
        with self.cond:
            p = self.board.pin_number(m["p"])

            def state() -> PinState:
                return self.board.pin(p).state(p)

            self._wait(lambda: all(getattr(state(), k) == v for k, v in want.items()),
                       _timeout(m), lambda: f"pin {p} to have {want}; it is {state()}")
            return to_json(state())

    def _c_set_adc(self, m: dict[str, Any]) -> None:
        value = int(m["v"])
        if not 0 <= value <= 0xFFFF:
            raise HardwareRequestError(f"an ADC reading is 0..65535, not {value}")
        with self.cond:
            self.board.adc[self.board.pin_number(m["p"])] = value

    def _c_get_pwm(self, m: dict[str, Any]) -> dict[str, Any] | None:
        with self.cond:
            state = self.board.pwm.get(self.board.pin_number(m["p"]))
            return None if state is None else to_json(state)

    def _c_freq(self, m: dict[str, Any]) -> int:
        with self.cond:
            return self.board.freq

    # ---- buses

    def _c_i2c_attach(self, m: dict[str, Any]) -> None:
        params = dict(m.get("params") or {})
        if "registers" in params:
            params["registers"] = registers_from_json(params["registers"])
        device = make_i2c(str(m.get("model") or "regmap"), params)
        with self.cond:
            self.board.attach_i2c(bus_key(m["b"]), int(m["a"]), device)

    def _c_i2c_detach(self, m: dict[str, Any]) -> None:
        with self.cond:
            self.board.i2c_device(bus_key(m["b"]), int(m["a"]))
            del self.board.i2c[bus_key(m["b"])][int(m["a"])]

    def _c_i2c_set(self, m: dict[str, Any]) -> None:
        with self.cond:
            device = self.board.i2c_device(bus_key(m["b"]), int(m["a"]))
            device.control("set_registers", [registers_from_json(m["regs"])])

    def _c_i2c_get(self, m: dict[str, Any]) -> list[list[Any]]:
        with self.cond:
            device = self.board.i2c_device(bus_key(m["b"]), int(m["a"]))
            return [[reg, value.hex()] for reg, value in device.snapshot().items()]

    def _c_i2c_call(self, m: dict[str, Any]) -> Any:
        with self.cond:
            device = self.board.i2c_device(bus_key(m["b"]), int(m["a"]))
            return device.control(str(m["method"]), list(m.get("args") or []))

    def _c_i2c_list(self, m: dict[str, Any]) -> list[list[Any]]:
        with self.cond:
            return [[bus, addr, type(dev).__name__] for bus, devs in self.board.i2c.items()
                    for addr, dev in sorted(devs.items())]

    def _c_spi_attach(self, m: dict[str, Any]) -> None:
        device = make_spi(str(m.get("model") or "loopback"), dict(m.get("params") or {}))
        cs = m.get("cs")
        with self.cond:
            if cs is not None:
                cs = self.board.pin_number(cs)
            self.board.spi.setdefault(bus_key(m["b"]), []).append((cs, device))

    def _c_spi_detach(self, m: dict[str, Any]) -> None:
        with self.cond:
            bus = bus_key(m["b"])
            cs = m.get("cs")
            self.board.spi[bus] = [(c, d) for c, d in self.board.spi.get(bus, []) if c != cs]

    def _c_spi_log(self, m: dict[str, Any]) -> list[list[str]]:
        with self.cond:
            log = self.board.spi_log.get(bus_key(m["b"]))
            if log is None:
                return []
            out = [[w.hex(), r.hex()] for w, r in log]
            if m.get("clear"):
                log.clear()
            return out

    def _c_spi_config(self, m: dict[str, Any]) -> dict[str, Any] | None:
        with self.cond:
            return self.board.spi_config.get(bus_key(m["b"]))

    # ---- UARTs

    def _c_uart_write(self, m: dict[str, Any]) -> None:
        with self.cond:
            port = self.board.port(m["u"])
        port.deliver(bytes.fromhex(m["d"]))

    def _c_uart_read(self, m: dict[str, Any]) -> str:
        n = int(m.get("n", -1))
        until = bytes.fromhex(m["until"]) if m.get("until") else None
        with self.cond:
            port = self.board.port(m["u"])

            def end() -> int:
                if until is not None:
                    i = port.capture.find(until)
                    return -1 if i < 0 else i + len(until)
                if n < 0:
                    return len(port.capture)
                return n if len(port.capture) >= n else -1

            if _timeout(m) > 0:
                self._wait(lambda: end() >= 0, _timeout(m),
                           lambda: f"UART {port.id} to send {until!r} / {n} bytes "
                           f"(it sent {bytes(port.capture)!r})")
            stop = end() if end() >= 0 else len(port.capture)
            data = bytes(port.capture[:stop])
            del port.capture[:stop]
            return data.hex()

    def _c_uart_state(self, m: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            return to_json(self.board.uart_state(m["u"]))

    def _c_link(self, m: dict[str, Any]) -> int:
        with self.cond:
            port = self.board.port(m["u"])
            self.links_made += 1
            link_id = self.links_made
        try:
            link = PeerLink(link_id, port, str(m["peer"]), int(m["peer_u"]),
                            float(m.get("drop") or 0), float(m.get("corrupt") or 0), m.get("seed"))
        except OSError as exc:
            raise HardwareRequestError(f"cannot reach the peer hub at {m['peer']}: {exc}") from exc
        with self.cond:
            self.links[link_id] = link
        link.start()
        return link_id

    def _link(self, m: dict[str, Any]) -> PeerLink:
        with self.cond:
            link = self.links.get(int(m["id"]))
        if link is None:
            raise HardwareRequestError(f"{self.name} has no UART link {m['id']}")
        return link

    def _c_link_set(self, m: dict[str, Any]) -> None:
        direction = str(m.get("dir") or "both")
        if direction not in ("both", "a>b", "b>a"):
            raise HardwareRequestError(f"direction is 'both', 'a>b' or 'b>a', not {direction!r}")
        self._link(m).set(m.get("drop"), m.get("corrupt"), direction)

    def _c_link_stats(self, m: dict[str, Any]) -> dict[str, Any]:
        return to_json(self._link(m).stats())

    def _c_unlink(self, m: dict[str, Any]) -> None:
        link = self._link(m)
        with self.cond:
            self.links.pop(link.id, None)
        link.close()

    # ---- Wi-Fi

    def _c_wlan(self, m: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            return to_json(self.board.wlan_state(int(m.get("if") or 0)))

    def _c_set_wifi(self, m: dict[str, Any]) -> None:
        networks = m.get("networks")
        with self.cond:
            self.board.set_wifi(
                None if networks is None else dict(networks), bool(m.get("up", True))
            )

    def _c_wait_wlan(self, m: dict[str, Any]) -> dict[str, Any]:
        connected = bool(m.get("connected", True))
        with self.cond:
            self._wait(lambda: self.board.wlan[0]["connected"] == connected, _timeout(m),
                       lambda: f"Wi-Fi to be {'up' if connected else 'down'}")
            return to_json(self.board.wlan_state(0))

    def _c_ping(self, m: dict[str, Any]) -> float:
        return time.time()
