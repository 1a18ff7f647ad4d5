"""The sections of a manifest, each read and checked with the line of every problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..boards import BoardProfile, UnknownBoardError, load_profile
from ..bus.udp_link import DEFAULT_PORT
from .checks import Reader, capable, hint, reachable, show
from .manifest import (
    ENDPOINT,
    KNOWN_MODELS,
    MODEL_ADDRESS,
    MODULE,
    NAME,
    RESERVED_CONFIG,
    Binding,
    Device,
    Endpoint,
    Link,
    Manifest,
    Member,
    Needs,
    Role,
    module_file,
)
from .tomlpos import KeyPath


def build(r: Reader, path: Path, text: str) -> Manifest | None:
    top = r.table((), ("group", "members", "links", "roles", "bindings", "interface"),
                  ("group", "members", "roles"), where="the manifest")
    if top is None or "group" not in top or "members" not in top or "roles" not in top:
        return None
    group = r.table(("group",), ("name", "key", "key_file", "port", "src", "virtual",
                                 "heartbeat_ms", "lease_ms"),
                    ("name",), where="[group]") or {}
    name = _name(r, ("group", "name"), "a group name") if "name" in group else "group"
    key = _key(r, group, path)
    port = DEFAULT_PORT
    if "port" in group:
        port = r.typed(("group", "port"), int, "a UDP port number") or DEFAULT_PORT
        if not 1 <= port <= 65535:
            r.problem(("group", "port"), f"group.port {port} is not a UDP port (1-65535)")
    src = path.parent
    if "src" in group and (s := r.typed(("group", "src"), str, "a directory")) is not None:
        src = (path.parent / s).resolve()
        if not src.is_dir():
            r.problem(("group", "src"), f"group.src: no directory {src}")
    virtual = bool(group.get("virtual", False))
    if "virtual" in group:
        virtual = bool(r.typed(("group", "virtual"), bool, "true or false"))
    timing = {}
    for k, low, high in (("heartbeat_ms", 20, 10_000), ("lease_ms", 100, 60_000)):
        if k in group and (v := r.typed(("group", k), int, "milliseconds")) is not None:
            if not low <= v <= high:
                r.problem(("group", k), f"group.{k} must be {low}-{high} ms, not {v}")
            timing[k] = v
    if timing.get("heartbeat_ms", 250) * 3 > timing.get("lease_ms", 1000):
        r.problem(("group", "lease_ms"),
                  "group.lease_ms must be at least 3 x heartbeat_ms (the agent refuses less)")
    members = _members(r, virtual)
    names = {m.name for m in members}
    links = _links(r, names) if "links" in top else []
    roles = _roles(r, names, src)
    role_names = {ro.name for ro in roles}
    bindings = _bindings(r, role_names) if "bindings" in top else []
    methods, events = _interface(r, role_names) if "interface" in top else ({}, {})
    if r.problems:
        return None
    manifest = Manifest(path, name, key, port, src, tuple(members), tuple(links), tuple(roles),
                        tuple(bindings), methods, events, timing, text)
    reachable(r, manifest)
    capable(r, manifest)
    return manifest


def _name(r: Reader, path: KeyPath, what: str) -> str:
    value = path[-1] if what != "a group name" else r.get(path)
    if not isinstance(value, str) or not NAME.match(value):
        r.problem(path, f"{show(value)} is not {what}: use 1-24 lowercase letters, digits, "
                        "'-' or '_', starting with a letter")
        return "invalid"
    return value


def _key(r: Reader, group: dict[str, Any], path: Path) -> bytes | None:
    from ..busops.errors import BadArgument
    from ..busops.options import load_key

    if "key" in group and "key_file" in group:
        r.problem(("group", "key_file"), "give group.key or group.key_file, not both")
        return None
    try:
        if "key" in group and (k := r.typed(("group", "key"), str, "64 hex digits")):
            return None if k == "auto" else load_key(key=k)
        if "key_file" in group and (f := r.typed(("group", "key_file"), str, "a file name")):
            return load_key(key_file=path.parent / Path(f).expanduser())
    except BadArgument as exc:
        r.problem(("group", "key" if "key" in group else "key_file"), f"group: {exc}")
    return None


def _members(r: Reader, virtual_default: bool) -> list[Member]:
    table = r.typed(("members",), dict, "a table of [members.NAME] tables")
    members: list[Member] = []
    if not table:
        if table is not None:
            r.problem(("members",), "a group needs at least one member")
        return members
    for name in table:
        p: KeyPath = ("members", name)
        m = r.table(p, ("board", "virtual", "port", "address", "wifi", "i2c", "config"),
                    where=f"[members.{name}]")
        if m is None:
            continue
        _name(r, p, "a member name")
        board = r.typed((*p, "board"), str, "a board profile name") if "board" in m else None
        profile = None
        if board is not None:
            try:
                profile = load_profile(board)
            except UnknownBoardError as exc:
                r.problem((*p, "board"), str(exc))
        real = [k for k in ("port", "address") if k in m]
        virtual = bool(m.get("virtual", virtual_default and not real))
        if len(real) > 1:
            r.problem((*p, real[1]), f"member {name}: give port or address, not both")
        if virtual and real:
            r.problem((*p, real[0]), f"member {name} is virtual: it has no {real[0]}")
        if not virtual and not real:
            r.problem(p, f"member {name}: say where it is (port = ..., address = ...) or make "
                         "it a virtual board (virtual = true here or in [group])")
        if virtual and board is None:
            r.problem(p, f"member {name} is virtual: give its board profile (board = ...)")
        wifi = profile is None or "wifi" in profile.radios
        if "wifi" in m:
            wifi = bool(r.typed((*p, "wifi"), bool, "true or false"))
            if wifi and profile is not None and "wifi" not in profile.radios:
                r.problem((*p, "wifi"), f"member {name}: board {board} has no Wi-Fi radio")
        devices = _devices(r, (*p, "i2c"), profile) if "i2c" in m else []
        config = r.typed((*p, "config"), dict, "a table of /hm.json keys") if "config" in m else {}
        for k in config or {}:
            if k in RESERVED_CONFIG:
                r.problem((*p, "config", k), f"member {name}: config.{k} is set by the group "
                                             "(from the manifest), not here")
        members.append(Member(name, board, virtual, m.get("port"), m.get("address"), wifi,
                              tuple(devices), dict(config or {}), r.lines.line(p)))
    return members


def _devices(r: Reader, path: KeyPath, profile: BoardProfile | None) -> list[Device]:
    items = r.typed(path, list, "a list of {model = ..., bus = ..., address = ...}")
    devices: list[Device] = []
    for i in range(len(items or ())):
        p = (*path, i)
        d = r.table(p, ("model", "bus", "address", "temperature", "humidity", "pressure"),
                    ("model",), where="an i2c device")
        if d is None or "model" not in d:
            continue
        model = d["model"]
        if model not in KNOWN_MODELS:
            r.problem((*p, "model"),
                      f"unknown I2C chip model {model!r}{hint(str(model), KNOWN_MODELS)}")
            continue
        bus = d.get("bus", profile.i2c.id if profile else 0)
        address = d.get("address", MODEL_ADDRESS[model])
        if not isinstance(address, int) or not 0x08 <= address <= 0x77:
            r.problem((*p, "address"), f"I2C address {address!r} is not in 0x08-0x77")
            continue
        params = {k: v for k, v in d.items() if k not in ("model", "bus", "address")}
        devices.append(Device(model, bus, address, params))
    return devices


def _uart_end(r: Reader, path: KeyPath, names: set[str]) -> tuple[str, int] | None:
    value = r.typed(path, str, '"MEMBER:UART"')
    if value is None:
        return None
    member, _, uart = value.partition(":")
    if member not in names:
        r.problem(path, f"link end {value!r}: no member {member!r}{hint(member, sorted(names))}")
        return None
    if not uart.isdigit():
        r.problem(path, f'link end {value!r}: give the UART number, as in "{member}:1"')
        return None
    return member, int(uart)


def _links(r: Reader, names: set[str]) -> list[Link]:
    items = r.typed(("links",), list, "a list of [[links]] tables")
    links: list[Link] = []
    used: set[tuple[str, int]] = set()
    for i in range(len(items or ())):
        p: KeyPath = ("links", i)
        t = r.table(p, ("a", "b", "baud"), ("a", "b"), where="[[links]]")
        if t is None or "a" not in t or "b" not in t:
            continue
        a, b = _uart_end(r, (*p, "a"), names), _uart_end(r, (*p, "b"), names)
        baud = r.typed((*p, "baud"), int, "a baud rate") if "baud" in t else 921600
        if a is None or b is None or baud is None:
            continue
        for end, key in ((a, "a"), (b, "b")):
            if end in used:
                r.problem((*p, key), f"UART {end[1]} of {end[0]} is already wired")
            used.add(end)
        if a[0] == b[0]:
            r.problem((*p, "b"), f"a link joins two members, not {a[0]} to itself")
        links.append(Link(a[0], a[1], b[0], b[1], baud))
    return links


def _roles(r: Reader, names: set[str], src: Path) -> list[Role]:
    table = r.typed(("roles",), dict, "a table of [roles.NAME] tables")
    roles: list[Role] = []
    if not table:
        if table is not None:
            r.problem(("roles",), "a group needs at least one role")
        return roles
    for name in table:
        p: KeyPath = ("roles", name)
        t = r.table(p, ("services", "needs", "exclusive", "prefer", "check"), ("services",),
                    where=f"[roles.{name}]")
        if t is None or "services" not in t:
            continue
        _name(r, p, "a role name")
        services = r.strings((*p, "services"), "module names")
        for i, module in enumerate(services):
            if not MODULE.match(module):
                r.problem((*p, "services", i), f"{module!r} is not a module name")
            elif module.split(".")[0] != "hm" and not module_file(src, module):
                file = module.replace(".", "/") + ".py"
                r.problem((*p, "services", i), f"role {name}: no module {module} in {src} ({file})")
        needs = _needs(r, (*p, "needs"), names) if "needs" in t else Needs()
        exclusive = True
        if "exclusive" in t:
            exclusive = bool(r.typed((*p, "exclusive"), bool, "true or false"))
        prefer = r.strings((*p, "prefer"), "member names") if "prefer" in t else []
        for i, member in enumerate(prefer):
            if member not in names:
                r.problem((*p, "prefer", i), f"role {name} prefers {member!r}, which is not a "
                                             f"member{hint(member, sorted(names))}")
        check = None
        if "check" in t and (c := r.typed((*p, "check"), str, '"SERVICE.METHOD"')):
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$", c)
            if m:
                check = Endpoint(name, m[1], m[2])
            else:
                r.problem((*p, "check"), f'role {name}: check {c!r} is not "SERVICE.METHOD"')
        roles.append(Role(name, tuple(services), needs, exclusive, tuple(prefer), check,
                          r.lines.line(p)))
    return roles


def _needs(r: Reader, path: KeyPath, members: set[str]) -> Needs:
    t = r.table(path, ("radio", "pin", "pins", "i2c", "board", "member"), where="needs")
    if t is None:
        return Needs()
    radios = r.strings((*path, "radio"), "radio names") if "radio" in t else []
    for radio in radios:
        if radio not in ("wifi", "ble"):
            r.problem((*path, "radio"), f"unknown radio {radio!r} (known: wifi, ble)")
    pins: list[int | str] = []
    for key in ("pin", "pins"):
        if key in t:
            value = t[key] if isinstance(t[key], list) else [t[key]]
            if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in value):
                r.problem((*path, key), f"needs.{key} must be pin names or numbers")
            pins += value
    i2c: list[int] = []
    if "i2c" in t:
        value = t["i2c"] if isinstance(t["i2c"], list) else [t["i2c"]]
        for i, v in enumerate(value):
            if isinstance(v, str) and v in MODEL_ADDRESS:
                v = MODEL_ADDRESS[v]
            if not isinstance(v, int) or isinstance(v, bool) or not 0x08 <= v <= 0x77:
                r.problem((*path, "i2c", i), f"needs.i2c: {v!r} is neither an I2C address "
                                             "(0x08-0x77) nor a chip model")
                continue
            i2c.append(v)
    boards = r.strings((*path, "board"), "board profile names") if "board" in t else []
    for board in boards:
        try:
            load_profile(board)
        except UnknownBoardError as exc:
            r.problem((*path, "board"), str(exc))
    only = r.strings((*path, "member"), "member names") if "member" in t else []
    for member in only:
        if member not in members:
            r.problem((*path, "member"), f"needs.member: no member {member!r}"
                                         f"{hint(member, sorted(members))}")
    return Needs(tuple(radios), tuple(pins), tuple(i2c), tuple(boards), tuple(only))


def _endpoint(r: Reader, path: KeyPath, roles: set[str]) -> Endpoint | None:
    value = r.typed(path, str, '"ROLE:SERVICE.NAME"')
    if value is None:
        return None
    m = ENDPOINT.match(value)
    if not m:
        r.problem(path, f'{value!r} is not "ROLE:SERVICE.NAME" (e.g. "sensor:room.reading")')
        return None
    if m[1] not in roles:
        r.problem(path, f"{value!r}: no role {m[1]!r}{hint(m[1], sorted(roles))}")
        return None
    return Endpoint(m[1], m[2], m[3])


def _bindings(r: Reader, roles: set[str]) -> list[Binding]:
    items = r.typed(("bindings",), list, "a list of [[bindings]] tables")
    out: list[Binding] = []
    for i in range(len(items or ())):
        p: KeyPath = ("bindings", i)
        t = r.table(p, ("event", "call"), ("event", "call"), where="[[bindings]]")
        if t is None or "event" not in t or "call" not in t:
            continue
        event, call = _endpoint(r, (*p, "event"), roles), _endpoint(r, (*p, "call"), roles)
        if event is not None and call is not None:
            out.append(Binding(event, call))
    return out


def _interface(r: Reader, roles: set[str]) -> tuple[dict[str, Endpoint], dict[str, Endpoint]]:
    t = r.table(("interface",), ("methods", "events"), where="[interface]") or {}
    found: list[dict[str, Endpoint]] = []
    for kind in ("methods", "events"):
        names: dict[str, Endpoint] = {}
        table = r.typed(("interface", kind), dict, "a table of NAME = ...") if kind in t else {}
        for name in table or {}:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                r.problem(("interface", kind, name), f"{name!r} is not a name for the interface")
            elif (ep := _endpoint(r, ("interface", kind, name), roles)) is not None:
                names[name] = ep
        found.append(names)
    return found[0], found[1]


