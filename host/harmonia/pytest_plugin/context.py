"""The plugin's state: `HilSession` (the bench, leases, directories; one per test process)
and `Hil` (one test's boards, host bus node, port, key and logs)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..boards import BoardProfile, load_profile
from ..bus.testing import free_udp_port
from .app import App
from .errors import BenchError, Unavailable
from .hostbus import BusTrace, HostBus
from .lease import Lease, LeaseDir
from .spec import Bench, BoardSpec

if TYPE_CHECKING:
    from ..vboard.hw import UartLink
    from .dut import Board

DEFAULT_PROFILE = "virtual"


@dataclass(frozen=True)
class Requirements:
    """What a test asks of its boards (`@pytest.mark.board(profile=, needs=, count=)`)."""

    profiles: tuple[str, ...] = ()  # any one of these; empty: any profile
    needs: tuple[str, ...] = ()
    count: int | None = None

    def describe(self) -> str:
        parts = []
        if self.profiles:
            parts.append(f"profile {' or '.join(self.profiles)}")
        if self.needs:
            parts.append(" and ".join(self.needs))
        return ", ".join(parts) or "a board"


@dataclass(frozen=True)
class Unit:
    """One leasable board: a bench entry, or one slot of a virtual pool."""

    key: str
    spec: BoardSpec
    profile: BoardProfile | None


class HilSession:
    """The boards this test process may use, and where their files go."""

    def __init__(self, bench: Bench, *, lease_dir: Path, state_dir: Path, log_root: Path,
                 lease_timeout: float, bus_address: str | None = None,
                 private_dir: Path | None = None) -> None:
        self.bench = bench
        self.private_dir = private_dir or state_dir.parent
        self.leases = LeaseDir(lease_dir)
        self.state_dir = state_dir
        self.log_root = log_root
        self.lease_timeout = lease_timeout
        self._bus_address = bus_address
        self._profiles: dict[str, BoardProfile | None] = {}

    @property
    def bus_address(self) -> str:
        """Where test host nodes bind: the option, the bench, else loopback when every
        board is virtual and every interface otherwise."""
        if self._bus_address:
            return self._bus_address
        if self.bench.bus.address:
            return self.bench.bus.address
        real = any(spec.kind != "virtual" for spec in self.bench.boards)
        return "0.0.0.0" if real else "127.0.0.1"

    def roomy_boards(self, heap: int) -> Path:
        """Board files whose heaps are raised to `heap` for virtual boards (the firmware does
        not fit the small profiles yet: harmonia.demo.roomy); made once per process."""
        from ..demo.roomy import roomy_boards

        folder = self.private_dir / f"hm-boards-{heap}"
        if not (folder / ".done").exists():
            roomy_boards(folder, heap)
            (folder / ".done").touch()
        return folder

    def profile_of(self, spec: BoardSpec) -> BoardProfile | None:
        """The spec's profile; a serial board without one is named by its USB ID if it can be."""
        if spec.profile is not None:
            return load_profile(spec.profile)
        if spec.kind != "serial" or spec.port is None:
            return None
        if spec.port not in self._profiles:
            from ..ports import list_ports

            found = None
            with contextlib.suppress(Exception):
                ports = list_ports(include_virtual=False, include_bootsel=False)
                info = next((p for p in ports if p.device == spec.port), None)
                found = load_profile(info.board) if info is not None and info.board else None
            self._profiles[spec.port] = found
        return self._profiles[spec.port]

    def units(self, req: Requirements) -> tuple[list[Unit], list[str]]:
        """Every board that fits `req`, in bench order; and why each other entry does not."""
        from .dut import capabilities

        fits: list[Unit] = []
        misses: list[str] = []
        seen: set[str] = set()
        for spec in self.bench.boards:
            if spec.kind == "virtual" and spec.profile is None:
                profile: BoardProfile | None = load_profile(
                    req.profiles[0] if req.profiles else DEFAULT_PROFILE)
            else:
                profile = self.profile_of(spec)
            why = _mismatch(spec, profile, req, capabilities(spec, profile))
            if why:
                misses.append(f"{spec.describe()}: {why}")
                continue
            keys = ([f"vslot-{i}" for i in range(1, spec.count + 1)] if spec.kind == "virtual"
                    else [f"{spec.kind}:{spec.port or spec.address}"])
            for key in keys:
                if key not in seen:
                    seen.add(key)
                    fits.append(Unit(key, spec, profile))
        return fits, misses

    def lease(self, req: Requirements, count: int, holder: str, skip: Callable[[str], Any],
              held: frozenset[str] = frozenset()) -> list[tuple[Unit, Lease]]:
        """`count` boards that fit, leased; `skip(reason)` when the bench cannot have them.
        `held`: lease keys the test holds already (a group's members), left out."""
        fits, misses = self.units(req)
        fits = [unit for unit in fits if unit.key not in held]
        if len(fits) < count:
            have = f"{len(fits)} fit" if fits else "none fits"
            detail = f" ({'; '.join(misses)})" if misses else ""
            skip(f"needs {count} board(s) with {req.describe()}: of the boards given "
                 f"({self.bench.describe()}) {have}{detail}")
        by_key = {unit.key: unit for unit in fits}
        got = self.leases.acquire([u.key for u in fits], count, holder, self.lease_timeout)
        return [(by_key[lease.key], lease) for lease in got]


def _mismatch(spec: BoardSpec, profile: BoardProfile | None, req: Requirements,
              caps: frozenset[str]) -> str:
    if req.profiles and (profile is None or profile.name not in req.profiles):
        return f"profile is {profile.name if profile else 'unknown'}"
    missing = [need for need in req.needs if need not in caps]
    if missing:
        return f"no {', '.join(missing)} (has {', '.join(sorted(caps))})"
    return ""


def safe_name(nodeid: str) -> str:
    """A test id as a directory name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[-120:] or "test"


class Hil:
    """One test's boards, host bus node, port and key; `close()` stops and releases all."""

    def __init__(self, session: HilSession, nodeid: str) -> None:
        self.session = session
        self.nodeid = nodeid
        self.logdir = session.log_root / safe_name(nodeid)
        self.logdir.mkdir(parents=True, exist_ok=True)
        settings = session.bench.bus
        self.port = settings.port or free_udp_port()
        self.key: bytes | None = settings.key if settings.key is not None else os.urandom(32)
        self.wifi = dict(settings.wifi)
        self.boards: list[Board] = []
        self.leases: list[Lease] = []
        self.timings: list[tuple[str, float, float, bool]] = []
        self.traces: dict[str, BusTrace] = {}  # other host nodes' traces (a group's own)
        self._bus: HostBus | None = None
        self._notes: list[str] = []
        self._closers: list[Callable[[], None]] = []
        self._next = 1

    # ---- the host node ----------------------------------------------------------------

    @property
    def bus(self) -> HostBus:
        """The test's host bus node, opened on first use."""
        if self._bus is None:
            self._bus = HostBus.open(address=self.session.bus_address, port=self.port,
                                     key=self.key)
            for line in self._notes:
                self._bus.trace.note(line)
        return self._bus

    @property
    def bus_opened(self) -> HostBus | None:
        return self._bus

    def note(self, text: str) -> None:
        """A line in the bus trace (kept until the host node opens, if it has not yet)."""
        if self._bus is not None:
            self._bus.trace.note(text)
        else:
            self._notes.append(text)

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    # ---- boards -----------------------------------------------------------------------

    def take(self, req: Requirements, count: int, app: App | None,
             skip: Callable[[str], Any]) -> list[Board]:
        """Lease `count` boards that fit `req`, put `app` on them, start them, wait for them."""
        from .sdut import NetworkBoard, SerialBoard
        from .vdut import VirtualBoardDut, start_virtual

        leased = self.session.lease(req, count, self.nodeid, skip,
                                    frozenset(lease.key for lease in self.leases))
        self.leases.extend(lease for _, lease in leased)
        made: list[Board] = []
        for unit, lease in leased:
            spec = unit.spec
            if not spec.provision and (self.session.bench.bus.port == 0 or spec.node is None):
                raise BenchError(
                    f"{spec.describe()} is not provisioned by the plugin, so the bench must "
                    "give its node name (node = ...) and the bus port and key it uses ([bus])"
                )
            name = spec.node if not spec.provision and spec.node else self._name()
            board: Board
            if spec.kind == "virtual":
                slot = lease.key.replace("vslot-", "hil")
                board = VirtualBoardDut(self, spec, name, unit.profile, app, slot)
            elif spec.kind == "serial":
                board = SerialBoard(self, spec, name, unit.profile, app)
            else:
                board = NetworkBoard(self, spec, name, unit.profile, app)
            made.append(board)
        self.boards.extend(made)
        start_virtual([b for b in made if isinstance(b, VirtualBoardDut)])
        for board in made:
            if not isinstance(board, VirtualBoardDut):
                board.start()
        for board in made:
            board.wait_ready()
        return made

    def _name(self) -> str:
        taken = {b.name for b in self.boards}
        while f"dut{self._next}" in taken:
            self._next += 1
        name = f"dut{self._next}"
        self._next += 1
        return name

    def board(self, name: str) -> Board:
        for board in self.boards:
            if board.name == name:
                return board
        raise KeyError(f"no board {name!r} in this test (boards: "
                       f"{', '.join(b.name for b in self.boards) or 'none'})")

    def link_uart(self, a: Board, b: Board, uart: int = 1, *, drop: float = 0.0,
                  corrupt: float = 0.0, seed: int | str | None = None) -> UartLink:
        """Wire UART `uart` of virtual board `a` to the same UART of `b` (the bus runs over
        it when the app's config lists it in "serial"); `a.noise()` damages it later."""
        from .vdut import VirtualBoardDut

        if not (isinstance(a, VirtualBoardDut) and isinstance(b, VirtualBoardDut)):
            raise Unavailable(f"a simulated UART link needs two virtual boards, not {a.label} "
                              f"and {b.label}: wire real boards on the bench")
        link = a.hardware().link_uart(uart, b.hardware(), uart, drop=drop, corrupt=corrupt,
                                      seed=seed)
        a.links.append(link)
        b.links.append(link)
        self.note(f"UART{uart} link {a.name} <-> {b.name}")
        return link

    # ---- the end ----------------------------------------------------------------------

    def close(self) -> list[str]:
        """Stop everything; the errors met on the way (teardown must finish regardless)."""
        from .vdut import VirtualBoardDut, stop_virtual

        errors: list[str] = []

        def attempt(what: str, func: Callable[[], object]) -> None:
            try:
                func()
            except Exception as exc:  # noqa: BLE001 - collected and reported
                errors.append(f"{what}: {type(exc).__name__}: {exc}")

        self.save_logs()
        for closer in reversed(self._closers):
            attempt("cleanup", closer)
        self._closers.clear()
        virtual = [b for b in self.boards if isinstance(b, VirtualBoardDut)]
        attempt("stopping virtual boards", lambda: stop_virtual(virtual))
        for board in self.boards:
            if not isinstance(board, VirtualBoardDut):
                attempt(f"stopping {board.label}", board.stop)
        if self._bus is not None:
            attempt("closing the host bus node", self._bus.close)
        for lease in self.leases:
            lease.release()
        self.leases.clear()
        return errors

    def save_logs(self) -> None:
        """Each board's console (readable) and the bus trace, in the test's log directory."""
        for board in self.boards:
            with contextlib.suppress(OSError):
                text = board.console_text()
                if text:
                    (self.logdir / f"{board.name}.console.txt").write_text(text)
        if self._bus is not None:
            with contextlib.suppress(OSError):
                (self.logdir / "bus-trace.txt").write_text(self._bus.trace.text())
        for name, trace in self.traces.items():
            with contextlib.suppress(OSError):
                (self.logdir / f"{name.replace(' ', '-')}.txt").write_text(trace.text())
