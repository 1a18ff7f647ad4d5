"""`harmonia deploy --driver`: CircuitPython drivers go in the version's lib/ with the
CircuitPython layer, and each board gets its own pin table (/lib/_boardpins.py)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from deploytools import active_version, app_tree, run_on

from harmonia import sim
from harmonia.boards import load_profile
from harmonia.cli import main
from harmonia.drivers import board_pins_module
from harmonia.vboard import VirtualBoard

C3 = "esp32-c3-devkitm-1"
READ = (
    "import board, busio, adafruit_mcp9808\n"
    "mcp = adafruit_mcp9808.MCP9808(busio.I2C(board.SCL, board.SDA))\n"
    "print(board.board_id, mcp.temperature)"
)


def test_deployed_driver_reads_a_simulated_chip_on_each_board_with_its_own_pins(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c3 = VirtualBoard("c3", C3, state_dir=state_dir, reformat=True)
    other = VirtualBoard("v1", "virtual", state_dir=state_dir, reformat=True)  # x64 as well
    with c3, other:
        chips = {}
        for board, celsius in ((c3, 24.25), (other, -7.5)):
            hw = board.hardware()
            chips[board.name] = sim.attach(hw, "mcp9808", bus=board.profile().i2c.id,
                                           temperature=celsius)
        args = ["deploy", "c3", "v1", "--driver", "mcp9808", "--state-dir", str(state_dir)]
        assert main([*args, "-q", "--json"]) == 0, capsys.readouterr().err
        report = json.loads(capsys.readouterr().out)
        results = {t["target"]["name"]: t["result"] for t in report["targets"]}
        assert results["c3"]["version"] == results["v1"]["version"]  # one bundle per arch

        assert run_on(c3, READ) == f"{C3} 24.25"
        assert run_on(other, READ) == "virtual -7.5"
        chips["c3"].set(temperature=30.5)
        assert run_on(c3, READ) == f"{C3} 30.5"

        version = active_version(c3)
        tree = app_tree(c3, version)
        for path in ("lib/busio.mpy", "lib/board.mpy", "lib/adafruit_mcp9808.mpy",
                     "lib/adafruit_bus_device/i2c_device.mpy"):
            assert path in tree
        path = run_on(c3, "import sys\nprint(sys.path[:2])")
        assert path == f"['/app/{version}', '/app/{version}/lib']"
        for board in (c3, other):
            pins = run_on(board, "print(repr(open('/lib/_boardpins.py').read()))")
            assert ast.literal_eval(pins) == board_pins_module(load_profile(board.profile_name))

        # again: nothing to send, the pin tables included
        assert main([*args, "-q", "--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert all(t["result"]["changed"] is False for t in again["targets"])


def test_a_driver_that_is_not_installed_stops_the_deploy_before_any_board(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with VirtualBoard("d2", state_dir=state_dir) as board:
        board.wait_for_output(">>> ")  # booted: the console is quiet now
        mark = board.console_mark()
        code = main(["deploy", "d2", "--driver", "no-such-sensor", "--state-dir", str(state_dir)])
        assert code == 1
        err = capsys.readouterr().err
        assert "no installed package 'no-such-sensor'" in err and "pip install" in err
        assert board.console_mark() == mark  # nobody spoke to the board


def test_drivers_file_names_the_drivers(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "drivers.txt"
    listing.write_text("# the room sensor\nadafruit-circuitpython-mcp9808\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "main_app.py").write_text("X = 1\n")
    with VirtualBoard("d3", state_dir=state_dir) as board:
        code = main(["deploy", "d3", "--src", str(app), "--drivers", str(listing),
                     "--state-dir", str(state_dir), "-q"])
        assert code == 0, capsys.readouterr().err
        tree = app_tree(board, active_version(board))
        assert "lib/adafruit_mcp9808.mpy" in tree and "main_app.mpy" in tree
        assert "lib/busio.mpy" not in tree  # only what the tree and the drivers hold
