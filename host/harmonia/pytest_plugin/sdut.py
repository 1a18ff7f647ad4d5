"""Real boards as devices under test: on a serial port (REPL, console, files, reset line),
or only on the network (bus calls, and a reboot through `sys.reboot`)."""

from __future__ import annotations

import contextlib
import errno
import shlex
import subprocess
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..boards import BoardProfile
from . import repl
from .app import App
from .console import Console, SerialReader
from .dut import BOOT_TIMEOUT, Board, ReplBoard, reset_line
from .errors import BoardSetupError, Unavailable
from .spec import BoardSpec

if TYPE_CHECKING:
    from .context import Hil

REAL_BOOT_TIMEOUT = 40.0  # Wi-Fi association on a real board takes a while
POWER_TIMEOUT = 30.0


class SerialBoard(ReplBoard):
    """A board on a serial port. The plugin keeps the port open to record the console,
    and lets go of it for each REPL session."""

    kind = "serial"

    def __init__(self, hil: Hil, spec: BoardSpec, name: str, profile: BoardProfile | None,
                 app: App | None) -> None:
        super().__init__(hil, spec, name, profile, app)
        assert spec.port is not None
        self._port: str = spec.port
        self.console = Console(hil.logdir / f"{name}.console.log", name)
        self.reader: SerialReader | None = None
        self._nonce_before: int | None = None

    def start(self) -> None:
        self.reader = SerialReader(self._port, self.spec.baud, self.console.path)
        if not self.spec.provision or self.app is None:
            return
        files = self.app.flash_files(self.name, self.profile.name if self.profile else None,
                                     self.hil.port, self.hil.key, self.hil.wifi)
        with self._repl(15.0) as transport:
            written = repl.sync_files(transport, files)
            self.note(f"provisioned: {', '.join(written) or 'no file changed'}")
        self._soft_reset()

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def wait_ready(self, timeout: float = REAL_BOOT_TIMEOUT) -> None:
        """The app's boot line on the console; or, as a USB board may print it before its
        port is back, the board on the bus with a new boot nonce."""
        timeout = max(timeout, REAL_BOOT_TIMEOUT)
        before = self._nonce_before
        bus = self.hil.bus_opened
        if before is None or bus is None:
            super().wait_ready(timeout)
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                super().wait_ready(0.5)
                return
            except BoardSetupError:
                with contextlib.suppress(Exception):
                    if bus.peer(self.name, 0.1).nonce not in (None, before):
                        return
                if time.monotonic() > deadline:
                    raise

    def _rebooting(self) -> None:
        super()._rebooting()
        self._nonce_before = None
        bus = self.hil.bus_opened
        if bus is not None:
            with contextlib.suppress(Exception):
                self._nonce_before = bus.peer(self.name, 0.1).nonce

    # ---- REPL and files -----------------------------------------------------------------

    @contextlib.contextmanager
    def _repl(self, timeout: float) -> Iterator[Any]:
        if self.reader is None:
            raise BoardSetupError(f"{self.label} is not started")
        with self.reader.paused(), repl.raw_repl(self._port, self.label, self.spec.baud,
                                                 timeout) as transport:
            yield transport

    def exec(self, code: str, timeout: float = 10.0) -> str:
        with self._repl(timeout) as transport:
            out = repl.run(transport, code, self.label, timeout)
        self._record(f"[exec] {code}\n{out}")
        return out

    def eval(self, expression: str, timeout: float = 10.0) -> Any:
        with self._repl(timeout) as transport:
            value = repl.evaluate(transport, expression, self.label, timeout)
        self._record(f"[eval] {expression} -> {value!r}\n")
        return value

    def restart(self, timeout: float = BOOT_TIMEOUT) -> None:
        self.note("soft reset")
        self._soft_reset()
        self.wait_ready(timeout)

    def _soft_reset(self) -> None:
        """Ctrl-D at the friendly REPL: boot.py, then main.py (the app)."""
        self._type(b"\x04")

    def _type(self, line: bytes) -> None:
        """Stop what runs, get the friendly REPL, then type `line` (a reset)."""
        assert self.reader is not None
        self.reader.write(b"\r\x03\x03\x02")
        time.sleep(0.2)
        self._rebooting()
        self.reader.write(line)

    def _record(self, text: str) -> None:
        if self.reader is not None:
            self.reader.append(text.replace("\n", "\r\n"))

    # ---- faults -----------------------------------------------------------------------

    def _reboot(self) -> None:
        self._type(b"import machine; machine.reset()\r")

    def _reset_line(self) -> None:
        import serial

        assert self.reader is not None
        how = reset_line(self.spec, self.profile)
        self._rebooting()
        with self.reader.paused(), serial.serial_for_url(self._port, baudrate=self.spec.baud,
                                                        exclusive=True) as ser:
            try:
                ser.dtr = False  # IO0 released: boot the app, not the ROM loader
                ser.rts = True  # EN (or the USB-JTAG chip reset) held low
                time.sleep(0.1 if how == "classic" else 0.2)
                ser.rts = False
            except OSError as exc:
                if exc.errno in (errno.ENOTTY, errno.EINVAL):
                    raise Unavailable(f"{self.label}: {self._port} has no DTR/RTS lines "
                                      "(a pty or a plain UART); set reset = \"none\"") from None
                raise

    def _kill(self) -> None:
        self.note("power off")
        _run(self.spec.power_off or "", self.label)

    def _power_on(self) -> None:
        self.note("power on")
        self._rebooting()
        _run(self.spec.power_on or "", self.label)


class NetworkBoard(Board):
    """A board known only by its address and node name: bus calls, nothing on a console."""

    kind = "network"

    def start(self) -> None:
        self.console.path.touch()

    def stop(self) -> None:
        pass

    def wait_ready(self, timeout: float = REAL_BOOT_TIMEOUT) -> None:
        self.peer(timeout)

    def _reboot(self) -> None:
        before = self.peer().nonce
        self.call("sys.reboot")
        deadline = time.monotonic() + REAL_BOOT_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.peer(1.0).nonce != before:
                    return
            time.sleep(0.2)
        raise BoardSetupError(f"{self.label} did not come back within {REAL_BOOT_TIMEOUT:g} s "
                              "of sys.reboot")

    def _kill(self) -> None:
        self.note("power off")
        _run(self.spec.power_off or "", self.label)

    def _power_on(self) -> None:
        self.note("power on")
        _run(self.spec.power_on or "", self.label)


def _run(command: str, label: str) -> None:
    """A bench power command (a USB hub port switch, a relay)."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                              timeout=POWER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BoardSetupError(f"{label}: power command {command!r} failed: {exc}") from None
    if done.returncode != 0:
        raise BoardSetupError(f"{label}: power command {command!r} exited {done.returncode}: "
                              f"{(done.stderr or done.stdout).strip()[-500:]}")
