"""`harmonia watch` against virtual boards running the firmware bus."""

from __future__ import annotations

import pytest
from conftest import VBus, cli, json_lines


def test_watch_prints_events_from_every_node_as_json_lines(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", "porch", tick_ms=100)
    code, out, err = cli(capsys, vbus.args("watch", "chat.tick", "--count", "12", "--json"))
    assert code == 0, err
    events = json_lines(out)
    assert len(events) == 12
    assert {e["node"] for e in events} == {"kitchen", "porch"}
    assert all(e["topic"] == "chat.tick" and isinstance(e["value"], int) for e in events)
    for node in ("kitchen", "porch"):  # each node's counter in order, none twice
        values = [e["value"] for e in events if e["node"] == node]
        assert values == sorted(set(values))


def test_watch_one_node_as_a_table(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    vbus.start("kitchen", "porch", tick_ms=100)
    code, out, err = cli(capsys, vbus.args("watch", "chat.tick", "--node", "porch", "--count", "3"))
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert len(rows) == 3 and all(r[1:3] == ["porch", "chat.tick"] for r in rows)
    assert "watching chat.tick on porch" in err


def test_watch_ends_after_its_duration_without_events(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    code, out, err = cli(capsys, vbus.args("watch", "chat.tick", "--duration", "0.5", "--json"))
    assert (code, out, err) == (0, "", "")


def test_watch_errors(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    vbus.start("kitchen")
    cases = {
        ("chat.tick", "--node", "attic", "--wait", "0.5"): "no node 'attic' on the bus",
        ("tick",): "is not SERVICE.EVENT",
        ("chat.tick", "--count", "0"): "--count must be at least 1",
    }
    for argv, message in cases.items():
        code, out, err = cli(capsys, vbus.args("watch", *argv, "--json"))
        assert code == 1 and out == "", argv
        assert len(err.splitlines()) == 1 and message in err, (argv, err)
