"""The CircuitPython layer (firmware/lib) over the virtual board's `machine`: busio,
board, digitalio and microcontroller as drivers use them."""

from __future__ import annotations

from pathlib import Path

import pytest
from drvtools import BoardException, Rig, rig, write_pin_table


def test_board_names_the_profile_pins_and_default_bus(board: Rig) -> None:
    got = board.value("""
        import board, microcontroller
        out([board.board_id, repr(board.SDA), board.LED is board.D13, board.SCL == board.D9,
             isinstance(board.D2, microcontroller.Pin), board.I2C() is board.I2C()])
    """)
    assert got == ["virtual", "microcontroller.Pin(8)", True, True, True, True]
    with pytest.raises(BoardException) as exc:
        board.run("board.SPI()")
    assert "names no default SPI bus" in str(exc.value)


def test_i2c_slices_with_start_and_end(board: Rig) -> None:
    board.hw.attach_i2c(0, 0x50, {0: 0x10, 1: 0x11, 2: 0x12, 3: 0x13, 4: 0x14})
    got = board.value("""
        import board
        i2c = board.I2C()
        assert i2c.try_lock() and not i2c.try_lock()
        out_buf = bytearray(b"\\xff\\x02\\xaa\\xbb\\xff")
        i2c.writeto(0x50, out_buf, start=1, end=4)        # pointer 2, then aa bb
        buf = bytearray(6)
        i2c.writeto_then_readfrom(0x50, b"\\x00\\x01", buf, out_start=1, out_end=2,
                                  in_start=2, in_end=5)   # registers 1..3 into buf[2:5]
        whole = bytearray(2)
        i2c.writeto(0x50, bytes([3]))
        i2c.readfrom_into(0x50, whole)
        part = bytearray(4)
        i2c.writeto(0x50, bytes([0]))
        i2c.readfrom_into(0x50, part, start=1, end=3)
        i2c.readfrom_into(0x50, part, start=0, end=0)     # nothing to read: no transfer
        found = i2c.scan()
        i2c.unlock()
        out([buf.hex(), whole.hex(), part.hex(), found, i2c.try_lock()])
        i2c.unlock()
    """)
    assert got == ["000011aabb00", "bb14", "00101100", [0x50], True]
    assert board.hw.i2c_registers(0, 0x50)[2] == b"\xaa"


def test_i2c_on_other_pins_is_a_soft_bus(board: Rig) -> None:
    board.hw.attach_i2c((3, 2), 0x21, {0: 0x42})  # SoftI2C(scl=3, sda=2)
    got = board.value("""
        import board, busio
        with busio.I2C(board.D3, board.D2) as soft:
            while not soft.try_lock():
                pass
            b = bytearray(1)
            soft.writeto_then_readfrom(0x21, b"\\x00", b)
            found = soft.scan()
            soft.unlock()
        out([b[0], found, board.I2C().scan()])
    """)
    assert got == [0x42, [0x21], []]


def test_no_ack_raises_oserror_from_busio(board: Rig) -> None:
    got = board.value("""
        import board
        i2c = board.I2C()
        try:
            i2c.writeto(0x33, b"\\x00")
        except OSError as e:
            out(e.args[0])
    """)
    assert got == 19  # ENODEV, as machine.I2C raises it


def test_bus_device_over_spi_with_a_digitalio_chip_select(board: Rig) -> None:
    board.hw.attach_spi("10:11:12", cs=5)  # loopback device, selected while D5 is low
    got = board.run("""
        import board, busio, digitalio
        from adafruit_bus_device.spi_device import SPIDevice
        spi = busio.SPI(board.D10, MOSI=board.D11, MISO=board.D12)
        cs = digitalio.DigitalInOut(board.D5)
        dev = SPIDevice(spi, cs, baudrate=250000, polarity=1, phase=1)
        out(cs.value)                       # idle high after SPIDevice set it up
        rx = bytearray(4)
        with dev as s:
            s.write_readinto(b"\\x00\\xa1\\xb2\\xc3\\xd4", rx, out_start=1)
            s.write(b"xyz", start=1)
        buf = bytearray(3)
        with dev as s:
            s.readinto(buf, write_value=0x5A)
        out([rx.hex(), buf.hex(), cs.value, spi.frequency])
    """)
    assert got == [True, ["a1b2c3d4", "5a5a5a", True, 250000]]
    log = board.hw.spi_log("10:11:12")
    assert [w for w, _ in log] == [b"\xa1\xb2\xc3\xd4", b"yz", b"\x5a\x5a\x5a"]
    assert board.hw.spi_config("10:11:12") == {"baud": 250000, "pol": 1, "pha": 1, "bits": 8}
    assert board.hw.get_pin(5).out == 1 and board.hw.get_pin(5).mode == "out"


def test_spi_without_miso_needs_a_hardware_bus(board: Rig) -> None:
    with pytest.raises(BoardException) as exc:
        board.run("import board, busio; busio.SPI(board.D10, MOSI=board.D11)")
    assert "needs clock, MOSI and MISO" in str(exc.value)


def test_digitalio_drives_and_reads_pins(board: Rig) -> None:
    board.run("""
        import board, digitalio
        led = digitalio.DigitalInOut(board.LED)
        led.direction = digitalio.Direction.OUTPUT
        led.value = True
        button = digitalio.DigitalInOut(board.BUTTON)
        button.switch_to_input(pull=digitalio.Pull.UP)
    """)
    led = board.hw.get_pin(13)
    assert (led.mode, led.level) == ("out", 1)
    assert board.value("out([button.value, button.pull is digitalio.Pull.UP])") == [True, True]
    board.hw.set_pin(0, 0)
    assert board.value("out(button.value)") is False
    board.run("""
        led.drive_mode = digitalio.DriveMode.OPEN_DRAIN
        led.value = False
    """)
    assert board.hw.get_pin(13).mode == "open_drain"
    with pytest.raises(BoardException) as exc:
        board.run("button.value = 1")
    assert exc.value.kind == "AttributeError"
    board.run("led.deinit()")
    assert board.hw.get_pin(13).mode == "in"
    with pytest.raises(BoardException):
        board.run("led.value")


def test_microcontroller_cpu(board: Rig) -> None:
    got = board.value("""
        import microcontroller, machine
        microcontroller.delay_us(10)
        out([microcontroller.cpu.frequency, len(microcontroller.cpu.uid),
             bytes(microcontroller.cpu.uid) == machine.unique_id()])
    """)
    assert got == [1_000_000_000, 6, True]


def test_uart_on_the_profile_port(board: Rig) -> None:
    board.run("""
        import board
        uart = board.UART()
        uart.baudrate = 57600
        uart.write(b"ping\\n")
    """)
    assert board.hw.uart_read(1, until=b"\n", timeout=2) == b"ping\n"
    assert board.hw.uart_state(1).baudrate == 57600
    board.hw.uart_write(1, b"pong\n")
    got = board.value("""
        import time
        for _ in range(200):
            if uart.in_waiting:
                break
            time.sleep_ms(5)
        out(uart.readline().decode())
    """)
    assert got == "pong\n"


def test_a_board_with_named_port_pins(tmp_path: Path, driver_lib: Path) -> None:
    # the Pico W's LED is a port name ("LED"), not a GPIO number; its I2C is GP5/GP4
    pins = write_pin_table(tmp_path / "pins", "rpi-pico-w")
    with rig(tmp_path, driver_lib, pins, profile="rpi-pico-w") as r:
        r.hw.attach_i2c(0, 0x18, model="mcp9808", temperature=12.5)
        got = r.value("""
            import board, digitalio, adafruit_mcp9808
            led = digitalio.DigitalInOut(board.LED)
            led.switch_to_output(True)
            out([board.board_id, repr(board.LED), repr(board.SCL), board.A0 is board.GP26,
                 adafruit_mcp9808.MCP9808(board.I2C()).temperature])
        """)
        assert got == ["rpi-pico-w", "microcontroller.Pin('LED')", "microcontroller.Pin(5)", True,
                       12.5]
        led = r.hub.facts.pins["LED"]
        assert r.hw.get_pin(led).level == 1


def test_without_a_pin_table_board_says_what_to_deploy(tmp_path: Path) -> None:
    with rig(tmp_path, None, None) as r:
        with pytest.raises(BoardException) as exc:
            r.run("import board")
        assert exc.value.kind == "ImportError" and "harmonia deploy" in str(exc.value)
        # busio works without it: every bus is a soft one
        r.hw.attach_i2c((9, 8), 0x40, {0: 7})
        assert r.value("import busio; out(busio.I2C(9, 8).scan())") == [0x40]
