"""Fault injection on virtual boards through the fixtures: kill and power on, reboot and
the reset line (a new boot nonce each time), latency on the host's path, noise on a UART
link that carries the bus between two boards."""

from __future__ import annotations

import asyncio  # noqa: F401  (see test_plugin_fixtures.py)
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]


def plugin_args(pytester: pytest.Pytester) -> list[str]:
    registered = any(ep.value == "harmonia.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--hm-lease-dir", str(pytester.path / "leases")]
    return base if registered else ["-p", "harmonia.pytest_plugin", *base]


def test_faults_on_virtual_boards(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_power="""
        import time
        from harmonia.pytest_plugin import within

        def test_kill_and_power_on(board):
            nonce = board.peer().nonce
            board.kill()
            with within(5.0, "loss noticed") as t:
                t.until(lambda: board.name not in {p.name for p in board.bus.peers()})
            board.power_on()
            board.expect("hm: node dut1")
            assert board.peer().nonce != nonce

        def test_reboot_and_reset_line(board):
            first = board.peer().nonce
            board.reboot()
            second = board.peer().nonce
            board.reset_line()
            third = board.peer().nonce
            assert len({first, second, third}) == 3

        def test_latency_on_the_host_path(board):
            board.call("sys.info")
            board.add_latency(0.15)
            start = time.monotonic()
            board.call("sys.info", timeout=3)
            assert time.monotonic() - start >= 0.3
            board.add_latency(0)
            with within(0.25, "a call without latency"):
                board.call("sys.info")

        def test_noise_without_a_link_skips(board):
            board.noise()
    """, test_serial="""
        import pytest
        from harmonia.pytest_plugin import App, within

        @pytest.fixture
        def hm_app():
            return App(config={"serial": [{"uart": 1, "baud": 115200}]})

        def test_noise_on_a_uart_link(boards):
            a, b = boards
            link = boards.link_uart(a, b, 1)
            a.noise(corrupt=0.5)
            with within(5.0, "damaged bytes on the link") as t:
                t.until(lambda: sum(link.stats().corrupted.values()))
            a.heal()
            assert a.call("sys.info")["name"] == "dut1"
    """)
    result = pytester.runpytest(*plugin_args(pytester), "-rs")
    result.assert_outcomes(passed=4, skipped=1)
    result.stdout.fnmatch_lines(["*has no UART link to put noise on*"])
