"""ADC, PWM, SPI, the clock and the board's identity."""

from __future__ import annotations

from pathlib import Path

from hwtools import rig, run_board

from harmonia.boards import load_profile
from harmonia.vboard.hw import RUNTIME_HEAP, PwmState
from harmonia.vboard.hw.facts import board_facts


def test_adc_reads_what_the_host_sets(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import ADC, Pin\nadc = ADC(Pin(2), atten=ADC.ATTN_11DB)")
        assert r.exec("print(adc.read_u16())").strip() == "0"
        r.client.set_adc(2, 40000)
        assert r.exec("print(adc.read_u16(), adc.read(), adc.read_uv())").split() == [
            "40000", str(40000 >> 4), str(40000 * 3300000 // 65535)]


def test_pwm_frequency_and_duty_are_seen_by_the_host(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import PWM, Pin\npwm = PWM(Pin(5), freq=1000, duty_u16=16384)")
        assert r.client.get_pwm(5) == PwmState(5, 1000, 16384, False, True)
        r.exec("pwm.freq(2000)\npwm.duty_ns(125000)")
        state = r.client.get_pwm(5)
        assert state is not None
        assert (state.freq, state.duty_u16) == (2000, 125000 * 2000 * 65535 // 10**9)
        assert r.exec("print(pwm.freq(), pwm.duty_u16())").split() == ["2000", "16383"]
        r.exec("pwm.deinit()")
        assert r.client.get_pwm(5) == PwmState(5, 2000, 16383, False, False)
        assert r.client.get_pwm(6) is None


def test_spi_device_is_selected_by_its_chip_select_pin(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.client.attach_spi(1, cs=10)  # a loopback device
        out = r.exec("""
            from machine import SPI, Pin
            cs = Pin(10, Pin.OUT, value=1)
            spi = SPI(1, baudrate=2000000, polarity=1, phase=1)
            print(spi.read(2, 0x42))        # not selected: MISO idles high
            cs(0)
            buf = bytearray(3)
            spi.write_readinto(b"abc", buf)
            print(buf, spi.read(2, 0x42))
            spi.write(b"\\x01\\x02")
            cs(1)
        """)
        assert out.split() == ["b'\\xff\\xff'", "bytearray(b'abc')", "b'BB'"]
        assert r.client.spi_config(1) == {"baud": 2000000, "pol": 1, "pha": 1, "bits": 8}
        log = r.client.spi_log(1, clear=True)
        assert log[1] == (b"abc", b"abc") and log[-1] == (b"\x01\x02", b"\x01\x02")
        assert r.client.spi_log(1) == []


def test_cpu_frequency_comes_from_the_profile_and_board_code_sets_it(tmp_path: Path) -> None:
    profile = load_profile("esp32-c3-devkitm-1")
    with rig(tmp_path, profile=profile) as r:
        assert r.exec("import machine\nprint(machine.freq())").strip() == str(profile.cpu_freq)
        r.exec("machine.freq(80000000)")
        assert r.client.freq() == 80_000_000


def test_unique_id_is_stable_per_board_name(tmp_path: Path) -> None:
    with rig(tmp_path, name="kitchen") as r:
        uid = r.exec("import machine\nprint(machine.unique_id().hex())").strip()
        assert uid == board_facts("kitchen", None).uid.hex() == r.client.info()["uid"]
    assert board_facts("kitchen", None).uid != board_facts("garage", None).uid
    assert len(board_facts("x", load_profile("rpi-pico-w")).uid) == 8
    assert len(board_facts("x", load_profile("nucleo-f446re")).uid) == 12


def test_the_runtime_fits_the_heap_it_declares(tmp_path: Path) -> None:
    with rig(tmp_path, None) as r:
        board = run_board(r.hub, """
import gc
gc.collect()
before = gc.mem_alloc()
import machine, network
w = network.WLAN()
w.active(True)
w.connect("x", "y")
p = machine.Pin(4, machine.Pin.OUT)
p.irq(lambda p: None)
u = machine.UART(1)
i = machine.I2C(0)
s = machine.SPI(1)
a = machine.ADC(2)
m = machine.PWM(p)
t = machine.Timer(-1, period=1000, callback=lambda t: None)
gc.collect()
print("used", gc.mem_alloc() - before, "bytes")
t.deinit()
""")
        try:
            used = int(board.wait_output(" bytes").split("used ")[1].split()[0])
        finally:
            board.stop()
        assert used < RUNTIME_HEAP
