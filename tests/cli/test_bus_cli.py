"""What the four bus commands share: --help with examples, the key from a file or the
environment, a serial link, and the installed `harmonia` command in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import VBus, cli

from harmonia.busops import BadArgument, load_key
from harmonia.cli import main
from harmonia.vboard.hw.uartpty import UartPty

COMMANDS = ("discover", "call", "watch", "logs")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0
    assert "examples:" in out and f"  harmonia {command}" in out
    assert "--key-file" in out and "--json" in out and "HARMONIA_KEY" in out


def test_key_from_a_file_or_the_environment(tmp_path: Path) -> None:
    key = os.urandom(32)
    hex_file, raw_file = tmp_path / "hex", tmp_path / "raw"
    hex_file.write_text(key.hex() + "\n")
    raw_file.write_bytes(key)
    assert load_key(key_file=hex_file, env={}) == key
    assert load_key(key_file=raw_file, env={}) == key
    assert load_key(env={"HARMONIA_KEY": key.hex()}) == key
    assert load_key(env={"HARMONIA_KEY_FILE": str(hex_file)}) == key
    assert load_key(key.hex(), env={"HARMONIA_KEY": "00" * 32}) == key  # the option wins
    assert load_key(env={}) is None  # open mode
    for bad in ("abc", "zz" * 32, "00" * 31):
        with pytest.raises(BadArgument, match="not a group key: give 64 hex digits"):
            load_key(bad, env={})
    with pytest.raises(BadArgument, match="cannot read the key file"):
        load_key(key_file=tmp_path / "missing", env={})


def test_environment_key_and_installed_command_in_a_subprocess(vbus: VBus) -> None:
    vbus.start("kitchen")
    env = dict(os.environ, HARMONIA_KEY=vbus.key, HARMONIA_BUS_PORT=str(vbus.port))
    harmonia = Path(sys.executable).parent / "harmonia"
    done = subprocess.run(
        [str(harmonia), "call", "kitchen", "sys.info", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "kitchen"
    done = subprocess.run(
        [str(harmonia), "call", "attic", "sys.info", "--wait", "0.5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("harmonia: error: no node 'attic'")
    assert len(done.stderr.splitlines()) == 1


def test_a_board_on_a_serial_link(
    vbus: VBus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (board,) = vbus.start("leaf", udp=False, serial=[{"uart": 1, "baud": 115200}], wifi=None)
    cable = UartPty(board.hardware(), 1, tmp_path / "leaf-uart")
    vbus.on_close(cable.close)
    serial = ["--serial", str(cable.path), "--baud", "115200"]
    code, out, err = cli(capsys, vbus.args("discover", "--expect", "1", "--json", *serial))
    assert code == 0, err
    (peer,) = json.loads(out)
    assert (peer["name"], peer["link"], peer["address"]) == ("leaf", "serial", str(cable.path))
    code, out, err = cli(capsys, vbus.args("call", "leaf", "chat.echo", "7", "--json", *serial))
    assert (code, json.loads(out)) == (0, [7]), err
