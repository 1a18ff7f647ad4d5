"""`harmonia logs` and the firmware `log` service, on virtual boards."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import VBus, cli, json_lines

from harmonia.busops import BusOptions, LogLine, connect, logs


def test_logs_shows_the_last_lines_of_each_node(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", "porch")
    for text in ("pump on", "level 42", "pump off"):
        assert cli(capsys, vbus.args("call", "kitchen", "chat.say", f'"{text}"'))[0] == 0

    code, out, err = cli(capsys, vbus.args("logs", "kitchen", "porch", "--json"))
    assert code == 0, err
    lines = json_lines(out)
    assert [(x["node"], x["text"]) for x in lines] == [
        ("kitchen", "chat ready"),
        ("kitchen", "pump on"),
        ("kitchen", "level 42"),
        ("kitchen", "pump off"),
        ("porch", "chat ready"),
    ]
    assert [x["seq"] for x in lines[:4]] == [1, 2, 3, 4]

    code, out, _ = cli(capsys, vbus.args("logs", "kitchen", "-n", "2"))
    rows = [line.split(None, 2) for line in out.splitlines()]
    assert code == 0
    assert [(r[0], r[2]) for r in rows] == [("kitchen", "level 42"), ("kitchen", "pump off")]
    assert float(rows[0][1]) <= float(rows[1][1])


def test_follow_prints_every_new_line_once_across_a_reboot(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    (board,) = vbus.start("kitchen", tick_ms=50, log_ticks=True)
    time.sleep(0.3)
    resetter = threading.Timer(1.0, board.reset)
    resetter.start()
    try:
        argv = vbus.args("logs", "kitchen", "-n", "3", "-f", "--duration", "3", "--json")
        code, out, err = cli(capsys, argv)
    finally:
        resetter.join()
    assert code == 0, err
    lines = json_lines(out)
    boots: list[list[int]] = [[]]
    for line in lines:
        if boots[-1] and line["seq"] <= boots[-1][-1]:
            boots.append([])  # the board rebooted: its count starts again
        boots[-1].append(line["seq"])
    assert len(boots) == 2, [x["text"] for x in lines]
    for seqs in boots:  # nothing missed, nothing twice
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert len(boots[0]) > 3 and boots[1][0] == 1 and len(boots[1]) > 3


def test_a_node_without_the_log_service_fails_and_the_others_go_on(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    vbus.start("bare", log_lines=0)  # chat logs, but nothing keeps the lines
    code, out, err = cli(capsys, vbus.args("logs", "kitchen", "bare", "attic", "--wait", "1"))
    assert code == 1
    assert [line.split()[0] for line in out.splitlines()] == ["kitchen"]
    head, _, *rows = err.splitlines()  # a summary table: NODE RESULT
    assert head == "harmonia: 2 of 3 nodes failed:"
    results = dict(row.split(None, 1) for row in rows)
    assert results["kitchen"] == "1 line"
    assert results["attic"].startswith("FAILED: no node 'attic' on the bus")
    assert "seen: " in results["attic"]
    assert results["bare"].startswith('FAILED: bare runs no log service: remove "log_lines": 0')

    code, out, err = cli(capsys, vbus.args("logs", "bare"))
    assert (code, out) == (1, "")
    assert err.startswith("harmonia: error: bare runs no log service") and err.count("\n") == 1

    code, out, err = cli(capsys, vbus.args("logs", "--all", "--json"))
    assert (code, err) == (0, "")
    assert {x["node"] for x in json_lines(out)} == {"kitchen"}


def test_logs_needs_nodes_or_all(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, vbus.args("logs"))
    assert code == 1 and out == "" and "or give --all" in err


def test_library_logs_yields_lines_and_failures(vbus: VBus) -> None:
    vbus.start("kitchen")
    options = BusOptions(port=vbus.port, key=bytes.fromhex(vbus.key))
    with connect(options) as bus:
        got = list(logs(bus, ["kitchen", "attic"], lines=5, find_timeout=1, options=options))
    failure, line = got
    assert isinstance(line, LogLine) and (line.node, line.seq, line.text) == (
        "kitchen",
        1,
        "chat ready",
    )
    assert failure.to_json()["error_type"] == "NodeNotFound"


def test_long_tails_are_read_a_frame_at_a_time(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", log_lines=100)
    assert cli(capsys, vbus.args("call", "kitchen", "chat.spam", "120", "170"))[0] == 0
    code, out, err = cli(capsys, vbus.args("logs", "kitchen", "-n", "90", "--json"))
    assert code == 0, err
    lines = json_lines(out)
    assert [x["seq"] for x in lines] == list(range(32, 122))  # 1 "chat ready" + 120
    assert lines[-1]["text"] == ("line 119 " + "x" * 170)[:160]  # cut to 160 characters


def test_logs_of_a_group(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    vbus.start("rose", "tulip", group="garden")
    vbus.start("kitchen")
    code, out, err = cli(capsys, vbus.args("logs", "--group", "garden", "--json"))
    assert code == 0, err
    assert sorted(x["node"] for x in json_lines(out)) == ["rose", "tulip"]
    code, out, err = cli(capsys, vbus.args("discover", "--expect", "3"))
    assert out.splitlines()[0].split() == [
        "NAME",
        "ID",
        "BOARD",
        "VERSION",
        "GROUP",
        "LINK",
        "ADDRESS",
    ]
    assert [line.split()[4] for line in out.splitlines()[1:]] == ["-", "garden", "garden"]
    code, out, err = cli(capsys, vbus.args("logs", "--group", "attic"))
    assert (code, out) == (1, "")
    assert err == (
        f"harmonia: error: no nodes in group 'attic' at 127.0.0.1:{vbus.port}: check the "
        "group name\n"
    )
