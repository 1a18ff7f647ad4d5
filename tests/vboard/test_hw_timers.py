"""Timers, the watchdog and resets asked for by board code."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from hwtools import board_exec, rig, run_board

from harmonia.vboard.hw import RESET_EXIT_CODE


def test_periodic_and_one_shot_timers_call_back_while_the_board_idles(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        start = time.monotonic()
        r.exec("""
            from machine import Pin, Timer
            done, once = Pin(6, Pin.OUT, value=0), Pin(7, Pin.OUT, value=0)
            ticks, shots = [], []
            def tick(t):
                ticks.append(1)
                if len(ticks) == 5:
                    t.deinit()
                    done(1)
            def shot(t):
                shots.append(1)
                once(1)
            Timer(-1, mode=Timer.PERIODIC, period=20, callback=tick)
            Timer(1).init(mode=Timer.ONE_SHOT, freq=100, callback=shot)
        """)
        r.client.wait_pin(7, level=1, timeout=5)
        r.client.wait_pin(6, level=1, timeout=5)
        assert time.monotonic() - start >= 0.1  # five periods of 20 ms
        assert r.exec("print(len(ticks), len(shots))").split() == ["5", "1"]


def test_watchdog_not_fed_resets_the_board(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        fired = threading.Event()
        r.hub.on_reset = fired.set
        start = time.monotonic()
        r.exec("""
            from machine import WDT, Timer
            wdt = WDT(timeout=100)
            feeds = []
            def feed(t):
                feeds.append(1)
                wdt.feed()
                if len(feeds) == 8:
                    t.deinit()  # stop feeding after about 0.4 s
            Timer(-1, period=50, callback=feed)
        """)
        assert fired.wait(5)
        assert time.monotonic() - start >= 0.4


def test_machine_reset_ends_the_process_and_the_next_boot_knows_why(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.proc.write(b"import machine\nmachine.reset()\n".hex().encode() + b"\n")
        assert r.proc.wait(10) == RESET_EXIT_CODE
        second = run_board(r.hub)
        try:
            r.client.wait_boot(2)
            second.wait_output("<ready>\n")
            cause = "import machine\nprint(machine.reset_cause() == machine.HARD_RESET)"
            assert board_exec(second, cause).strip() == "True"
            assert r.client.info()["cause"] == 2
        finally:
            second.stop()


def test_reset_from_a_callback_is_done_by_the_hub(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        code = b"import machine\nmachine.Timer(-1, period=1, callback=lambda t: machine.reset())"
        r.proc.write(code.hex().encode() + b"\n")
        assert r.proc.wait(10) == -signal.SIGTERM  # no supervisor hook: the hub ends it


def test_machine_reset_calls_the_supervisor_hook(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        asked = threading.Event()

        def restart() -> None:
            asked.set()
            r.proc.stop()  # what a supervisor does before starting a new process

        r.hub.on_reset = restart
        r.proc.write(b"import machine\nmachine.reset()\n".hex().encode() + b"\n")
        assert asked.wait(5)
        assert r.proc.wait(10) != 0
