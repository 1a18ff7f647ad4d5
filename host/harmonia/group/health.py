"""The group as its members see it: who leads, who holds which role, who is up, which
version each runs; and whether that is healthy (docs/group.md, `status()`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from ..bus.errors import BusError
from ..bus.sync import SyncBus

ASK_TIMEOUT = 1.0  # seconds for one member's status


@dataclass(frozen=True)
class MemberView:
    name: str
    reachable: bool  # the host reached it just now
    state: str  # "up" / "down" as the leader sees it, "?" when nobody says
    roles: tuple[str, ...]  # what it says it runs
    fit: tuple[str, ...]  # the roles it could take
    failed: dict[str, str] = field(default_factory=dict)  # role -> why it could not start
    version: str | None = None  # service tree it runs (files.status "active")
    error: str | None = None  # why the host could not reach it


@dataclass(frozen=True)
class GroupStatus:
    name: str
    leader: str | None
    term: int | None
    spec_version: int | None
    roles: dict[str, str | None]  # role -> holder, as the leader assigns them
    members: tuple[MemberView, ...]
    healthy: bool
    problems: tuple[str, ...]  # why not healthy, in words

    def member(self, name: str) -> MemberView:
        return next(m for m in self.members if m.name == name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"] = [asdict(m) for m in self.members]
        return data


def _ask(bus: SyncBus, name: str, versions: bool) -> tuple[dict[str, Any] | None, str | None,
                                                         str | None]:
    try:
        status = bus.call(name, "group.status", timeout=ASK_TIMEOUT)
    except BusError as exc:
        return None, None, str(exc).splitlines()[0]
    version = None
    if versions:
        try:
            version = bus.call(name, "files.status", timeout=ASK_TIMEOUT).get("active")
        except (BusError, AttributeError):
            version = None
    return status, version, None


def read_status(bus: SyncBus, group: str, members: Sequence[str], roles: Sequence[str],
                versions: bool = True) -> GroupStatus:
    """Ask every member at once; the leader's view decides the assignment."""
    with ThreadPoolExecutor(max(1, len(members))) as pool:
        answers = list(pool.map(lambda m: _ask(bus, m, versions), members))
    views = {m: a for m, a in zip(members, answers, strict=True)}
    statuses = {m: s for m, (s, _, _) in views.items() if s is not None}
    leaders = {s.get("leader") for s in statuses.values()} - {None}
    leader = next((m for m in statuses if statuses[m].get("me") == m and
                   statuses[m].get("leader") == m), None)
    if leader is None and len(leaders) == 1:
        leader = next(iter(leaders))
    main = statuses.get(leader or "") or next(iter(statuses.values()), {})
    seen = main.get("members", {}) if main else {}
    member_views = []
    for name in members:
        status, version, error = views[name]
        own = (status or {}).get("members", {}).get(name, {})
        said = seen.get(name, {})
        member_views.append(MemberView(
            name=name,
            reachable=status is not None,
            state=str(said.get("state") or ("up" if status is not None else "?")),
            roles=tuple((status or {}).get("held") or own.get("roles") or said.get("roles") or ()),
            fit=tuple(said.get("fit") or own.get("fit") or ()),
            failed=dict(said.get("failed") or own.get("failed") or {}),
            version=version,
            error=error,
        ))
    assignment: dict[str, str | None] = {r: None for r in roles}
    assignment.update(main.get("roles") or {})
    problems = _problems(leader, assignment, member_views, leaders)
    return GroupStatus(group, leader, main.get("term"), main.get("version"), assignment,
                       tuple(member_views), not problems, tuple(problems))


def _problems(leader: str | None, roles: dict[str, str | None], members: list[MemberView],
              leaders: set[Any]) -> list[str]:
    problems = []
    if leader is None:
        problems.append("no leader" if len(leaders) < 2 else
                        f"members disagree on the leader ({', '.join(sorted(leaders))})")
    by_name = {m.name: m for m in members}
    for role, holder in roles.items():
        if holder is None:
            problems.append(f"role {role} has no holder")
        elif holder not in by_name:
            problems.append(f"role {role} is held by {holder}, which is not a member")
        elif role not in by_name[holder].roles:
            problems.append(f"role {role} is assigned to {holder}, which does not run it yet")
    return problems


def wait_healthy(read: Callable[[], GroupStatus], timeout: float,
                 progress: Callable[[GroupStatus], None] | None = None,
                 ok: Callable[[GroupStatus], bool] | None = None) -> GroupStatus:
    """Poll `read()` until the group is healthy (and `ok(status)`), or `timeout`; the last
    status either way (its `healthy` says which)."""
    deadline = time.monotonic() + timeout
    while True:
        status = read()
        good = status.healthy and (ok is None or ok(status))
        if progress is not None:
            progress(status)
        if good or time.monotonic() >= deadline:
            return status
        time.sleep(0.1)
