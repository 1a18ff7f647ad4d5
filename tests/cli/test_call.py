"""`harmonia call` against virtual boards running the firmware bus."""

from __future__ import annotations

import json

import pytest
from conftest import VBus, cli

from harmonia.busops import BusOptions, connect


def test_call_by_name_and_by_hex_id_prints_a_table_or_json(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", "porch")
    code, out, err = cli(capsys, vbus.args("call", "kitchen", "sys.info", "--json"))
    assert code == 0, err
    info = json.loads(out)
    assert info["name"] == "kitchen" and info["board"] == "virtual"

    code, out, _ = cli(capsys, vbus.args("call", f"{info['id']:08x}", "sys.info", "--json"))
    assert code == 0 and json.loads(out)["name"] == "kitchen"

    code, out, _ = cli(capsys, vbus.args("call", "kitchen", "sys.info"))
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert rows["KEY"] == "VALUE" and rows["name"] == "kitchen" and rows["board"] == "virtual"

    code, out, _ = cli(capsys, vbus.args("call", "porch", "sys.services"))
    by_service = {line.split()[0]: line for line in out.splitlines()}
    assert code == 0 and "say" in by_service["chat"] and "tick" in by_service["chat"]


def test_call_passes_json_arguments_bytes_included(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    args = ["1", "2.5", '"text"', "true", "null", "[1, [2]]", '{"a": 1}', '{"$b": "00ff"}']
    code, out, err = cli(capsys, vbus.args("call", "kitchen", "chat.echo", *args, "--json"))
    assert code == 0, err
    assert json.loads(out) == [1, 2.5, "text", True, None, [1, [2]], {"a": 1}, {"$b": "00ff"}]

    code, out, _ = cli(capsys, vbus.args("call", "kitchen", "chat.say", '"hello"'))
    assert (code, out) == (0, "true\n")


def test_unknown_node_is_an_error_that_lists_the_nodes_seen(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen", "porch")
    argv = vbus.args("call", "attic", "sys.info", "--wait", "1")
    code, out, err = cli(capsys, argv)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("harmonia: error: no node 'attic' on the bus")
    assert "seen: kitchen (" in err and "porch (" in err


def test_call_timeout_is_an_error(vbus: VBus, capsys: pytest.CaptureFixture[str]) -> None:
    vbus.start("kitchen")
    argv = vbus.args("call", "kitchen", "chat.slow", "2000", "--timeout", "0.3")
    code, out, err = cli(capsys, argv)
    assert code == 1 and out == ""
    assert err == (
        "harmonia: error: kitchen:chat.slow: no answer within 0.3 s; check the node is up "
        "(harmonia discover) or give a longer --timeout\n"
    )


def test_remote_errors_and_bad_input_are_one_line_errors(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    cases = {
        ("kitchen", "chat.fail"): "raised ValueError: bad input 42",
        ("kitchen", "nope.x"): "no such service there",
        ("kitchen", "chat.nope"): "no such method",
        ("kitchen", "chat.say", "hello"): "is not a JSON value: quote a string as '\"hello\"'",
        ("kitchen", "sysinfo"): "is not SERVICE.METHOD",
    }
    for argv, message in cases.items():
        code, out, err = cli(capsys, vbus.args("call", *argv))
        assert code == 1 and out == "", argv
        assert len(err.splitlines()) == 1 and message in err, (argv, err)


def test_commands_side_by_side_share_the_loopback_default(
    vbus: VBus, capsys: pytest.CaptureFixture[str]
) -> None:
    vbus.start("kitchen")
    # Another command (a running `harmonia watch`, say) holds 127.0.0.1 on the bus port.
    with connect(BusOptions(port=vbus.port, key=bytes.fromhex(vbus.key), name="other")) as other:
        assert other.node.links[0].name == f"udp:127.0.0.1:{vbus.port}"
        code, out, err = cli(capsys, vbus.args("call", "kitchen", "sys.info", "--json"))
        assert code == 0, err
        assert json.loads(out)["name"] == "kitchen"
    code, _, err = cli(capsys, vbus.args("call", "kitchen", "sys.info", "--address", "127.0.0.2"))
    assert code == 1 and "cannot bind UDP 127.0.0.2" in err  # an address given is kept
