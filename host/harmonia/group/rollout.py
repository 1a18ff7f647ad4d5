"""`rollout()`: new service code to a running group, one member at a time.

Each member gets the new version hot (over the bus, no reboot), reloads the roles it
holds, and must then pass the health check: the group healthy, the member still running
every role it held, none failed to start, and each such role's `check` method answering.
A member that fails is rolled back to the version it ran (the copy the host kept at the
last `up`/rollout) and the rollout stops there. The holders of the roles whose code
changed go first, so a broken version is caught on the first member that runs it, before
any standby (which would take the role over) has it; the group keeps working throughout.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bus.errors import BusError
from .errors import GroupError, RolloutFailed
from .handle import Group
from .health import GroupStatus
from .manifest import Manifest, load
from .tree import deploy_one, stage

Step = Callable[[str, str], None]
HEALTH_TIMEOUT = 10.0


@dataclass(frozen=True)
class MemberRollout:
    name: str
    previous: str | None
    version: str
    changed: bool
    ok: bool
    seconds: float
    error: str | None = None
    rolled_back: bool = False


@dataclass(frozen=True)
class RolloutReport:
    version: str
    previous: str | None
    members: tuple[MemberRollout, ...] = field(default=())
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.members)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "previous": self.previous, "ok": self.ok,
                "seconds": round(self.seconds, 3),
                "members": [m.__dict__ | {"seconds": round(m.seconds, 3)} for m in self.members]}


def _quiet(step: str, detail: str) -> None:
    pass


def order(status: GroupStatus, changed: set[str] | None = None) -> list[str]:
    """Who gets the new code first: the holders of the roles whose code changed (so the
    new code runs at once, on one member, and a failure stops the rollout before any
    standby has it), then the standbys, then the other holders; the leader last of its
    kind, so the group keeps its leader on proven code for as long as possible."""
    changed = set(status.roles) if changed is None else changed

    def rank(name: str) -> tuple[int, int, str]:
        held = {r for r, h in status.roles.items() if h == name}
        first = 0 if held & changed else 1 if not held else 2
        return (first, 1 if name == status.leader else 0, name)
    return sorted((m.name for m in status.members), key=rank)


def changed_roles(manifest: Manifest, old: Path, new: Path) -> set[str]:
    """Roles any of whose service modules differ between two staged trees."""
    def files(root: Path, module: str) -> dict[str, bytes]:
        top = module.split(".")[0]
        paths = [root / f"{top}.py"] if (root / f"{top}.py").exists() else \
            sorted((root / top).rglob("*")) if (root / top).is_dir() else []
        return {str(p.relative_to(root)): p.read_bytes() for p in paths if p.is_file()}

    return {role.name for role in manifest.roles
            if any(files(old, m) != files(new, m) for m in role.services)}


def rollout(group: Group, manifest: Manifest | Path | str | None = None, *,
            step: Step = _quiet, health_timeout: float = HEALTH_TIMEOUT,
            raise_on_failure: bool = True) -> RolloutReport:
    """Deploy the manifest's service code (re-read from its `src`) member by member; see
    the module doc. Raises RolloutFailed (with the report) when a member is rolled back."""
    started = time.monotonic()
    if manifest is None:
        manifest = group.manifest.path
    if not isinstance(manifest, Manifest):
        manifest = load(manifest).with_port(group.manifest.port)
    previous = group.state.version
    old_tree = group.gdir.version_dir(previous) if previous else None
    if old_tree is None or not old_tree.is_dir():
        raise GroupError(f"group {group.name}: the host kept no copy of the running version "
                         f"({previous or 'none'}) to roll back to; run `harmonia group up` "
                         "first")
    status = group.wait_healthy(health_timeout)
    done: list[MemberRollout] = []
    with tempfile.TemporaryDirectory(prefix="harmonia-rollout-") as tmp:
        tree = stage(manifest, Path(tmp) / "services")
        plan = order(status, changed_roles(manifest, old_tree, tree))
        version = ""
        for name in plan:
            t0 = time.monotonic()
            held = [r for r, h in group.status(versions=False).roles.items() if h == name]
            step("deploy", f"{name}: new code" + (f" (holds {', '.join(held)})" if held else ""))
            result = deploy_one(group.bus, name, tree)
            version = result.version
            if not result.changed:
                done.append(MemberRollout(name, result.previous, version, False, True,
                                          time.monotonic() - t0))
                continue
            step("check", f"{name}: reloading its roles and checking health")
            problem = _reload_and_check(group, manifest, name, held, health_timeout)
            if problem is None:
                done.append(MemberRollout(name, result.previous, version, True, True,
                                          time.monotonic() - t0))
                continue
            step("rollback", f"{name}: {problem}; rolling back to {previous}")
            deploy_one(group.bus, name, old_tree)
            _reload(group, name)
            group.wait_healthy(health_timeout)
            done.append(MemberRollout(name, result.previous, version, True, False,
                                      time.monotonic() - t0, problem, True))
            report = RolloutReport(version, previous, tuple(done), time.monotonic() - started)
            if raise_on_failure:
                rest = [n for n in plan if n not in {m.name for m in done}]
                raise RolloutFailed(
                    f"{name} failed its health check after taking version {version} "
                    f"({problem}); it was rolled back to {previous} and the rollout stopped"
                    + (f"; {', '.join(rest)} still run {previous}" if rest else ""),
                    report)
            return report
        group.gdir.keep_version(version, tree)
    group.state.previous, group.state.version = previous, version
    group.gdir.save(group.state)
    return RolloutReport(version, previous, tuple(done), time.monotonic() - started)


def _reload(group: Group, name: str) -> None:
    try:
        group.bus.call(name, "group.reload", timeout=5.0)
    except BusError as exc:
        raise GroupError(f"{name} did not reload its roles: {exc}") from None


def _reload_and_check(group: Group, manifest: Manifest, name: str, held: list[str],
                      timeout: float) -> str | None:
    """None when `name` is healthy on its new code, else what is wrong."""
    try:
        _reload(group, name)
    except GroupError as exc:
        return str(exc)
    deadline = time.monotonic() + timeout
    problem = "the group did not settle"
    while time.monotonic() < deadline:
        status = group.status(versions=False)
        me = status.member(name)
        if me.failed:
            role, why = next(iter(me.failed.items()))
            return f"role {role} did not start: {why}"
        lost = [r for r in held if r not in me.roles]
        if status.healthy and not lost:
            return _checks(group, manifest, name, held)
        problem = "; ".join(status.problems) or f"it no longer runs {', '.join(lost)}"
        time.sleep(0.1)
    return problem


def _checks(group: Group, manifest: Manifest, name: str, held: list[str]) -> str | None:
    for role in (manifest.role(r) for r in held):
        if role.check is None:
            continue
        try:
            group.bus.call(name, role.check.topic, timeout=3.0)
        except BusError as exc:
            return f"role {role.name}'s check {role.check.topic} failed: " + \
                str(exc).splitlines()[0]
    return None
