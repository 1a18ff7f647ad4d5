"""The super device's interface from the host: a named method goes to whichever member
holds its role now; while the role moves (its holder died, the leader has not yet placed
it, its services are starting) the call is retried with backoff until a deadline, so it
is answered late rather than lost. Events arrive as `group.event` from the holder."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..bus.errors import (
    BusError,
    Busy,
    CallTimeout,
    NoSuchMethod,
    NoSuchNode,
    NoSuchService,
    RemoteError,
)
from ..bus.events import Event
from ..bus.sync import SyncBus, SyncSubscription
from .errors import GroupError, RoleUnavailable
from .health import ASK_TIMEOUT, read_status
from .manifest import Manifest

CALL_DEADLINE = 10.0  # seconds an interface call may take, failover included
ATTEMPT_TIMEOUT = 1.0  # seconds for one try at the holder
FIRST_BACKOFF = 0.05
MAX_BACKOFF = 0.4
# Failures that mean "the role is moving": try again at its (new) holder.
MOVING = (CallTimeout, NoSuchNode, NoSuchService, NoSuchMethod, Busy)


@dataclass(frozen=True)
class CallStats:
    attempts: int
    holders: tuple[str, ...]  # members tried, in order
    seconds: float


class Interface:
    """Calls on the super device's named methods, by role holder, with failover retries."""

    def __init__(self, bus: SyncBus, manifest: Manifest) -> None:
        self.bus = bus
        self.manifest = manifest
        self.members = [m.name for m in manifest.members]
        self._leader: str | None = None
        self._holders: dict[str, str] = {}
        self.last: CallStats | None = None

    def holder(self, role: str, refresh: bool = False) -> str | None:
        """The member holding `role` as the leader says (cached until a call fails)."""
        if not refresh and role in self._holders:
            return self._holders[role]
        roles, down = self._assignment()
        self._holders = {r: h for r, h in roles.items() if h is not None and h not in down}
        return self._holders.get(role)

    def _assignment(self) -> tuple[dict[str, str | None], set[str]]:
        if self._leader is not None:  # the quick way: ask the leader we know
            try:
                status = self.bus.call(self._leader, "group.status", timeout=ASK_TIMEOUT / 2)
                if status.get("leader") == self._leader:
                    return dict(status.get("roles") or {}), _down(status)
            except BusError:
                pass
        roles = [r.name for r in self.manifest.roles]
        view = read_status(self.bus, self.manifest.name, self.members, roles, versions=False)
        self._leader = view.leader
        return view.roles, {m.name for m in view.members if m.state == "down"}

    def call(self, name: str, *args: Any, deadline: float = CALL_DEADLINE,
             attempt_timeout: float = ATTEMPT_TIMEOUT) -> Any:
        """Call interface method `name`; raises RoleUnavailable when no holder answered
        within `deadline` seconds, or the method's own error (RemoteError)."""
        if name not in self.manifest.methods:
            known = ", ".join(sorted(self.manifest.methods)) or "none"
            raise GroupError(f"group {self.manifest.name} has no method {name!r} (its "
                             f"interface: {known})")
        endpoint = self.manifest.methods[name]
        started = time.monotonic()
        backoff = FIRST_BACKOFF
        tried: list[str] = []
        last: str = "no member holds it"
        while True:
            left = deadline - (time.monotonic() - started)
            try:
                holder = self.holder(endpoint.role, refresh=bool(tried))
            except BusError as exc:
                holder, last = None, str(exc)
            if holder is not None and left > 0:
                tried.append(holder)
                try:
                    result = self.bus.call(holder, endpoint.topic, *args,
                                           timeout=max(0.05, min(attempt_timeout, left)))
                except RemoteError:
                    self._stats(tried, started)
                    raise
                except MOVING as exc:
                    last = f"{holder}: {str(exc).splitlines()[0]}"
                else:
                    self._stats(tried, started)
                    return result
            elif holder is None:
                tried.append("-")
            if time.monotonic() - started >= deadline:
                self._stats(tried, started)
                raise RoleUnavailable(
                    f"{self.manifest.name}.{name}: role {endpoint.role} did not answer within "
                    f"{deadline:g} s ({last}); see `harmonia group status`"
                )
            time.sleep(min(backoff, max(0.0, deadline - (time.monotonic() - started))))
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _stats(self, tried: list[str], started: float) -> None:
        self.last = CallStats(len(tried), tuple(tried), time.monotonic() - started)


def _down(status: dict[str, Any]) -> set[str]:
    return {n for n, m in (status.get("members") or {}).items() if m.get("state") == "down"}


@dataclass(frozen=True)
class GroupEvent:
    """One thing seen on a group: an interface event, or a change of roles or health."""

    kind: str  # "event", "roles" or "health"
    name: str  # the interface event's name; "roles" / "health"
    value: Any
    node: str  # the member that sent it
    time: float  # time.time() when received


class Watch:
    """Events of the super device as an iterator: `for e in watch: ...`; close() ends it."""

    def __init__(self, bus: SyncBus, names: Sequence[str] = (), changes: bool = False) -> None:
        self._queue: queue.Queue[GroupEvent | None] = queue.Queue()
        self._names = set(names)
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()
        self._subs: list[SyncSubscription] = [bus.subscribe("group.event", self._event)]
        if changes:
            self._subs.append(bus.subscribe("group.roles", self._change))
            self._subs.append(bus.subscribe("group.health", self._change))

    def _event(self, event: Event) -> None:
        value = event.value
        if not isinstance(value, list | tuple) or len(value) != 2:
            return
        name, payload = value
        if self._names and name not in self._names:
            return
        self._queue.put(GroupEvent("event", str(name), payload, event.node, time.time()))

    def _change(self, event: Event) -> None:
        kind = event.topic.split(".", 1)[1]
        text = repr(event.value)
        with self._lock:  # every member tells; show each change once
            if self._seen.get(kind) == text:
                return
            self._seen[kind] = text
        self._queue.put(GroupEvent(kind, kind, event.value, event.node, time.time()))

    def get(self, timeout: float | None = None) -> GroupEvent | None:
        """The next event (None once closed); `TimeoutError` after `timeout` seconds."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no group event within {timeout or 0:g} s") from None
        if item is None:
            self._queue.put(None)  # closed stays closed
        return item

    def __iter__(self) -> Iterator[GroupEvent]:
        while (item := self.get()) is not None:
            yield item

    def close(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(BusError):
                sub.cancel()
        self._queue.put(None)
