"""Boards from a bench file, and leases under pytest-xdist: boards on serial ports (here
the pty of a virtual board the test starts, which is exactly what a USB board looks like
to the plugin), and two workers that never share a board."""

from __future__ import annotations

import asyncio  # noqa: F401  (see test_plugin_fixtures.py)
import json
import os
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harmonia.vboard import VirtualBoard
from harmonia.vboard.launch import start_boards, stop_boards

pytest_plugins = ["pytester"]


def plugin_args(pytester: pytest.Pytester) -> list[str]:
    registered = any(ep.value == "harmonia.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--hm-lease-dir", str(pytester.path / "leases")]
    return base if registered else ["-p", "harmonia.pytest_plugin", *base]


@pytest.fixture
def serial_boards(tmp_path: Path) -> Iterator[list[VirtualBoard]]:
    """Two boards on serial ports, with Harmonia's firmware and nothing on their flash."""
    boards = [VirtualBoard(f"usb{i}", state_dir=tmp_path / "bench") for i in (1, 2)]
    start_boards(boards)
    try:
        yield boards
    finally:
        stop_boards(boards)


def bench_file(path: Path, boards: list[VirtualBoard]) -> Path:
    entries = "".join(f'[[board]]\nname = "{b.name}"\nport = "{b.port}"\nprofile = "virtual"\n\n'
                      for b in boards)
    path.write_text('[bus]\naddress = "127.0.0.1"\n\n' + entries)
    return path


def test_a_serial_board_is_provisioned_and_driven_through_its_port(
        pytester: pytest.Pytester, serial_boards: list[VirtualBoard]) -> None:
    bench = bench_file(pytester.path / "bench.toml", serial_boards[:1])
    pytester.makepyfile("""
        import pytest

        def test_serial(board):
            assert board.kind == "serial"
            assert board.call("sys.info")["name"] == "dut1"
            board.expect("hm: node dut1")
            assert board.eval("1 + 1") == 2
            board.write_file("/data/x.txt", "hello")
            assert board.read_file("/data/x.txt") == b"hello"
            assert "x.txt" in board.listdir("/data")
            board.restart()
            board.reboot()
            assert board.call("sys.info")["name"] == "dut1"

        def test_reset_line_of_a_pty(board):
            board.reset_line()

        def test_kill_without_power_commands(board):
            board.kill()
    """)
    result = pytester.runpytest(*plugin_args(pytester), "-rs", "--hm-bench", str(bench))
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*the reset line is not available on dut1 (usb1*",
                                 "*killing the board is not available on dut1 (usb1*power_off*"])


TIMED = """
import json, time

def test_{n}(board):
    start = time.monotonic()
    board.call("sys.info")
    time.sleep(0.6)
    with open({record!r}, "a") as f:
        f.write(json.dumps([board.where, start, time.monotonic()]) + "\\n")
"""


def leases_of(record: Path) -> list[tuple[str, float, float]]:
    return [tuple(json.loads(line)) for line in record.read_text().splitlines()]  # type: ignore


def overlapping(spans: list[tuple[str, float, float]]) -> list[str]:
    """Boards that two tests held at the same time."""
    shared = []
    for i, (a, s1, e1) in enumerate(spans):
        for b, s2, e2 in spans[i + 1:]:
            if a == b and s1 < e2 and s2 < e1:
                shared.append(a)
    return shared


def test_two_xdist_workers_lease_distinct_virtual_boards(pytester: pytest.Pytester) -> None:
    record = pytester.path / "leases.jsonl"
    pytester.makepyfile(**{f"test_w{n}": TIMED.format(n=n, record=str(record))
                           for n in range(4)})
    result = pytester.runpytest_subprocess(*plugin_args(pytester), "-n", "2")
    result.assert_outcomes(passed=4)
    spans = leases_of(record)
    assert overlapping(spans) == []
    assert len({where for where, _, _ in spans}) >= 2  # the workers ran side by side


def test_two_xdist_workers_share_a_bench_without_sharing_a_board(
        pytester: pytest.Pytester, serial_boards: list[VirtualBoard]) -> None:
    bench = bench_file(pytester.path / "bench.toml", serial_boards)
    record = pytester.path / "leases.jsonl"
    pytester.makepyfile(**{f"test_w{n}": TIMED.format(n=n, record=str(record))
                           for n in range(4)})
    result = pytester.runpytest_subprocess(*plugin_args(pytester), "-n", "2",
                                           "--hm-bench", str(bench))
    result.assert_outcomes(passed=4)
    spans = leases_of(record)
    assert overlapping(spans) == []
    assert {where for where, _, _ in spans} == {"usb1 (virtual)", "usb2 (virtual)"}


def test_a_test_waits_for_a_leased_board_then_times_out_naming_the_holder(
        pytester: pytest.Pytester, serial_boards: list[VirtualBoard]) -> None:
    from harmonia.pytest_plugin.lease import LeaseDir

    bench = bench_file(pytester.path / "bench.toml", serial_boards[:1])
    held = LeaseDir(pytester.path / "leases").try_acquire(f"serial:{serial_boards[0].port}",
                                                          "another run")
    assert held is not None
    pytester.makepyfile("def test_x(board): pass")
    try:
        result = pytester.runpytest(*plugin_args(pytester), "--hm-bench", str(bench),
                                    "--hm-lease-timeout", "0.3")
    finally:
        held.release()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*LeaseTimeout: no 1 free board(s) within 0.3 s*another run*"])


def test_a_network_board_answers_on_the_bus_and_skips_what_needs_a_console(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    from harmonia.bus.testing import free_udp_port

    port, key = free_udp_port(), os.urandom(32).hex()
    kitchen = VirtualBoard("kitchen", state_dir=tmp_path / "net")
    kitchen.write_files({"main.py": "import hm.app\nhm.app.main()\n", "hm.json": json.dumps(
        {"name": "kitchen", "board": "virtual", "port": port, "group_key": key,
         "services": ["hm.services.log"], "wifi": {"ssid": "x", "key": "y"}})})
    start_boards([kitchen])
    try:
        kitchen.wait_for_output("hm: node", timeout=10)
        (pytester.path / "bench.toml").write_text(
            f'[bus]\naddress = "127.0.0.1"\nport = {port}\nkey = "{key}"\n\n'
            f'[[board]]\naddress = "{kitchen.address}"\nnode = "kitchen"\nprofile = "virtual"\n')
        pytester.makepyfile("""
            def test_call(board):
                assert board.kind == "network"
                assert board.call("sys.info")["name"] == "kitchen"

            def test_console(board):
                board.expect("anything")

            def test_repl(board):
                board.exec("print(1)")
        """)
        result = pytester.runpytest(*plugin_args(pytester), "-rs", "--hm-bench",
                                    str(pytester.path / "bench.toml"))
    finally:
        stop_boards([kitchen])
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*console output is not available on kitchen*",
                                 "*no REPL on kitchen*"])
