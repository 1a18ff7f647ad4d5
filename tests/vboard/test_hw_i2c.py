"""Simulated I2C devices: register maps set from the host, answered through machine.I2C."""

from __future__ import annotations

from pathlib import Path

import pytest
from hwtools import rig

from harmonia.vboard.hw import HardwareRequestError, RegisterDevice, register_i2c_model

TEMP = 0x48


def test_register_device_answers_readfrom_mem(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_i2c(0, TEMP, {0x00: 0x19, 0x01: 0x60, 0x0F: b"\xab\xcd"})
        out = r.exec("""
            from machine import I2C
            i2c = I2C(0, freq=400000)
            print(i2c.scan())
            print(i2c.readfrom_mem(0x48, 0x00, 2).hex())
            print(i2c.readfrom_mem(0x48, 0x0F, 2).hex())
            buf = bytearray(1)
            i2c.readfrom_mem_into(0x48, 0x01, buf)
            print(buf.hex())
        """)
        assert out.split() == ["[72]", "1960", "abcd", "60"]


def test_missing_address_raises_enodev(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        out = r.exec("""
            import errno
            from machine import I2C
            i2c = I2C(0)
            for op in (lambda: i2c.readfrom_mem(0x50, 0, 1), lambda: i2c.writeto(0x50, b"x")):
                try:
                    op()
                except OSError as e:
                    print(e.errno == errno.ENODEV, e.errno)
        """)
        assert out.split() == ["True", "19", "True", "19"]


def test_board_writes_land_in_registers_and_read_only_ones_stay(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_i2c(0, 0x76, {0xD0: 0x60, 0xF4: 0x00}, read_only=[0xD0])
        r.exec("""
            from machine import I2C
            i2c = I2C(0)
            i2c.writeto_mem(0x76, 0xF4, b"\\x27")
            i2c.writeto_mem(0x76, 0xD0, b"\\x00")
        """)
        regs = r.client.i2c_registers(0, 0x76)
        assert regs[0xF4] == b"\x27"
        assert regs[0xD0] == b"\x60"
        r.client.set_i2c_registers(0, 0x76, {0xF7: b"\x01\x02\x03"})
        assert r.exec("print(i2c.readfrom_mem(0x76, 0xF7, 3).hex())").strip() == "010203"


def test_pointer_write_then_read_and_burst_with_auto_increment(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_i2c(1, 0x77, bytes(range(0x10, 0x20)))  # flat byte registers 0..15
        out = r.exec("""
            from machine import I2C
            i2c = I2C(1)
            i2c.writeto(0x77, b"\\x04", False)  # set the pointer, repeated start
            print(i2c.readfrom(0x77, 3).hex())
            print(i2c.readfrom(0x77, 2).hex())  # the pointer moved on
            n = i2c.writevto(0x77, (b"\\x00", b"\\xaa\\xbb"))
            print(n, i2c.readfrom_mem(0x77, 0, 3).hex())
        """)
        assert out.split() == ["141516", "1718", "3", "aabb12"]


def test_sixteen_bit_addresses_as_on_an_eeprom(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_i2c(0, 0x50, {0x0100: 0x11, 0x0101: 0x22}, addr_size=2)
        out = r.exec("""
            from machine import I2C
            i2c = I2C(0)
            i2c.writeto_mem(0x50, 0x0102, b"\\x33", addrsize=16)
            print(i2c.readfrom_mem(0x50, 0x0100, 3, addrsize=16).hex())
        """)
        assert out.strip() == "112233"


def test_softi2c_devices_hang_on_the_pin_pair(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_i2c((5, 4), 0x3C, {0x00: 0x42})
        out = r.exec("""
            from machine import Pin, SoftI2C
            bus = SoftI2C(scl=Pin(5), sda=Pin(4))
            print(bus.scan(), bus.readfrom_mem(0x3C, 0, 1).hex())
        """)
        assert out.strip() == "[60] 42"
        assert r.client.i2c_devices() == [("5:4", 0x3C, "RegisterDevice")]


def test_attach_errors_are_clear(tmp_path: Path) -> None:
    with rig(tmp_path, None) as r:
        r.client.attach_i2c(0, 0x48, {0: 1})
        with pytest.raises(HardwareRequestError, match="already has a RegisterDevice at 0x48"):
            r.client.attach_i2c(0, 0x48, {0: 1})
        with pytest.raises(HardwareRequestError, match="outside 0x08..0x77"):
            r.client.attach_i2c(0, 0x03, {0: 1})
        with pytest.raises(HardwareRequestError, match="unknown I2C device model 'nope'"):
            r.client.attach_i2c(0, 0x49, model="nope")
        r.client.detach_i2c(0, 0x48)
        with pytest.raises(HardwareRequestError, match="no device at 0x48"):
            r.client.i2c_registers(0, 0x48)


class Counter(RegisterDevice):
    """A chip model: register 0 counts its own reads; the host can preset it."""

    CONTROL = ("preset",)

    def __init__(self, start: int = 0) -> None:
        super().__init__({0: start}, auto_increment=False)
        self.count = start

    def on_read(self, reg: int) -> None:
        if reg == 0:
            self.count = (self.count + 1) & 0xFF
            self.set_registers({0: self.count})

    def preset(self, value: int) -> int:
        self.count = value
        return value


def test_chip_models_register_by_name_and_take_host_calls(tmp_path: Path) -> None:
    register_i2c_model("counter", Counter)
    with rig(tmp_path) as r:
        r.client.attach_i2c(0, 0x20, model="counter", start=5)
        assert r.exec("from machine import I2C\nprint(I2C(0).readfrom_mem(0x20, 0, 2).hex())") \
            .strip() == "0607"
        assert r.client.i2c_call(0, 0x20, "preset", 100) == 100
        assert r.exec("print(I2C(0).readfrom_mem(0x20, 0, 1)[0])").strip() == "101"
        with pytest.raises(HardwareRequestError, match="no control method 'explode'"):
            r.client.i2c_call(0, 0x20, "explode")


def test_register_device_rules_without_a_board() -> None:
    dev = RegisterDevice({0x05: b"\xc1\x90", 0x06: b"\x00\x54", 0x08: 0x03})
    dev.write(b"\x05")
    assert dev.read(2) == b"\xc1\x90"
    assert dev.read(1) == b"\x00"  # pointer moved to 0x06 after a whole register
    dev.write(b"\x05")
    assert dev.read(1) == b"\xc1"  # a new read starts at the register's first byte
    assert dev.read(1) == b"\xc1"  # half a register read: the pointer stays
    dev.write(b"\x08\x01")
    assert dev.snapshot()[0x08] == b"\x01"
    dev.write(b"")  # an address probe changes nothing
    assert dev.pointer == 0x09
    assert dev.register(0x30) == b"\x00"


class Socket(RegisterDevice):
    """A chip whose wires the host can pull (`present` off) and plug back."""

    CONTROL = ("wired",)

    def wired(self, on: bool) -> None:
        self.present = on


def test_scan_leaves_out_an_unplugged_chip(tmp_path: Path) -> None:
    register_i2c_model("socket", Socket)
    with rig(tmp_path) as r:
        r.client.attach_i2c(0, 0x18, model="socket", registers={0: 0x42})
        r.client.attach_i2c(0, 0x40, {0: 1})
        r.exec("from machine import I2C\ni2c = I2C(0)")
        assert r.exec("print(i2c.scan())").strip() == "[24, 64]"
        r.client.i2c_call(0, 0x18, "wired", False)
        out = r.exec("""
            print(i2c.scan())
            try:
                i2c.readfrom_mem(0x18, 0, 1)
            except OSError as e:
                print(e.errno)
        """)
        assert out.split() == ["[64]", "19"]  # no ACK: gone from the scan, ENODEV on a read
        r.client.i2c_call(0, 0x18, "wired", True)
        assert r.exec("print(i2c.scan(), i2c.readfrom_mem(0x18, 0, 1))").strip() \
            == "[24, 64] b'B'"
