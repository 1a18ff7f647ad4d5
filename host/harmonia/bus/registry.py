"""Local services: Python objects offered on the bus under a name and a version.

A service's methods are its public callables unless listed explicitly; names
are turned into wire ids once, here, and a colliding id is refused (protocol 4).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..codec import crc16, ident
from ..codec.errors import ReservedIdError
from .errors import ConfigError

ChangeListener = Callable[[], Any]


@dataclass
class Service:
    """One registered service."""

    name: str
    version: str
    obj: object
    id: int
    methods: dict[int, tuple[str, Callable[..., Any]]] = field(default_factory=dict)
    events: tuple[str, ...] = ()

    def describe(self) -> list[Any]:
        """`[name, version, [methods], [events]]`, as `sys.services()` lists it."""
        names = sorted(name for name, _ in self.methods.values())
        return [self.name, self.version, names, list(self.events)]


class Registry:
    """Services by wire id; `on_change` hears every register and unregister."""

    def __init__(self) -> None:
        self._services: dict[int, Service] = {}
        self.on_change: list[ChangeListener] = []

    def register(
        self,
        name: str,
        obj: object,
        version: str = "1.0",
        methods: Iterable[str] | None = None,
        events: Iterable[str] = (),
    ) -> Service:
        """Offer `obj` as service `name`; its public methods become callable on the bus."""
        svc_id = _wire_id(name, "service")
        other = self._services.get(svc_id)
        if other is not None and other.name != name:
            raise ConfigError(
                f"service {name!r} has the same id {svc_id:#06x} as {other.name!r}: rename one"
            )
        service = Service(name, str(version), obj, svc_id, events=_event_names(name, events))
        for method in _method_names(obj) if methods is None else methods:
            func = getattr(obj, method, None)
            if not callable(func):
                raise ConfigError(f"service {name!r} has no callable method {method!r}")
            mth_id = _wire_id(method, "method")
            if mth_id in service.methods:
                clash = service.methods[mth_id][0]
                raise ConfigError(
                    f"methods {method!r} and {clash!r} of {name!r} share id {mth_id:#06x}: "
                    "rename one"
                )
            service.methods[mth_id] = (method, func)
        self._services[svc_id] = service
        self._changed()
        return service

    def unregister(self, name: str) -> None:
        """Withdraw a service; unknown names are ignored."""
        if self._services.pop(ident(name), None) is not None:
            self._changed()

    def lookup(self, svc_id: int) -> Service | None:
        """The service with this wire id, if any."""
        return self._services.get(svc_id)

    def get(self, name: str) -> Service | None:
        """The service registered under `name`, if any."""
        service = self._services.get(ident(name))
        return service if service is not None and service.name == name else None

    def all(self) -> list[Service]:
        """Every service, sorted by name."""
        return sorted(self._services.values(), key=lambda s: s.name)

    def describe(self) -> list[list[Any]]:
        """Every service as `[name, version, [methods], [events]]`."""
        return [service.describe() for service in self.all()]

    def digest(self) -> int:
        """CRC-16 of the sorted `name@version` list joined by `,` (the beacon's `"d"`)."""
        listing = sorted(f"{s.name}@{s.version}" for s in self._services.values())
        return crc16(",".join(listing).encode())

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()


def _wire_id(name: str, what: str) -> int:
    if not name or "." in name:
        raise ConfigError(f"{what} name {name!r} must be non-empty and contain no dot")
    try:
        return ident(name)
    except ReservedIdError as exc:
        raise ConfigError(str(exc)) from None


def _method_names(obj: object) -> list[str]:
    names = []
    for name in dir(obj):
        if name.startswith("_"):
            continue
        if callable(getattr(obj, name, None)) and not inspect.isclass(getattr(obj, name)):
            names.append(name)
    return names


def _event_names(service: str, events: Iterable[str]) -> tuple[str, ...]:
    names = []
    for event in events:
        prefix, dot, short = event.rpartition(".")
        if dot and prefix != service:
            raise ConfigError(f"event {event!r} is not one of service {service!r}'s topics")
        _wire_id(short, "event")
        names.append(short)
    return tuple(names)
