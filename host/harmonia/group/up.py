"""`up()`: bring a group up from its manifest, or check that it is up and change nothing.

1. virtual members: find them running or start them (with their chips and cables);
2. join the bus on the group's port and key and wait for every member;
3. check the roles against what the members have (`group.caps()`);
4. deploy the service tree to every member at once, over the bus (hot, no reboot);
5. hand out the spec (`group.configure`), with a new version only when it changed;
6. wait until the group is healthy: a leader, every role held and running.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bus.errors import BusError, DiscoveryTimeout, RemoteError
from ..bus.sync import SyncBus
from ..busops.options import open_bus
from ..vboard.board import VirtualBoard
from ..vboard.launch import stop_boards
from ..vboard.state import default_state_dir
from .assign import assign
from .errors import GroupError, MemberUnreachable
from .handle import Group, bus_options, group_key
from .health import GroupStatus, wait_healthy
from .manifest import Manifest, capabilities, load
from .members import virtual_boards, wire_devices, wire_links
from .spec import build_spec, same_spec
from .state import GroupDir, GroupState
from .tree import deploy_all, stage

Step = Callable[[str, str], None]
JOIN_TIMEOUT = 20.0  # seconds for every member to show up on the bus
HEALTH_TIMEOUT = 30.0


@dataclass(frozen=True)
class UpReport:
    name: str
    changed: bool
    actions: tuple[str, ...]  # what was done, in words; empty when nothing was
    assignment: dict[str, str | None]  # role -> holder
    leader: str | None
    version: str  # service tree on every member
    spec_version: int
    seconds: float
    status: GroupStatus | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "changed": self.changed, "actions": list(self.actions),
                "roles": self.assignment, "leader": self.leader, "version": self.version,
                "spec_version": self.spec_version, "seconds": round(self.seconds, 3)}


def _quiet(step: str, detail: str) -> None:
    pass


def up(manifest: Manifest | Path | str, *, state_dir: Path | str | None = None,
       port: int | None = None, detach: bool = True, step: Step = _quiet,
       join_timeout: float = JOIN_TIMEOUT, health_timeout: float = HEALTH_TIMEOUT
       ) -> tuple[Group, UpReport]:
    """Bring the group up (idempotent). Returns the open `Group` (close it, or `down()`)
    and what was done. `detach=False` ties virtual boards to the returned Group's life."""
    started = time.monotonic()
    if not isinstance(manifest, Manifest):
        manifest = load(manifest)
    sd = Path(state_dir) if state_dir is not None else default_state_dir()
    gdir = GroupDir(manifest.name, sd)
    state = gdir.load() if gdir.exists() else GroupState(manifest.name, str(manifest.path),
                                                         manifest.port)
    if port is not None:
        manifest = manifest.with_port(port)
    state.manifest, state.port = str(manifest.path.resolve()), manifest.port
    key = group_key(manifest, gdir)
    boards: dict[str, VirtualBoard] = {}
    bus: SyncBus | None = None
    try:
        boards, actions, marks = virtual_boards(manifest, sd, state, key, detach=detach,
                                                step=step)
        gdir.save(state)  # from here `down` finds the boards, whatever happens next
        actions += wire_devices(manifest, boards, step)
        actions += wire_links(manifest, boards, state, step, marks)
        gdir.save(state)
        bus = open_bus(bus_options(manifest, key))
        _join(bus, manifest, step, join_timeout)
        _check_caps(bus, manifest, step)
        version, deployed = _deploy(bus, manifest, gdir, state, step)
        actions += deployed
        spec_version, configured = _configure(bus, manifest, state, step)
        actions += configured
        gdir.save(state)
        group = Group(manifest, gdir, state, key, bus, boards)
        status = _healthy(group, step, health_timeout)
    except BaseException:
        if bus is not None:
            bus.close()
        if not detach:  # nothing outlives a failed library bring-up
            stop_boards(list(boards.values()))
        raise
    report = UpReport(manifest.name, bool(actions), tuple(actions), dict(status.roles),
                      status.leader, version, spec_version, time.monotonic() - started, status)
    return group, report


def _join(bus: SyncBus, manifest: Manifest, step: Step, timeout: float) -> None:
    names = [m.name for m in manifest.members]
    step("join", f"waiting for {', '.join(names)} on the bus (port {manifest.port})")
    try:
        bus.wait_for_peers(len(names), timeout=timeout, names=names)
    except DiscoveryTimeout:
        present = {p.name for p in bus.peers()}
        gone = ", ".join(n for n in names if n not in present)
        raise MemberUnreachable(
            f"group {manifest.name}: {gone} did not show up on the bus within {timeout:g} s; "
            f"check each runs Harmonia with the group's key on port {manifest.port} "
            "(`harmonia discover`), or its console (`harmonia vboard logs NAME`)"
        ) from None


def _on_all(bus: SyncBus, names: list[str], method: str, *args: Any,
            timeout: float = 5.0, within: float = 0.0) -> dict[str, Any]:
    """`method(*args)` on every member at once; each result, or the exception it raised.
    With `within`, a member that does not answer (no route yet, a lost frame) is asked
    again until `within` seconds have passed."""
    def one(name: str) -> Any:
        deadline = time.monotonic() + within
        while True:
            try:
                return bus.call(name, method, *args, timeout=timeout)
            except RemoteError as exc:
                return exc
            except BusError as exc:
                if time.monotonic() >= deadline:
                    return exc
                time.sleep(0.2)

    with ThreadPoolExecutor(max(1, len(names))) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def _check_caps(bus: SyncBus, manifest: Manifest, step: Step) -> None:
    """Refuse, before deploying anything, a group whose roles nobody can hold."""
    step("caps", "asking each member what it has")
    caps: dict[str, dict[str, Any]] = {}
    names = [m.name for m in manifest.members]
    for name, got in _on_all(bus, names, "group.caps", timeout=2.0, within=10.0).items():
        if isinstance(got, BusError):
            raise MemberUnreachable(f"member {name} does not run the group agent ({got}): add "
                                    '"hm.group" to services in its /hm.json')
        member = manifest.member(name)
        known = capabilities(member) or {}
        caps[name] = {**got, "name": name,
                      "pins": sorted({*map(str, got.get("pins") or ()),
                                      *map(str, known.get("pins", ()))}),
                      "radios": (got.get("radios") if member.wifi
                                 else [r for r in got.get("radios") or () if r != "wifi"])}
    assign(manifest.roles, caps)  # raises NoCapableMember with what each member lacks


def _deploy(bus: SyncBus, manifest: Manifest, gdir: GroupDir, state: GroupState,
            step: Step) -> tuple[str, list[str]]:
    names = [m.name for m in manifest.members]
    with tempfile.TemporaryDirectory(prefix="harmonia-group-") as tmp:
        tree = stage(manifest, Path(tmp) / "services")
        step("deploy", f"service code to {len(names)} members")
        outcomes = deploy_all(bus, names, tree)
        failed = [o for o in outcomes if not o.ok]
        if failed:
            raise GroupError("deploy failed on " + "; ".join(
                f"{o.target.name}: {o.error}" for o in failed))
        results = [o.value for o in outcomes if o.value is not None]
        version = results[0].version
        gdir.keep_version(version, tree)
    actions = []
    changed = [r.target for r in results if r.changed]
    if changed:
        actions.append(f"deployed service version {version} to {', '.join(changed)}")
        for name, got in _on_all(bus, changed, "group.reload", within=5.0).items():
            if isinstance(got, BusError):
                raise GroupError(f"{name} did not reload its roles' new code: {got}")
    if state.version != version:
        state.previous, state.version = state.version, version
    return version, actions


def _configure(bus: SyncBus, manifest: Manifest, state: GroupState,
               step: Step) -> tuple[int, list[str]]:
    names = [m.name for m in manifest.members]
    held = _on_all(bus, names, "group.spec", within=5.0)
    versions = [s.get("version", 0) for s in held.values() if isinstance(s, dict)]
    current = [s for s in held.values() if isinstance(s, dict)]
    same = bool(current) and all(same_spec(s, build_spec(manifest, 0)) for s in current)
    top = max([state.spec_version, *versions])
    if same and len(current) == len(names) and len(set(versions)) == 1:
        state.spec_version = top
        return top, []
    version = top + (0 if same and top else 1)
    spec = build_spec(manifest, version)
    step("configure", f"handing out the group spec (version {version})")
    answers = _on_all(bus, names, "group.configure", spec, within=5.0)
    for name, got in answers.items():
        if isinstance(got, RemoteError):
            raise GroupError(f"{name} refused the group spec: {got.type_name}: "
                             f"{got.remote_message}")
        if isinstance(got, BusError):
            raise MemberUnreachable(f"{name} did not take the group spec: {got}")
    state.spec_version = version
    return version, [f"configured {len(names)} members (spec version {version})"]


def _healthy(group: Group, step: Step, timeout: float) -> GroupStatus:
    def show(status: GroupStatus) -> None:
        placed = sum(1 for h in status.roles.values() if h)
        step("health", f"leader {status.leader or '-'}, {placed}/{len(status.roles)} roles "
                       "placed" + ("" if status.healthy else f" ({status.problems[0]})"))

    status = wait_healthy(lambda: group.status(versions=False), timeout, show)
    if not status.healthy:
        raise GroupError(f"group {group.name} did not become healthy within {timeout:g} s: "
                         + "; ".join(status.problems))
    return status
