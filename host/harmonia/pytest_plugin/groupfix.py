"""The `group` fixture's object: a super device brought up from a manifest with
`harmonia.group.up`, its members as `Board`s (consoles, REPL, faults), torn down after.

    def test_failover(group):
        old = group.holder("control")
        group.kill(old)
        with within(5.0, "failover") as t:
            t.until(lambda: group.holder("control") not in (None, old))
        assert group.call("controller")["on"] in (True, False)
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .app import App
from .dut import Board
from .errors import Unavailable
from .hostbus import BusTrace, trace_bus
from .spec import BoardSpec

if TYPE_CHECKING:
    from ..group import Group, Manifest, UpReport
    from .context import Hil


class HilGroup:
    """A running group for one test. Everything of `harmonia.group.Group` is here too
    (`call`, `watch`, `status`, `holder`, `wait_healthy`, `set_sensor`, ...)."""

    def __init__(self, hil: Hil, group: Group, report: UpReport, members: dict[str, Board],
                 workdir: Path | None) -> None:
        self.hil = hil
        self.group = group
        self.report = report
        self.members = members
        self._workdir = workdir

    def __getattr__(self, name: str) -> Any:
        return getattr(self.group, name)

    @property
    def name(self) -> str:
        return self.group.name

    def member(self, name: str) -> Board:
        """A member as a `Board` (console, REPL, faults)."""
        try:
            return self.members[name]
        except KeyError:
            raise KeyError(f"no member {name!r} in group {self.name} (members: "
                           f"{', '.join(self.members)})") from None

    def holder(self, role: str) -> str | None:
        """The member that holds `role` now (None while it moves)."""
        return self.group.holder(role)

    def rollout(self, manifest: Path | str | None = None, **options: Any) -> Any:
        """`harmonia.group.rollout`: new service code member by member (from `manifest`'s
        src, default the group's own), rolled back on failure; its RolloutReport."""
        from ..group import rollout

        self.hil.note(f"rollout to group {self.name}" + (f" from {manifest}" if manifest else ""))
        report = rollout(self.group, manifest, **options)
        self.hil.note(f"rollout done: version {report.version}, "
                      f"{'ok' if report.ok else 'rolled back'} in {report.seconds:.2f} s")
        return report

    def set_sensor(self, member: str, **values: float) -> None:
        """What a virtual member's simulated chip measures (a skip on a real board)."""
        self._virtual(member, "setting a simulated sensor")
        self.hil.note(f"{member}: sensor {values}")
        self.group.set_sensor(member, **values)

    def hardware(self, member: str) -> Any:
        """A virtual member's simulated pins and peripherals (a skip on a real board)."""
        self._virtual(member, "simulated hardware")
        return self.member(member).hardware()  # type: ignore[attr-defined]

    def _virtual(self, member: str, what: str) -> None:
        if self.member(member).kind != "virtual":
            raise Unavailable(f"{what} needs a virtual board; {member} is "
                              f"{self.member(member).label}")

    # ---- faults -----------------------------------------------------------------------

    def kill(self, member: str) -> None:
        """Power a member off at once (`revive` powers it on again)."""
        self.member(member).kill()

    def revive(self, member: str, timeout: float = 20.0) -> None:
        """Power a killed member on and wait for its bus node."""
        self.member(member).power_on(timeout)

    def reboot(self, member: str) -> None:
        self.member(member).reboot()

    def partition(self, member: str) -> None:
        """Cut a member off from the others; a skip until harmonia.group offers it."""
        hook = getattr(self.group, "partition", None)
        if hook is None:
            raise Unavailable(f"partitioning {member} from group {self.name} is not available: "
                              "harmonia.group has no partition() yet")
        self.hil.note(f"{member}: partitioned from group {self.name}")
        hook(member)

    def heal(self, member: str) -> None:
        hook = getattr(self.group, "heal", None)
        if hook is None:
            raise Unavailable("harmonia.group has no heal() yet")
        self.hil.note(f"{member}: partition healed")
        hook(member)

    # ---- the end ----------------------------------------------------------------------

    def down(self) -> None:
        try:
            self.group.down()
        finally:
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)


def bring_up(hil: Hil, manifest_path: Path) -> HilGroup:
    """`harmonia.group.up` on this test's port (and, for virtual members, a state directory
    of its own); members real boards are leased first."""
    try:
        from ..group import load, up
    except ImportError as exc:  # pragma: no cover - the group package is part of harmonia
        raise Unavailable(f"harmonia.group is not available: {exc}") from None
    manifest = load(manifest_path)
    real = [m for m in manifest.members if not m.virtual]
    if real:
        keys = [f"serial:{m.port}" if m.port else f"network:{m.address}" for m in real]
        hil.leases.extend(hil.session.leases.acquire(keys, len(keys), hil.nodeid,
                                                    hil.session.lease_timeout))
    workdir: Path | None = None
    if len(real) < len(manifest.members):
        root = hil.session.state_dir.parent / "hm-groups"
        root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="g", dir=root))
    port = hil.port if not real else manifest.port
    hil.note(f"group {manifest.name} up from {manifest_path} on port {port}")
    group, report = up(manifest, state_dir=workdir, port=port, detach=False)
    hil.port, hil.key = port, group.key
    trace = BusTrace()
    for role in manifest.roles:
        for name in (f"{role.check.service}.{role.check.name}",) if role.check else ():
            trace.learn(name)
    for endpoint in [*manifest.methods.values(), *manifest.events.values()]:
        trace.learn(f"{endpoint.service}.{endpoint.name}")
    for topic in ("group.call", "group.status", "group.event", "group.roles", "group.health",
                  "group.hb", "group.spec", "group.configure", "group.caps", "group.reload"):
        trace.learn(topic)
    if trace_bus(group.bus, trace):
        trace.note(f"group {manifest.name}'s host node (from harmonia.group.up)")
        hil.traces[f"group {manifest.name} bus trace"] = trace
    made = HilGroup(hil, group, report, _members(hil, manifest, group), workdir)
    hil.boards.extend(made.members.values())
    hil.on_close(made.down)
    return made


def _members(hil: Hil, manifest: Manifest, group: Group) -> dict[str, Board]:
    from ..boards import load_profile
    from .sdut import NetworkBoard, SerialBoard
    from .vdut import VirtualBoardDut

    members: dict[str, Board] = {}
    for m in manifest.members:
        profile = None
        with contextlib.suppress(Exception):
            profile = load_profile(m.board) if m.board else None
        board: Board
        if m.virtual:
            spec = BoardSpec("virtual", m.name, m.board, provision=False)
            board = VirtualBoardDut(hil, spec, m.name, profile, App(), m.name,
                                    vboard=group.boards[m.name])
        elif m.port:
            spec = BoardSpec("serial", m.name, m.board, port=m.port, node=m.name,
                             provision=False)
            board = SerialBoard(hil, spec, m.name, profile, None)
            board.start()
        else:
            spec = BoardSpec("network", m.name, m.board, address=m.address, node=m.name,
                             provision=False)
            board = NetworkBoard(hil, spec, m.name, profile, None)
            board.start()
        members[m.name] = board
    return members
