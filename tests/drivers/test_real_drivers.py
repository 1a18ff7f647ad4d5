"""Real Adafruit drivers from PyPI, unchanged, on the MicroPython unix port, against
simulated chips: they read back what the host set."""

from __future__ import annotations

import pytest
from drvtools import BoardException, Rig


def test_mcp9808_reads_the_temperature_the_host_sets(board: Rig) -> None:
    chip = board.attach("mcp9808", temperature=23.5)
    board.run("""
        import board, adafruit_mcp9808
        mcp = adafruit_mcp9808.MCP9808(board.I2C())
    """)
    assert board.value("out(mcp.temperature)") == 23.5
    chip.set(temperature=-5.25)
    assert board.value("out(mcp.temperature)") == -5.25
    # the driver's resolution setting reaches the chip: half degrees now
    chip.set(temperature=21.3)
    assert board.value("mcp.resolution = 0; out([mcp.resolution, mcp.temperature])") == [0, 21.5]


def test_mcp9808_limits_and_alert_flags(board: Rig) -> None:
    board.attach("mcp9808", temperature=30.0)
    got = board.value("""
        import board, adafruit_mcp9808
        mcp = adafruit_mcp9808.MCP9808(board.I2C())
        mcp.upper_temperature = 28
        mcp.lower_temperature = 10
        mcp.critical_temperature = 40
        t = mcp.temperature
        out([mcp.upper_temperature, mcp.lower_temperature, mcp.critical_temperature,
             mcp.above_upper, mcp.below_lower, mcp.above_critical])
    """)
    assert got == [28.0, 10.0, 40.0, True, False, False]


def test_sht31d_reads_temperature_and_humidity(board: Rig) -> None:
    chip = board.attach("sht31d", temperature=24.0, humidity=41.5)
    board.run("""
        import board, adafruit_sht31d
        sht = adafruit_sht31d.SHT31D(board.I2C())
    """)
    t, rh = board.value("out([sht.temperature, sht.relative_humidity])")
    assert t == pytest.approx(24.0, abs=0.01)
    assert rh == pytest.approx(41.5, abs=0.01)
    chip.set(temperature=-10.0, humidity=90.0)
    t, rh = board.value("out([sht.temperature, sht.relative_humidity])")
    assert (t, rh) == (pytest.approx(-10.0, abs=0.01), pytest.approx(90.0, abs=0.01))
    # heater and status go through the CRC-checked command path
    status = board.value("sht.heater = True; out([sht.heater, sht.serial_number])")
    assert status == [True, 0x1234ABCD]


def test_sht31d_periodic_mode_fetches_the_latest_measurement(board: Rig) -> None:
    chip = board.attach("sht31d", temperature=18.0, humidity=30.0)
    board.run("""
        import board, adafruit_sht31d
        sht = adafruit_sht31d.SHT31D(board.I2C())
        sht.mode = adafruit_sht31d.MODE_PERIODIC
    """)
    assert chip.call("mode") == "periodic"
    t = board.value("out(sht.temperature)")
    assert t == pytest.approx(18.0, abs=0.01)  # one measurement since the last fetch


def test_bme280_reads_through_its_calibration(board: Rig) -> None:
    chip = board.attach("bme280", temperature=22.5, humidity=45.0, pressure=1002.0)
    board.run("""
        import board
        from adafruit_bme280 import basic as adafruit_bme280
        bme = adafruit_bme280.Adafruit_BME280_I2C(board.I2C())
    """)
    t, rh, p = board.value("out([bme.temperature, bme.humidity, bme.pressure])")
    assert t == pytest.approx(22.5, abs=0.01)
    assert rh == pytest.approx(45.0, abs=0.05)
    assert p == pytest.approx(1002.0, abs=0.05)
    chip.set(temperature=31.0, pressure=980.5)
    t, p = board.value("out([bme.temperature, bme.pressure])")
    assert (t, p) == (pytest.approx(31.0, abs=0.01), pytest.approx(980.5, abs=0.05))


def test_bme280_with_other_trimming_still_reads_the_set_values(board: Rig) -> None:
    cal = {"t1": 28000, "t2": 26000, "t3": 50, "p1": 37000, "p2": -10500, "h2": 370,
           "h4": 300, "h5": 40}
    board.attach("bme280", temperature=5.0, humidity=70.0, pressure=950.0, calibration=cal)
    t, rh, p = board.value("""
        import board
        from adafruit_bme280 import advanced
        bme = advanced.Adafruit_BME280_I2C(board.I2C())
        bme.mode = advanced.MODE_NORMAL
        out([bme.temperature, bme.humidity, bme.pressure])
    """)
    assert t == pytest.approx(5.0, abs=0.01)
    assert rh == pytest.approx(70.0, abs=0.05)
    assert p == pytest.approx(950.0, abs=0.05)


def test_ssd1306_shows_what_the_driver_drew(board: Rig) -> None:
    oled = board.attach("ssd1306", width=128, height=32)
    board.run("""
        import board, adafruit_ssd1306
        oled = adafruit_ssd1306.SSD1306_I2C(128, 32, board.I2C())
        oled.fill(0)
        oled.pixel(0, 0, 1)
        oled.pixel(127, 31, 1)
        oled.hline(10, 5, 20, 1)
        oled.rect(40, 10, 8, 8, 1)
        oled.show()
    """)
    state = oled.call("state")
    assert state["on"] is True and state["contrast"] == 0xFF and state["mode"] == 0
    rows = oled.call("rows")
    assert len(rows) == 32 and all(len(r) == 128 for r in rows)
    assert rows[0][0] == "#" and rows[31][127] == "#"
    assert rows[5][10:30] == "#" * 20 and rows[5][9] == "." and rows[5][30] == "."
    assert rows[10][40:48] == "#" * 8 and rows[13][40:48] == "#......#"
    assert sum(r.count("#") for r in rows) == 2 + 20 + 28
    board.run("oled.invert(True); oled.contrast(10); oled.poweroff()")
    state = oled.call("state")
    assert (state["inverted"], state["contrast"], state["on"]) == (True, 10, False)


def test_ssd1306_narrow_panel_in_page_addressing_mode(board: Rig) -> None:
    # a 64x48 panel sits in the middle columns of the controller's 128
    oled = board.attach("ssd1306", width=64, height=48)
    board.run("""
        import board, adafruit_ssd1306
        oled = adafruit_ssd1306.SSD1306_I2C(64, 48, board.I2C(), page_addressing=True)
        oled.fill(0)
        oled.vline(3, 0, 48, 1)
        oled.pixel(63, 47, 1)
        oled.show()
    """)
    rows = oled.call("rows")
    assert len(rows) == 48 and all(len(r) == 64 for r in rows)
    assert all(r[3] == "#" for r in rows)
    assert rows[47][63] == "#" and sum(r.count("#") for r in rows) == 49


def test_unplugged_chip_fails_the_driver_with_the_bus_error(board: Rig) -> None:
    chip = board.attach("mcp9808", temperature=20.0)
    board.run("""
        import board, adafruit_mcp9808
        mcp = adafruit_mcp9808.MCP9808(board.I2C())
    """)
    chip.unplug()
    assert board.value("out(board.I2C().scan())") == []  # an unplugged chip is not found
    with pytest.raises(BoardException) as exc:
        board.run("mcp.temperature")
    assert exc.value.kind == "OSError" and "19" in str(exc.value)  # ENODEV: no ACK
    with pytest.raises(BoardException) as exc:
        board.run("adafruit_mcp9808.MCP9808(board.I2C())")
    assert exc.value.kind == "ValueError" and "0x18" in str(exc.value)
    chip.plug()
    assert board.value("out(board.I2C().scan())") == [0x18]
    assert board.value("out(adafruit_mcp9808.MCP9808(board.I2C()).temperature)") == 20.0


def test_nothing_attached_is_a_driver_error_not_a_hang(board: Rig) -> None:
    for code in ("import adafruit_sht31d; adafruit_sht31d.SHT31D(board.I2C())",
                 "from adafruit_bme280 import basic; basic.Adafruit_BME280_I2C(board.I2C())"):
        with pytest.raises(BoardException) as exc:
            board.run("import board\n" + code, timeout=5)
        assert exc.value.kind == "ValueError" and "No I2C device" in str(exc.value)
