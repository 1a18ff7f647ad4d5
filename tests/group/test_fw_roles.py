"""The group agent on real MicroPython members: roles by needs, bindings, the interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harmonia.bus import RemoteError

if TYPE_CHECKING:
    from conftest import GroupRig

FAN_ROLES: dict[str, Any] = {
    "sensing": {"services": ["gsense"], "needs": {"i2c": 0x18}},
    "switching": {"services": ["grelay"], "needs": {"pin": "RELAY"}},
    "control": {"services": ["gctl"], "exclusive": False, "prefer": ["ctl"]},
}
FAN_BINDINGS = [["sensing", "sense.reading", "control", "ctl.on_reading"],
                ["control", "ctl.speed", "switching", "relay.set"]]


def fan(group: GroupRig) -> dict[str, Any]:
    """Three members: only `sensor` has the I2C chip, only `relay` the RELAY pin."""
    group.member("sensor", i2c=[(0, 0x18)])
    group.member("relay", pins={"RELAY": 5})
    group.member("ctl")
    return group.spec(["sensor", "relay", "ctl"], FAN_ROLES, bindings=FAN_BINDINGS,
                      interface={"speed": ["control", "ctl.set"],
                                 "read": ["sensing", "sense.read"]},
                      events={"speed": ["control", "ctl.speed"]})


def test_roles_go_where_their_needs_are_met_and_bindings_fire_across_boards(
        group: GroupRig) -> None:
    spec = fan(group)
    host = group.host()
    group.configure(spec)
    status = group.wait_healthy()
    assert status["roles"] == {"sensing": "sensor", "switching": "relay", "control": "ctl"}
    assert status["members"]["relay"]["fit"] == ["control", "switching"]
    assert group.call("sensor", "group.caps")["i2c"] == [[0, 0x18]]
    speeds = host.events("group.event", node="ctl")
    # sensor publishes, ctl's agent calls ctl.on_reading, ctl publishes, relay's calls relay.set
    group.wait_for(lambda: group.call("sensor", "sense.emit", 20) and
             20 in group.call("ctl", "ctl.readings"), 5, "the reading to reach ctl")
    group.wait_for(lambda: 21 in group.call("relay", "relay.speeds"), 5,
                   "the speed to reach the relay")
    assert group.members["relay"].hw.wait_pin(5, level=1, timeout=2).level == 1
    assert speeds.get(timeout=2).value == ["speed", 21]
    # the interface answers from any member, wherever the role is
    assert group.call("sensor", "group.call", "speed", [0]) == "ctl"
    group.wait_for(lambda: group.call("relay", "relay.speeds")[-1] == 0, 3, "speed 0 at the relay")
    assert group.call("relay", "group.call", "read", []) == ["sensor", 20]
    with pytest.raises(RemoteError) as err:
        group.call("ctl", "group.call", "nope", [])
    assert err.value.type_name == "NoSuchName"


def test_configure_is_idempotent_checks_the_spec_and_spreads_to_every_member(
        group: GroupRig) -> None:
    spec = fan(group)
    host = group.host()
    host.wait_for_peers(3, timeout=5, names=spec["members"])
    roles_seen = host.events("group.roles", node="ctl")
    group.configure(spec, ["ctl"])  # the others take it from ctl's heartbeats
    group.wait_healthy()
    assert all(group.call(n, "group.spec") == spec for n in spec["members"])
    assert group.call("relay", "group.configure", spec) == {"changed": False, "version": 1}
    with pytest.raises(RemoteError) as err:
        group.call("relay", "group.configure", {**spec, "heartbeat_ms": 300})
    assert err.value.type_name == "VersionConflict"
    with pytest.raises(RemoteError) as err:
        group.call("relay", "group.configure", {**spec, "version": 2, "roles": {
            "x": {"services": ["gsense"], "needs": {"colour": "red"}}}})
    assert err.value.type_name == "SpecError" and "roles.x.needs.colour" in str(err.value)
    with pytest.raises(RemoteError) as err:
        group.call("relay", "group.configure", {**spec, "members": ["a", "b"]})
    assert err.value.type_name == "NotAMember"
    event = group.wait_for(lambda: _last_roles(roles_seen), 3, "a group.roles event")
    assert event["roles"]["sensing"] == "sensor" and event["leader"] is not None
    # version 2, given to one member, reaches all; a role nobody can take stays unassigned
    v2 = {**spec, "version": 2,
          "roles": {**FAN_ROLES, "display": {"services": ["gsense"], "needs": {"pin": "OLED"}}}}
    group.call("sensor", "group.configure", v2)
    status = group.wait_for(lambda: all(group.status(n)["version"] == 2 for n in v2["members"])
                            and group.wait_healthy(vacant=("display",)), 5,
                            "version 2 everywhere")
    assert status["roles"] == {"sensing": "sensor", "switching": "relay", "control": "ctl",
                               "display": None}, [group.status(n) for n in v2["members"]]


def _last_roles(sub: Any) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] = sub.get(timeout=0.2).value
    except Exception:
        return None
    return value if value["roles"].get("sensing") else None


def test_a_role_whose_module_fails_moves_to_another_member(group: GroupRig) -> None:
    for name in ("a", "b", "c"):
        group.member(name)
    spec = group.spec(["a", "b", "c"], {
        "work": {"services": ["gsense"], "prefer": ["a"]},
        "fragile": {"services": ["gbroken"], "needs": {"member": ["a", "b"]}}})
    group.configure(spec)
    status = group.wait_for(lambda: _both_failed(group), 8,
                            "a and b to report gbroken failing, and nobody left to try it")
    assert "broken on purpose" in status["members"]["a"]["failed"]["fragile"]
    assert status["roles"]["work"] == "a" and "work" in group.status("a")["held"]


def _both_failed(group: GroupRig) -> dict[str, Any] | None:
    status = group.status("c")
    failed = [n for n, m in status["members"].items() if "fragile" in m["failed"]]
    done = sorted(failed) == ["a", "b"] and status["roles"]["fragile"] is None
    return status if done and status["leader"] else None


def test_a_serial_only_member_behind_a_bridge_takes_its_role(group: GroupRig) -> None:
    serial = [{"uart": 1, "baud": 921600}]
    group.member("sensor", i2c=[(0, 0x18)], serial=serial)  # Wi-Fi and a UART: the bridge
    group.member("relay", pins={"RELAY": 5}, radio=False, serial=serial)
    group.member("ctl")
    group.link("sensor", "relay")
    uplink = {"services": ["gecho"], "needs": {"radio": ["wifi"]}, "prefer": ["relay"]}
    spec = group.spec(["sensor", "relay", "ctl"], {**FAN_ROLES, "uplink": uplink},
                      bindings=FAN_BINDINGS, interface={"where": ["uplink", "echo.where"]})
    group.configure(spec, ["sensor", "ctl"])  # relay takes it from a heartbeat
    status = group.wait_healthy()
    assert status["roles"] == {"sensing": "sensor", "switching": "relay", "control": "ctl",
                               "uplink": "ctl"}  # relay has no radio; ctl has fewer roles
    assert group.call("relay", "group.call", "where", []) == "ctl"
    group.wait_for(lambda: group.call("sensor", "sense.emit", 30) and
                   31 in group.call("relay", "relay.speeds"), 5, "sensor -> ctl -> relay")
    assert group.members["relay"].hw.wait_pin(5, level=1, timeout=2).level == 1
