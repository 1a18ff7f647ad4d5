"""The spec the members' group agents run (docs/group.md), made from a manifest, and the
`/hm.json` a virtual member boots with."""

from __future__ import annotations

import json
from typing import Any

from .manifest import Manifest, Member

AGENT = "hm.group"
FILES = "hm.services.files"
MAIN_PY = "import hm.app\nhm.app.main()\n"


def build_spec(manifest: Manifest, version: int) -> dict[str, Any]:
    """The spec for `group.configure`, at `version`."""
    roles: dict[str, Any] = {}
    for role in manifest.roles:
        entry: dict[str, Any] = {"services": list(role.services), "needs": role.needs.to_spec(),
                                 "exclusive": role.exclusive}
        if role.prefer:
            entry["prefer"] = list(role.prefer)
        roles[role.name] = entry
    spec: dict[str, Any] = {
        "group": manifest.name,
        "version": version,
        "members": [m.name for m in manifest.members],
        "roles": roles,
        "bindings": [[b.event.role, b.event.topic, b.call.role, b.call.topic]
                     for b in manifest.bindings],
        "interface": {n: [e.role, e.topic] for n, e in manifest.methods.items()},
        "events": {n: [e.role, e.topic] for n, e in manifest.events.items()},
    }
    spec.update(manifest.timing)
    return spec


def same_spec(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two specs say the same apart from their version."""
    if a is None or b is None:
        return a is b
    return _canonical(a) == _canonical(b)


def _canonical(spec: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "version"}, sort_keys=True)


def board_config(manifest: Manifest, member: Member, key: bytes | None) -> dict[str, Any]:
    """The /hm.json of a virtual member: its name and board, the group key and port, the
    agent and the files service, and a serial link per cable wired to it."""
    config: dict[str, Any] = {
        "name": member.name,
        "board": member.board or "",
        "group": manifest.name,
        "port": manifest.port,
        "services": [AGENT, FILES],  # this order: see the report on files-then-group
        "wifi": {"ssid": "harmonia", "key": "harmonia"},
    }
    if key is not None:
        config["group_key"] = key.hex()
    if not member.wifi:
        config["udp"] = False
    serial = []
    for link in manifest.links:
        for name, uart in ((link.a, link.a_uart), (link.b, link.b_uart)):
            if name == member.name:
                serial.append({"uart": uart, "baud": link.baud})
    if serial:
        config["serial"] = serial
    buses = sorted({d.bus for d in member.devices})
    if buses:
        config["i2c"] = [{"id": b} for b in buses]
    config.update(member.config)
    return config
