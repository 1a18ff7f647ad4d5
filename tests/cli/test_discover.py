"""`harmonia discover` against virtual boards running the firmware bus."""

from __future__ import annotations

import json

import pytest
from conftest import VBus, cli


def test_discover_lists_each_board_in_a_table_and_as_json(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", "porch", "shed")
    code, out, err = cli(capsys, vbus.args("discover", "--expect", "3", "--json"))
    assert code == 0, err
    found = json.loads(out)
    assert [p["name"] for p in found] == ["kitchen", "porch", "shed"]
    for peer in found:
        assert (peer["board"], peer["link"]) == ("virtual", "udp")
        assert peer["id_hex"] == f"{peer['id']:08x}"
        assert peer["address"] == f"{vbus.boards[peer['name']].address}:{vbus.port}"

    code, out, _ = cli(capsys, vbus.args("discover", "--timeout", "1.2"))
    assert code == 0
    header, *rows = [line.split() for line in out.splitlines()]
    assert header == ["NAME", "ID", "BOARD", "VERSION", "LINK", "ADDRESS"]
    assert [(r[0], r[1]) for r in rows] == [(p["name"], p["id_hex"]) for p in found]


def test_discover_info_adds_uptime_heap_and_services(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    code, out, _ = cli(capsys, vbus.args("discover", "--expect", "1", "--info", "--json"))
    assert code == 0
    (peer,) = json.loads(out)
    assert peer["info"]["name"] == "kitchen"
    assert {"sys", "bus", "log", "chat"} <= set(peer["info"]["services"])
    assert peer["info"]["uptime_ms"] >= 0

    code, out, _ = cli(capsys, vbus.args("discover", "--expect", "1", "--info"))
    header, row = out.splitlines()
    assert header.split()[-3:] == ["UPTIME", "HEAP", "SERVICES"]
    assert row.endswith("bus, chat, log, sys")


def test_discover_on_an_empty_bus_says_why(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    vbus.start("plain", bus=False)  # a virtual board with nothing on its flash
    vbus.start("elsewhere", port=vbus.port + 1 if vbus.port < 65535 else vbus.port - 1)
    code, out, err = cli(capsys, vbus.args("discover", "--timeout", "0.5", "--json"))
    assert code == 0 and json.loads(out) == []
    assert len(err.strip().splitlines()) == 1
    assert "virtual board plain runs no bus" in err
    assert "virtual board elsewhere runs the bus on port" in err and "give --port" in err


def test_discover_without_the_key_says_frames_were_signed(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    code, out, err = cli(capsys, vbus.args("discover", "--timeout", "1.2", key=False))
    assert code == 0 and out == ""
    assert "signed with a key this host lacks (no key)" in err
    assert "--key" in err
