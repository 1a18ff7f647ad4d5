"""The fan controller as one device: a call, an event, a failover and a rolling deploy.

Runs on virtual boards as it is, and on the bench of bench.toml with
`pytest examples/hil --hm-bench examples/hil/bench.toml`; what only a virtual board can
do (setting the simulated sensor) is skipped on real boards, with the reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harmonia.pytest_plugin import HilGroup, Unavailable, within

FAILOVER_LIMIT = 10.0  # lease_ms (1 s) + margin + a heartbeat, with room for a slow CI box


def test_the_super_device_answers_a_call(group: HilGroup) -> None:
    reading = group.call("temperature")
    assert -40.0 <= reading["temperature"] <= 125.0  # the MCP9808's range
    state = group.call("controller")
    assert state["on_above"] > state["off_below"]


def test_a_warm_room_is_an_event_of_the_super_device(group: HilGroup) -> None:
    watch = group.watch(["temperature"])
    try:
        try:
            group.set_sensor("sensor", temperature=31.0)
        except Unavailable:  # a real room: the temperature it has, at least every 2 s
            event = watch.get(timeout=5.0)
            assert event is not None and event.name == "temperature"
            return
        with within(5.0, "reading of 31 °C seen") as t:
            t.until(lambda: _seen(watch, "temperature", lambda v: v["temperature"] >= 30.0))
    finally:
        watch.close()


def test_a_warm_room_starts_the_fan(group: HilGroup) -> None:
    try:
        group.set_sensor("sensor", temperature=31.0)
    except Unavailable:
        pytest.skip("needs the simulated sensor: on a bench, warm the MCP9808 by hand")
    with within(8.0, "relay switched on") as t:
        t.until(lambda: group.call("fan") is True)


def test_control_moves_to_a_healthy_board_when_its_board_dies(group: HilGroup) -> None:
    victim = group.holder("control")
    assert victim is not None
    group.kill(victim)
    with within(FAILOVER_LIMIT, "failover of the control role") as t:
        t.until(lambda: group.holder("control") not in (None, victim))
    assert "running" in group.call("controller")
    group.revive(victim)
    group.wait_healthy(20.0)
    assert group.holder("control") != victim  # it comes back as a standby


def test_a_rolling_deploy_reaches_every_member_and_keeps_the_device_working(
        group: HilGroup, tmp_path: Path) -> None:
    src = tmp_path / "fan"
    shutil.copytree(Path(group.manifest.src), src,
                    ignore=shutil.ignore_patterns("__pycache__", "*.toml"))
    control = src / "fan_control.py"
    control.write_text(control.read_text().replace(
        'return {"running": self.running,', 'return {"release": 2, "running": self.running,'))
    manifest = src / "fan.toml"  # beside its services: they are its src
    manifest.write_text(Path(group.manifest.path).read_text())
    with within(60.0, "rolling deploy"):
        report = group.rollout(manifest)
    assert report.ok, report
    assert {m.name for m in report.members} == set(group.members)
    assert group.call("controller")["release"] == 2
    assert group.call("temperature")["temperature"] is not None


def _seen(watch: object, name: str, match: object) -> bool:
    """Drain the watch; True once an event `name` whose value fits `match` came by."""
    from harmonia.group import Watch

    assert isinstance(watch, Watch)
    while True:
        try:
            event = watch.get(timeout=0.1)
        except TimeoutError:
            return False
        if event is not None and event.name == name and match(event.value):  # type: ignore[operator]
            return True

