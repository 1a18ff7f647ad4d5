"""`Board`: one device under test as a test drives it, whatever it is (virtual, on a serial
port, or only on the network). What a kind of board cannot do raises `Unavailable`, which
the plugin reports as a skip, so one suite runs unchanged on every bench.

    board.exec("print(1)")                    # REPL (interrupts the app; restart() resumes)
    board.expect(r"hm: node \\w+", timeout=5)  # console, pexpect-style cursor
    board.call("sys.info")                    # bus, through the test's host node
    board.kill(); board.power_on()            # faults, where the board allows them
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ..boards import BoardProfile
from . import repl
from .app import READY, App
from .console import Console, Pattern
from .errors import BoardSetupError, Unavailable
from .spec import BoardSpec, Kind

if TYPE_CHECKING:
    from ..bus import Peer
    from .context import Hil
    from .hostbus import Events, HostBus

SIMULATED_RADIOS = ("wifi",)  # what a virtual board's network layer simulates
BOOT_TIMEOUT = 20.0
# MicroPython's banner comes only once main.py has ended: the app died before its bus ran.
APP_ENDED = r'Type "help\(\)" for more information'


def capabilities(spec: BoardSpec, profile: BoardProfile | None) -> frozenset[str]:
    """What a board can do, as `@pytest.mark.board(needs=[...])` names it."""
    caps = {"bus", "latency", "reboot"}
    radios = profile.radios if profile is not None else ()
    if spec.kind == "virtual":
        caps |= {"repl", "fs", "console", "kill", "reset_line", "noise", "hardware"}
        caps |= {r for r in radios if r in SIMULATED_RADIOS}
    else:
        caps |= set(radios)
    if spec.kind == "serial":
        caps |= {"repl", "fs", "console"}
        if reset_line(spec, profile) != "none":
            caps.add("reset_line")
    if spec.power_off and spec.power_on:
        caps.add("kill")
    return frozenset(caps | set(spec.tags))


def reset_line(spec: BoardSpec, profile: BoardProfile | None) -> str:
    """How the serial port resets the board: an RTS pulse (ESP32 boards), or not at all."""
    if spec.reset != "auto":
        return spec.reset
    return "classic" if profile is not None and profile.family.startswith("esp32") else "none"


class Board:
    """A device under test. Subclasses fill in what their kind of board can do."""

    kind: ClassVar[Kind]

    def __init__(self, hil: Hil, spec: BoardSpec, name: str, profile: BoardProfile | None,
                 app: App | None) -> None:
        self.hil = hil
        self.spec = spec
        self.name = name  # its bus node name
        self.profile = profile
        self.app = app
        self.capabilities = capabilities(spec, profile)
        self.console = Console(hil.logdir / f"{name}.console.log", name)
        self._boot_mark = 0

    # ---- identity ---------------------------------------------------------------------

    @property
    def label(self) -> str:
        """How messages name it: node name and where it is."""
        return f"{self.name} ({self.where})"

    @property
    def where(self) -> str:
        return self.spec.describe()

    @property
    def port(self) -> str | None:
        """Its console's serial port, if it has one."""
        return self.spec.port

    @property
    def address(self) -> str | None:
        """Its network address, once known."""
        return self.spec.address

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def require(self, capability: str, what: str, hint: str = "") -> None:
        """Unavailable (a skip) unless the board has `capability`."""
        if capability not in self.capabilities:
            raise Unavailable(f"{what} is not available on {self.label}" +
                              (f": {hint}" if hint else ""))

    def note(self, text: str) -> None:
        """Record a fault or reset in the test's bus trace (and so in its report)."""
        self.hil.note(f"{self.name}: {text}")

    # ---- life cycle (the plugin calls these) --------------------------------------------

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def pids(self) -> list[int]:
        """Processes this board runs on the host (virtual boards), for leak checks."""
        return []

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Wait until the app's bus node says it runs (its boot line on the console, after
        the last reset); the test's `expect` cursor stays where it was."""
        if self.app is None or not self.app.bus:
            return
        try:
            self.console.wait(READY + " ", timeout, self._boot_mark,
                              fail=APP_ENDED)
        except AssertionError as exc:
            raise BoardSetupError(f"{self.label} did not start its bus node: {exc}") from None

    def _rebooting(self) -> None:
        """A reset is coming: the next boot line counts from here, and so does `expect`."""
        self._boot_mark = self.console.end()
        self.console.cursor = max(self.console.cursor, self._boot_mark)

    # ---- console ----------------------------------------------------------------------

    def expect(self, pattern: Pattern, timeout: float = 10.0, *,
               not_matching: Pattern | None = None) -> re.Match[str]:
        """Wait for console output matching `pattern` (a regex) after the last match."""
        self.require("console", "console output", "give the board's serial port in the bench")
        return self.console.expect(pattern, timeout, not_matching=not_matching)

    def expect_exact(self, text: str, timeout: float = 10.0) -> str:
        self.require("console", "console output", "give the board's serial port in the bench")
        return self.console.expect_exact(text, timeout)

    def console_text(self) -> str:
        """This test's console output, readable (CR LF unified, REPL control bytes out)."""
        return self.console.readable()

    # ---- REPL and files -----------------------------------------------------------------

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code in the raw REPL (this stops the running app; `restart()` resumes it)."""
        raise Unavailable(f"no REPL on {self.label}: give its serial port in the bench file")

    def eval(self, expression: str, timeout: float = 10.0) -> Any:
        """The value of a literal expression on the board (through the REPL)."""
        raise Unavailable(f"no REPL on {self.label}: give its serial port in the bench file")

    def write_file(self, path: str, data: bytes | str) -> None:
        raise Unavailable(f"no file access on {self.label}: give its serial port")

    def read_file(self, path: str) -> bytes:
        raise Unavailable(f"no file access on {self.label}: give its serial port")

    def listdir(self, path: str = "/") -> list[str]:
        raise Unavailable(f"no file access on {self.label}: give its serial port")

    def remove(self, path: str) -> None:
        raise Unavailable(f"no file access on {self.label}: give its serial port")

    def restart(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Soft reset: main.py runs the app again (after REPL use); waits for its bus node."""
        raise Unavailable(f"no soft reset on {self.label}: give its serial port")

    # ---- bus --------------------------------------------------------------------------

    @property
    def bus(self) -> HostBus:
        """The test's host bus node (opened on first use)."""
        return self.hil.bus

    def call(self, method: str, *args: Any, timeout: float = 3.0) -> Any:
        """Call `service.method` on this board over the bus."""
        return self.bus.call(self.name, method, *args, timeout=timeout)

    def events(self, topic: str) -> Events:
        """This board's `service.event` events, as they arrive."""
        return self.bus.events(topic, node=self.name)

    def info(self) -> dict[str, Any]:
        """Its `sys.info()`."""
        answer = self.call("sys.info")
        return dict(answer) if isinstance(answer, dict) else {"info": answer}

    def peer(self, timeout: float = 10.0) -> Peer:
        """This board as the host's bus node sees it (waits for it to be heard)."""
        return self.bus.peer(self.name, timeout)

    # ---- faults -----------------------------------------------------------------------

    def kill(self) -> None:
        """Power off at once: nothing is said on the bus; `power_on()` brings it back."""
        self.require("kill", "killing the board",
                     "add power_off and power_on commands to its bench entry")
        self._kill()

    def power_on(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Power on after `kill()`, and wait for the app's bus node."""
        self.require("kill", "powering the board", "add power_on to its bench entry")
        self._power_on()
        self.wait_ready(timeout)

    def reboot(self, timeout: float = BOOT_TIMEOUT) -> None:
        """`machine.reset()`: a hard reset the board asks for; waits for the app again."""
        self.note("reboot")
        self._reboot()
        self.wait_ready(timeout)

    def reset_line(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Pull the reset line (DTR/RTS on a serial adapter); waits for the app again."""
        self.require("reset_line", "the reset line",
                     "this board's port has no DTR/RTS reset circuit (set reset = ... in the "
                     "bench)")
        self.note("reset line")
        self._reset_line()
        self.wait_ready(timeout)

    def add_latency(self, seconds: float) -> None:
        """Delay every frame between the host and this board by `seconds`, each way
        (board-to-board traffic is not delayed); 0 removes it."""
        address = self._bus_address()
        self.note(f"latency {seconds:g} s each way on the host path")
        self.bus.set_latency(address, seconds)

    def partition(self) -> None:
        """Cut the board off from the rest of the group (its peers stop hearing it)."""
        raise Unavailable(
            f"partitioning {self.label} from its group is not available: virtual boards on "
            "UDP share one loopback network with no per-board filter yet"
        )

    def heal(self) -> None:
        """Undo `partition()` and `noise()`."""

    def noise(self, corrupt: float = 0.01, drop: float = 0.0) -> None:
        """Damage bytes on the board's UART links (`corrupt`: bit flips, `drop`: losses)."""
        raise Unavailable(f"serial noise is not available on {self.label}: it needs UART links "
                          "between virtual boards")

    def _bus_address(self) -> str:
        peer = self.peer()
        if peer.route is None or not isinstance(peer.route.addr, tuple):
            raise Unavailable(f"{self.label} is not reached over UDP, so no latency can be added")
        return str(peer.route.addr[0])

    def _kill(self) -> None:
        raise Unavailable(f"killing {self.label} is not available")

    def _power_on(self) -> None:
        raise Unavailable(f"powering {self.label} is not available")

    def _reboot(self) -> None:
        raise Unavailable(f"rebooting {self.label} is not available")

    def _reset_line(self) -> None:
        raise Unavailable(f"the reset line of {self.label} is not available")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


class ReplBoard(Board):
    """A board with a raw REPL behind `_repl(timeout)`, which each kind of board opens on
    its own port: file operations go through it."""

    _repl: Callable[[float], contextlib.AbstractContextManager[Any]]

    def write_file(self, path: str, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        with self._repl(10.0) as transport:
            repl.sync_files(transport, {path: raw})

    def read_file(self, path: str) -> bytes:
        with self._repl(10.0) as transport:
            return bytes(transport.fs_readfile(path))

    def listdir(self, path: str = "/") -> list[str]:
        with self._repl(10.0) as transport:
            return sorted(entry.name for entry in transport.fs_listdir(path))

    def remove(self, path: str) -> None:
        with self._repl(10.0) as transport:
            transport.fs_rmfile(path)
