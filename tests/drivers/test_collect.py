"""harmonia.drivers: driver packages found among the installed Python packages, with the
CircuitPython libraries they require, ready to compile; the per-board pin table."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harmonia import drivers, paths
from harmonia.boards import board_names, load_profile
from harmonia.build import build_firmware


def board_paths(names: list[str], **kw: list[str]) -> set[str]:
    return {board for board, _ in drivers.collect_drivers(names, **kw)}


def test_a_driver_brings_the_libraries_it_requires() -> None:
    files = drivers.collect_drivers(["adafruit-circuitpython-mcp9808"])
    got = {board for board, _ in files}
    assert "lib/adafruit_mcp9808.py" in got
    assert "lib/adafruit_bus_device/i2c_device.py" in got
    assert "lib/adafruit_register/i2c_bits.py" in got
    assert all(p.is_file() and p.suffix == ".py" for _, p in files)
    # host-only requirements stay on the host: Blinka, typing helpers
    host_only = ("lib/board", "lib/busio", "lib/digitalio", "lib/circuitpython_typing",
                 "lib/typing_extensions", "lib/adafruit_blinka")
    assert not any(b.startswith(host_only) for b in got)
    assert files == sorted(files)


def test_names_may_be_short_or_module_names() -> None:
    full = board_paths(["adafruit-circuitpython-bme280"])
    assert board_paths(["bme280"]) == full
    assert board_paths(["adafruit_bme280"]) == full
    assert board_paths(["Adafruit_CircuitPython_BME280"]) == full
    # the SSD1306 driver needs the framebuf library (used where the port has no framebuf)
    assert "lib/adafruit_framebuf.py" in board_paths(["ssd1306"])


def test_several_drivers_share_their_libraries_once() -> None:
    files = drivers.collect_drivers(["mcp9808", "sht31d", "bme280"])
    boards = [b for b, _ in files]
    assert len(boards) == len(set(boards))
    assert boards.count("lib/adafruit_bus_device/__init__.py") == 1


def test_exclude_leaves_a_library_out() -> None:
    got = board_paths(["mcp9808"], exclude=["adafruit-circuitpython-register"])
    assert "lib/adafruit_mcp9808.py" in got
    assert not any("adafruit_register" in b for b in got)


def test_a_package_that_is_not_installed_says_what_to_install() -> None:
    with pytest.raises(drivers.DriverNotInstalledError) as exc:
        drivers.collect_drivers(["adafruit-circuitpython-nosuchchip"])
    assert "pip install adafruit-circuitpython-nosuchchip" in str(exc.value)
    with pytest.raises(drivers.DriverNotInstalledError) as exc:
        drivers.collect_drivers(["adafruit-circuitpython-mcp9808>=99"])
    assert "3.3.32 is installed" in str(exc.value) and "pip install" in str(exc.value)
    with pytest.raises(drivers.DriverError):
        drivers.collect_drivers(["not a name!"])


def test_manifest_lists_drivers_like_a_requirements_file(tmp_path: Path) -> None:
    manifest = tmp_path / "drivers.txt"
    manifest.write_text("# sensors of the kitchen board\nmcp9808\n\nadafruit-circuitpython-sht31d"
                        "==2.3.31  # humidity\n")
    names = drivers.read_manifest(manifest)
    assert names == ["mcp9808", "adafruit-circuitpython-sht31d==2.3.31"]
    assert "lib/adafruit_sht31d.py" in board_paths(names)
    with pytest.raises(drivers.DriverError):
        drivers.read_manifest(tmp_path / "missing.txt")


def test_collected_drivers_compile_for_every_board_arch(tmp_path: Path) -> None:
    drivers.stage(drivers.collect_drivers(["mcp9808", "sht31d", "bme280", "ssd1306"]),
                  tmp_path / "src")
    archs = sorted({load_profile(n).march for n in board_names()})
    built = build_firmware(tmp_path / "out", archs, source_dir=tmp_path / "src")
    assert {f.march for f in built.files} == set(archs)
    assert all(f.output.suffix == ".mpy" and f.size > 0 for f in built.files)


@pytest.mark.parametrize("profile", board_names())
def test_pin_table_of_every_profile_imports_on_micropython(profile: str, tmp_path: Path) -> None:
    prof = load_profile(profile)
    (tmp_path / "_boardpins.py").write_text(drivers.board_pins_module(prof))
    code = ("import _boardpins as b; print(b.PROFILE, len(b.PINS), b.I2C[0][0], b.UART[0][0], "
            "b.SPI, b.PINS.get('LED'))")
    out = subprocess.run([paths.micropython_exe(), "-c", code], capture_output=True, text=True,
                         env={"MICROPYPATH": str(tmp_path)}, timeout=30, check=True).stdout.split()
    led = prof.pins.get("LED", prof.led)
    assert out == [profile, str(len({**prof.pins, **({"LED": prof.led} if prof.led is not None
                                                      else {})})),
                   str(prof.i2c.id), str(prof.uart.id), "[]", str(led)]
