"""The hardware layer on whole virtual boards (supervisor, pty console, flash)."""

from __future__ import annotations

from pathlib import Path

import serial

from harmonia import drivers, paths, sim
from harmonia.boards import load_profile
from harmonia.build import build_firmware
from harmonia.vboard import VirtualBoard
from harmonia.vboard.hw import HardwareClient, link_uarts


def client(board: VirtualBoard) -> HardwareClient:
    return HardwareClient(board.dir.hw)


def test_pins_and_irq_on_a_virtual_board(tmp_path: Path) -> None:
    with VirtualBoard("pins", state_dir=tmp_path) as board, client(board) as hw:
        board.exec(
            "from machine import Pin\n"
            "led = Pin('LED', Pin.OUT, value=0)\n"
            "btn = Pin(2, Pin.IN, Pin.PULL_UP)\n"
            "btn.irq(lambda p: led(1 - p()), Pin.IRQ_FALLING | Pin.IRQ_RISING)\n"
        )
        led = board.profile().pins["LED"]
        assert hw.get_pin(led).level == 0
        assert board.exec("print(btn())").strip() == "1"
        hw.set_pin(2, 0)  # pressed while the board idles at its REPL: the IRQ runs
        hw.wait_pin(led, level=1, timeout=5)
        assert board.exec("print(btn())").strip() == "0"


def test_i2c_device_answers_a_virtual_board(tmp_path: Path) -> None:
    with VirtualBoard("i2c", state_dir=tmp_path) as board, client(board) as hw:
        i2c = board.profile().i2c
        hw.attach_i2c(i2c.id, 0x18, {0x05: b"\xc1\x90", 0x07: b"\x00\x54"})
        out = board.exec(
            f"from machine import I2C\ni2c = I2C({i2c.id})\n"
            "print(i2c.scan(), i2c.readfrom_mem(0x18, 0x05, 2), i2c.readfrom_mem(0x18, 7, 2))"
        )
        assert out.strip() == "[24] b'\\xc1\\x90' b'\\x00T'"


def test_two_virtual_boards_exchange_bytes_over_linked_uarts(tmp_path: Path) -> None:
    with (
        VirtualBoard("left", state_dir=tmp_path) as left,
        VirtualBoard("right", state_dir=tmp_path) as right,
        client(left) as hw_left,
        client(right) as hw_right,
    ):
        uart = left.profile().uart.id
        opening = f"from machine import UART\nu = UART({uart}, 115200, timeout=2000)\n"
        left.exec(opening)
        right.exec(opening)
        link_uarts(hw_left, uart, hw_right, uart)
        left.exec("u.write(b'over the wire\\n')")
        assert right.exec("print(u.readline())").strip() == "b'over the wire\\n'"


def test_machine_reset_restarts_a_virtual_board(tmp_path: Path) -> None:
    with VirtualBoard("rst", state_dir=tmp_path) as board, client(board) as hw:
        board.exec("import machine")
        assert hw.info()["boots"] == 1
        with serial.Serial(board.port) as console:  # typed at the REPL: no reply comes
            console.write(b"machine.reset()\r")
            console.read_until(b"Type \"help()\" for more information.")  # the new banner
        assert board.exec("import machine\nprint(machine.reset_cause())").strip() == "2"
        assert hw.wait_boot(2, timeout=10)["cause"] == 2


def board_lib(tmp_path: Path, profile_name: str, names: list[str]) -> dict[str, bytes]:
    """What a board's /lib holds for CircuitPython drivers: the CircuitPython layer
    (firmware/lib) and the drivers compiled for the virtual board, and its pin table."""
    src = tmp_path / "lib-src"
    drivers.stage(drivers.collect_drivers(names), src)
    for module in (paths.firmware_dir() / drivers.LIB).glob("*.py"):
        drivers.stage([(f"{drivers.LIB}/{module.name}", module)], src)
    built = build_firmware(tmp_path / "lib-mpy", ["x64"], source_dir=src)
    files = {f"/{f.source.with_suffix('.mpy').as_posix()}": f.output.read_bytes()
             for f in built.files}
    pins = drivers.board_pins_module(load_profile(profile_name))
    files[f"/{drivers.BOARD_PINS}"] = pins.encode()
    return files


def test_a_simulated_chip_attached_by_name_answers_a_real_driver(tmp_path: Path) -> None:
    board = VirtualBoard("climate", "esp32-c3-devkitm-1", state_dir=tmp_path / "state")
    board.write_files(board_lib(tmp_path, "esp32-c3-devkitm-1", ["mcp9808"]))
    with board, client(board) as hw:
        room = sim.attach(hw, "mcp9808", bus=board.profile().i2c.id, temperature=22.75)
        code = "import board, adafruit_mcp9808\nmcp = adafruit_mcp9808.MCP9808(board.I2C())\n"
        assert board.exec(code + "print(mcp.temperature)").strip() == "22.75"
        room.set(temperature=-3.5)
        assert board.exec("print(mcp.temperature)").strip() == "-3.5"


def _imports(names: tuple[str, ...]) -> str:
    """Board code: each module's file, or `no NAME` where it does not import."""
    return (
        "import hm\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        print(__import__(name).__file__)\n"
        "    except ImportError:\n"
        "        print('no', name)\n"
    )


def test_a_board_has_the_framework_built_in_and_no_lib_until_one_is_put_on_it(
    tmp_path: Path,
) -> None:
    """Built in (the import path from the host) is only what a board has frozen: `hm`.
    The CircuitPython layer comes like any firmware, on the board's filesystem."""
    board = VirtualBoard("fresh", state_dir=tmp_path / "state")
    built_in = "import os, sys\nprint(sorted(set(n for p in sys.path if p.startswith('/.hm') " \
        "for n in os.listdir(p))))"
    with board:
        assert board.exec(_imports(("busio", "board"))).split() == ["no", "busio", "no", "board"]
        assert "'hm'" in board.exec(built_in) and "'lib'" not in board.exec(built_in)
    board.write_files(board_lib(tmp_path, board.profile_name, []))
    with board:
        assert board.exec(_imports(("busio", "board"))).split() == [
            "/lib/busio.mpy", "/lib/board.mpy"]
