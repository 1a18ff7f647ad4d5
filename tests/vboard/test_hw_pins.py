"""Pins of a virtual board: host-driven inputs, board-driven outputs, IRQs, pulls, names."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hwtools import board_exec, rig, run_board

from harmonia.boards import load_profile
from harmonia.vboard.hw import HardwareRequestError


def test_input_pin_set_by_host_is_read_by_board_code(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin\np = Pin(4, Pin.IN)")
        assert r.exec("print(p.value())").strip() == "0"
        r.client.set_pin(4, 1)
        assert r.exec("print(p.value(), p())").strip() == "1 1"
        r.client.set_pin(4, 0)
        assert r.exec("print(p.value())").strip() == "0"


def test_output_pin_written_by_board_code_is_seen_by_host(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin\nled = Pin(5, Pin.OUT, value=0)")
        state = r.client.get_pin(5)
        assert (state.mode, state.level) == ("out", 0)
        r.exec("led.on()")
        assert r.client.get_pin(5).level == 1
        r.exec("led.toggle()")
        assert r.client.get_pin(5).level == 0
        r.exec("led(1)")
        assert r.client.wait_pin(5, level=1, timeout=1).out == 1


WAITS = {
    "time.sleep": "time.sleep(60)",
    "time.sleep_ms": "time.sleep_ms(60000)",
    "asyncio": "async def idle():\n    await asyncio.sleep(60)\nasyncio.run(idle())",
    "select.poll": "select.poll().poll(60000)",
    "busy loop": "while True:\n    pass",
    "machine calls": "while True:\n    btn.value()",
}


@pytest.mark.parametrize("wait", list(WAITS), ids=list(WAITS))
def test_irq_handler_runs_at_once_whatever_board_code_is_doing(tmp_path: Path, wait: str) -> None:
    script = f"""
import asyncio, select, time
from machine import Pin
echo = Pin(6, Pin.OUT, value=0)
def on_edge(pin):
    echo.value(pin.value())
btn = Pin(4, Pin.IN, Pin.PULL_DOWN)
btn.irq(on_edge, Pin.IRQ_RISING | Pin.IRQ_FALLING)
{WAITS[wait]}
"""
    with rig(tmp_path, script) as r:
        r.client.wait_pin(4, irq=("rising", "falling"), timeout=5)
        for level in (1, 0, 1):
            start = time.monotonic()
            r.client.set_pin(4, level)
            r.client.wait_pin(6, level=level, timeout=5)
            # the board waits 60 s: only an interrupt-like delivery answers this fast
            assert time.monotonic() - start < 2.0


def test_irq_fires_only_on_the_armed_edge(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("""
            from machine import Pin
            seen = []
            echo = Pin(6, Pin.OUT, value=0)
            def on_rise(pin):
                seen.append(pin.value())
                echo.value(len(seen) % 2)
            btn = Pin(4, Pin.IN)
            irq = btn.irq(on_rise, trigger=Pin.IRQ_RISING)
        """)
        assert r.client.get_pin(4).irq == ("rising",)
        r.client.set_pin(4, 1)
        r.client.wait_pin(6, level=1)  # first rising edge handled
        r.client.set_pin(4, 0)
        r.client.set_pin(4, 1)
        r.client.wait_pin(6, level=0)  # second rising edge handled
        assert r.exec("print(seen, irq.trigger())").strip() == "[1, 1] 1"
        r.exec("btn.irq(None)")
        assert r.client.get_pin(4).irq == ()


def test_pull_resistors_set_the_level_until_the_host_drives_it(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin\nb = Pin(7, Pin.IN, Pin.PULL_UP)")
        assert r.exec("print(b.value())").strip() == "1"
        assert r.client.get_pin(7).pull == "up"
        r.client.set_pin(7, 0)  # button pressed
        assert r.exec("print(b.value())").strip() == "0"
        r.client.release_pin(7)
        assert r.exec("print(b.value())").strip() == "1"
        r.exec("b.init(pull=Pin.PULL_DOWN)")
        assert r.exec("print(b.value(), b.pull() == Pin.PULL_DOWN)").strip() == "0 True"


def test_open_drain_pin_is_low_or_released(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin\nod = Pin(8, Pin.OPEN_DRAIN, Pin.PULL_UP, value=0)")
        assert r.client.get_pin(8).level == 0
        r.exec("od(1)")
        assert r.client.get_pin(8).level == 1  # released: the pull-up wins
        r.client.set_pin(8, 0)  # another device holds the line low
        assert r.exec("print(od())").strip() == "0"


def test_pin_names_come_from_the_board_profile(tmp_path: Path) -> None:
    profile = load_profile("virtual")
    led = profile.pins["LED"]
    with rig(tmp_path, profile=profile) as r:
        r.exec("from machine import Pin\nPin('LED', Pin.OUT, value=1)")
        assert r.client.get_pin(led).level == 1
        assert r.client.get_pin("LED").pin == led
        out = r.exec("""
            try:
                Pin(99)
            except ValueError as e:
                print("refused", e)
        """)
        assert "refused invalid pin" in out
        with pytest.raises(HardwareRequestError, match="no pin 99"):
            r.client.set_pin(99, 1)


def test_signal_inverts_a_virtual_pin(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin, Signal\ns = Signal(Pin(5, Pin.OUT), invert=True)\ns.on()")
        assert r.client.get_pin(5).level == 0
        r.exec("s.off()")
        assert r.client.get_pin(5).level == 1


def test_a_restarted_board_sees_host_inputs_and_starts_with_fresh_outputs(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.exec("from machine import Pin\nPin(5, Pin.OUT, value=1)")
        r.client.set_pin(4, 1)
        r.proc.stop()
        second = run_board(r.hub)
        try:
            r.client.wait_boot(2)
            assert r.client.get_pin(5).mode is None  # a reset forgets board-side set-up
            second.wait_output("<ready>\n")
            assert board_exec(second, "from machine import Pin\nprint(Pin(4).value())") == "1\n"
        finally:
            second.stop()
