"""`group up` on virtual boards: members started, roles placed by their needs, bindings
firing across boards (one member only reachable over a UART bridge), idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harmonia.cli import main
from harmonia.group.testing import GroupLab, wait_for

FAN = Path(__file__).resolve().parents[2] / "examples" / "fan" / "fan.toml"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[GroupLab]:
    with GroupLab(tmp_path) as lab:
        yield lab


def test_group_up_places_roles_by_needs_and_a_second_run_changes_nothing(lab: GroupLab) -> None:
    group, first = lab.up(FAN)
    assert first.changed and any("started relay" in a for a in first.actions)
    # the chip is only on sensor, GP15 only on the RP2040, control prefers controller
    assert first.assignment == {"sensing": "sensor", "switching": "relay",
                                "control": "controller"}
    status = group.status()
    assert status.healthy, status.problems
    assert {m.version for m in status.members} == {first.version}
    assert "sensing" not in status.member("relay").fit  # it has no temperature chip
    assert "switching" not in status.member("controller").fit  # nor GP15
    again_group, again = lab.up(FAN)
    assert not again.changed and again.actions == ()
    assert again.spec_version == first.spec_version and again.version == first.version
    assert again.assignment == first.assignment
    again_group.close()


def test_bindings_fire_across_boards_and_the_interface_reaches_each_role(lab: GroupLab) -> None:
    group, _ = lab.up(FAN)
    with group.hardware("relay") as relay:
        group.set_sensor("sensor", temperature=31.0)  # sensor -> controller -> relay (bridged)
        assert relay.wait_pin("GP15", level=1, timeout=5).level == 1
        assert group.call("fan") is True
        state = group.call("controller")
        assert state["running"] is True and state["temperature"] == 31.0
        group.set_sensor("sensor", temperature=20.5)
        assert relay.wait_pin("GP15", level=0, timeout=5).level == 0
    assert group.call("temperature") == {"temperature": 20.5}
    assert group.call("limits", {"on_above": 30.0})["on_above"] == 30.0


def test_bindings_keep_firing_after_each_member_reloads_its_roles(lab: GroupLab) -> None:
    group, _ = lab.up(FAN)
    with group.hardware("relay") as relay:
        for member, hot in (("controller", 31.0), ("sensor", 20.5), ("relay", 32.0)):
            group.bus.call(member, "group.reload", timeout=5.0)
            group.wait_healthy(timeout=10)
            group.set_sensor("sensor", temperature=hot)
            level = 1 if hot > 28 else 0
            assert relay.wait_pin("GP15", level=level, timeout=5).level == level, member


def test_the_interface_events_arrive_from_the_role_holders(lab: GroupLab) -> None:
    group, _ = lab.up(FAN)
    watch = group.watch(["fan"])
    try:
        group.set_sensor("sensor", temperature=35.0)
        event = wait_for(lambda: watch.get(timeout=5), 6, "the fan event")
        assert (event.name, event.value, event.node) == ("fan", True, "relay")
    finally:
        watch.close()


def test_the_cli_brings_a_group_up_reports_status_calls_and_takes_it_down(
        lab: GroupLab, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--state-dir", str(lab.state_dir)]
    assert main(["group", "up", str(FAN), "--port", str(lab.port), "-q", *where]) == 0
    try:
        out = capsys.readouterr().out
        assert "group fan is up" in out and "started sensor" in out
        assert main(["group", "up", str(FAN), "--port", str(lab.port), "-q", *where]) == 0
        assert "nothing changed" in capsys.readouterr().out
        assert main(["group", "status", "fan", *where]) == 0
        out = capsys.readouterr().out
        assert "healthy" in out and "relay" in out and "switching" in out
        assert main(["group", "call", "fan", "temperature", *where]) == 0
        assert "22.0" in capsys.readouterr().out
    finally:
        assert main(["group", "down", "fan", *where]) == 0
    assert "stopped" in capsys.readouterr().out
    assert main(["group", "status", "fan", *where]) == 1  # forgotten
    assert "no group 'fan' is up" in capsys.readouterr().err
