"""Virtual boards as devices under test: a leased slot (`hilN`) of the session's state
directory, started on a fresh flash holding the test's app."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..boards import BoardProfile
from ..vboard import VirtualBoard
from ..vboard.launch import start_boards, stop_boards
from . import repl
from .app import App
from .console import Console
from .dut import BOOT_TIMEOUT, ReplBoard
from .errors import Unavailable
from .spec import BoardSpec

if TYPE_CHECKING:
    from ..vboard.hw import HardwareClient, UartLink
    from .context import Hil


class VirtualBoardDut(ReplBoard):
    """A virtual board leased for one test. Everything is possible here but a partition."""

    kind = "virtual"

    def __init__(self, hil: Hil, spec: BoardSpec, name: str, profile: BoardProfile | None,
                 app: App | None, slot: str, vboard: VirtualBoard | None = None) -> None:
        super().__init__(hil, spec, name, profile, app)
        self.slot = slot
        self.vboard = vboard or VirtualBoard(slot, profile.name if profile else "virtual",
                                             state_dir=hil.session.state_dir)
        self.console = Console(self.vboard.dir.console_log, name)
        self.links: list[UartLink] = []
        self._hw: HardwareClient | None = None
        self._partitioned = False

    @property
    def where(self) -> str:
        return f"virtual {self.profile.name if self.profile else 'virtual'} {self.slot}"

    @property
    def port(self) -> str | None:
        return self.vboard.port if self.vboard.running else None

    @property
    def address(self) -> str | None:
        return self.vboard.address if self.vboard.running else None

    def prepare(self) -> None:
        """A fresh flash with the app on it, and an empty console transcript."""
        bd = self.vboard.dir
        bd.root.mkdir(parents=True, exist_ok=True)
        for stale in (bd.flash, bd.console_log, bd.console_log.with_suffix(".log.1")):
            stale.unlink(missing_ok=True)
        files = (self.app.flash_files(self.name, self.vboard.profile_name, self.hil.port,
                                      self.hil.key, self.hil.wifi) if self.app else {})
        self.vboard.write_files(files)

    def start(self) -> None:
        start_virtual([self])

    def stop(self) -> None:
        stop_virtual([self])

    def pids(self) -> list[int]:
        with contextlib.suppress(Exception):
            return self.vboard.pids
        return []

    # ---- REPL and files -----------------------------------------------------------------

    def exec(self, code: str, timeout: float = 10.0) -> str:
        with self._repl(timeout) as transport:
            return repl.run(transport, code, self.label, timeout)

    def eval(self, expression: str, timeout: float = 10.0) -> Any:
        with self._repl(timeout) as transport:
            return repl.evaluate(transport, expression, self.label, timeout)

    def restart(self, timeout: float = BOOT_TIMEOUT) -> None:
        self.note("soft reset")
        self.vboard.check()
        repl.soft_reboot(self.vboard.port, before=self._rebooting)
        self.wait_ready(timeout)

    def _repl(self, timeout: float) -> contextlib.AbstractContextManager[Any]:
        self.vboard.check()
        return repl.raw_repl(self.vboard.port, self.label, timeout=timeout)

    # ---- hardware -----------------------------------------------------------------------

    def hardware(self) -> HardwareClient:
        """The board's simulated pins and peripherals (`harmonia.vboard.hw`)."""
        if self._hw is None:
            self._hw = self.vboard.hardware()
        return self._hw

    # ---- faults -----------------------------------------------------------------------

    def _kill(self) -> None:
        state = self.vboard.status()
        self.note("killed (power off)")
        if state.child_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.child_pid, signal.SIGKILL)
        self._wait_crashed()

    def _wait_crashed(self) -> None:
        import time

        deadline = time.monotonic() + 5.0
        while self.vboard.status().status != "crashed" and time.monotonic() < deadline:
            time.sleep(0.01)

    def _power_on(self) -> None:
        self.note("power on")
        self._rebooting()
        self.vboard.reset(hard=True)

    def _reboot(self) -> None:
        self._rebooting()
        self.vboard.reset(hard=True)

    def _reset_line(self) -> None:
        self._reboot()

    def noise(self, corrupt: float = 0.01, drop: float = 0.0) -> None:
        if not self.links:
            raise Unavailable(f"{self.label} has no UART link to put noise on: join boards "
                              "with hil_link(a, b) (the `uart_link` fixture) first")
        self.note(f"serial noise: corrupt {corrupt:g}, drop {drop:g}")
        for link in self.links:
            link.set(corrupt=corrupt, drop=drop)

    def partition(self) -> None:
        udp = self.app is None or self.app.config.get("udp", True) is not False
        if udp or not self.links:
            super().partition()
        self.note("partitioned (UART links cut)")
        self._partitioned = True
        for link in self.links:
            link.set(drop=1.0)

    def heal(self) -> None:
        self.note("healed")
        self._partitioned = False
        for link in self.links:
            link.heal()

    def close_hardware(self) -> None:
        for link in self.links:
            with contextlib.suppress(Exception):
                link.close()
        self.links.clear()
        if self._hw is not None:
            with contextlib.suppress(Exception):
                self._hw.close()
            self._hw = None


def start_virtual(boards: Sequence[VirtualBoardDut]) -> None:
    """Start several virtual boards in parallel (each on a fresh flash)."""
    if not boards:
        return
    for board in boards:
        board.prepare()
    start_boards([b.vboard for b in boards])


def stop_virtual(boards: Sequence[VirtualBoardDut]) -> None:
    """Stop them all; every process gone on return."""
    for board in boards:
        board.close_hardware()
    stop_boards([b.vboard for b in boards])
