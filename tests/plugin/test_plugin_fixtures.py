"""The pytest plugin, driven through pytester: fixtures start and stop boards with nothing
left behind, the marker skips with a reason, a failure shows the board's console, and the
reports carry consoles, bus trace and timings."""

from __future__ import annotations

# Imported before any in-process pytester run: a run that imports asyncio first leaves its
# C part bound to that run's classes once pytester drops the modules it imported, and a
# later run's tasks then raise a CancelledError no `except` of the new modules catches.
import asyncio  # noqa: F401
import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def plugin_args(pytester: pytest.Pytester) -> list[str]:
    """Load the plugin by hand unless the installed distribution registers it already."""
    registered = any(ep.value == "harmonia.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--hm-lease-dir", str(pytester.path / "leases")]
    return base if registered else ["-p", "harmonia.pytest_plugin", *base]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has no command line: it is gone as far as a board goes
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except OSError:
        return False


def processes_under(path: Path) -> list[str]:
    """Command lines of running processes that mention `path` (board supervisors)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(path) in cmd:
                found.append(f"{entry.name}: {cmd}")
    return found


def test_fixtures_start_boards_and_leave_no_process_behind(pytester: pytest.Pytester) -> None:
    record = pytester.path / "pids.json"
    pytester.makepyfile(f"""
        import json

        def test_board(board, bus):
            assert board.call("sys.info")["name"] == board.name == "dut1"
            assert board.eval("6 * 7") == 42
            pids = board.pids()
            assert len(pids) == 2
            with open({str(record)!r}, "a") as f:
                f.write(json.dumps(pids) + "\\n")

        def test_boards(boards):
            assert [b.name for b in boards] == ["dut1", "dut2"]
            assert {{b.call("sys.info")["name"] for b in boards}} == {{"dut1", "dut2"}}
            with open({str(record)!r}, "a") as f:
                f.write(json.dumps([p for b in boards for p in b.pids()]) + "\\n")
    """)
    result = pytester.runpytest(*plugin_args(pytester))
    result.assert_outcomes(passed=2)
    pids = [pid for line in record.read_text().splitlines() for pid in json.loads(line)]
    assert len(pids) == 6
    assert [pid for pid in pids if alive(pid)] == []
    assert processes_under(pytester.path) == []


def test_marker_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.board(needs=["ble"])
        def test_radio(board):
            pass

        @pytest.mark.board(profile="rpi-pico-w")
        def test_profile(board):
            assert board.profile.name == "rpi-pico-w"

        @pytest.mark.board(count=40)
        def test_too_many(boards):
            pass

        def test_partition_of_a_udp_board(board):
            board.partition()
    """)
    result = pytester.runpytest(*plugin_args(pytester), "-rs", "--hm-board", "virtual:virtual")
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines([
        "*needs 1 board(s) with ble*virtual:virtual: no ble (has *wifi*)*",
        "*needs 1 board(s) with profile rpi-pico-w*virtual:virtual: profile is virtual*",
        "*needs 40 board(s)*32 fit*",
        "*partitioning dut1 (virtual virtual hil*) from its group is not available*",
    ])


def test_virtual_boards_take_the_profile_a_test_asks_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.board(profile="rpi-pico2-w", needs=["wifi"])
        def test_pico(board):
            assert board.profile.name == "rpi-pico2-w"
            assert board.call("sys.info")["board"] == "rpi-pico2-w"
    """)
    pytester.runpytest(*plugin_args(pytester)).assert_outcomes(passed=1)


def test_failure_output_includes_the_console_and_bus_trace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_fails(board):
            board.exec("print('marker' + '-4711')")
            board.restart()
            board.call("sys.info")
            assert False, "the board said something odd"
    """)
    result = pytester.runpytest(*plugin_args(pytester))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*Captured stdout: dut1 console (virtual virtual hil*) call*",
        "marker-4711",
        "*Captured stdout: bus trace*",
        "*>> REQUEST  host > dut1 sys.info*",
        "*<< RESPONSE dut1 > host sys.info*",
    ])


def test_expect_waits_for_console_output_and_names_it_on_timeout(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from harmonia.pytest_plugin import ExpectTimeout

        def test_expect(board):
            match = board.expect(r"hm: node (\\w+) id", timeout=5)
            assert match.group(1) == "dut1"
            with pytest.raises(ExpectTimeout, match="did not print 'never'"):
                board.expect("never", timeout=0.2)
            board.exec("print('one'); print('two')")
            assert board.expect_exact("two") == "two"
            with pytest.raises(ExpectTimeout, match="refuses"):
                board.exec("print('bad'); print('good')")
                board.expect("good", not_matching="bad", timeout=1)
    """)
    pytester.runpytest(*plugin_args(pytester)).assert_outcomes(passed=1)


def test_junit_xml_carries_the_console(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_fails(board):
            board.exec("print('junit' + '-console')")
            assert False
    """)
    xml = pytester.path / "report.xml"
    result = pytester.runpytest(*plugin_args(pytester), f"--junitxml={xml}",
                                "-o", "junit_logging=system-out")
    result.assert_outcomes(failed=1)
    text = xml.read_text()
    assert "junit-console" in text
    assert "<system-out>" in text


def test_within_reports_the_measured_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import time
        from harmonia.pytest_plugin import within

        def test_slow(board):
            with within(0.05, "nap"):
                time.sleep(0.2)

        def test_until(board):
            with within(5.0, "node heard") as t:
                t.until(lambda: board.bus.peers())
            assert t.elapsed < 5.0
    """)
    xml = pytester.path / "report.xml"
    result = pytester.runpytest(*plugin_args(pytester), f"--junitxml={xml}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: nap took 0.2* s, limit 0.05 s*",
                                 "*Captured stdout: timings*",
                                 "nap: 0.2* s (limit 0.05 s)  MISSED"])
    assert 'name="timing: node heard"' in xml.read_text()


def test_plugin_leaves_tests_without_its_fixtures_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_plain():
            print("plain output")
            assert False
    """)
    result = pytester.runpytest(*plugin_args(pytester))
    result.assert_outcomes(failed=1)
    assert "Captured stdout:" not in result.stdout.str()
    assert not (pytester.path / "leases").exists()


def test_a_bad_board_option_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*plugin_args(pytester), "--hm-board", "virtual:no-such-board")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no board profile 'no-such-board'*"])


def test_pytest_html_shows_the_console_as_an_extra(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_html")
    pytester.makepyfile("""
        def test_fails(board):
            board.exec("print('html' + '-console')")
            assert False
    """)
    page = pytester.path / "report.html"
    result = pytester.runpytest(*plugin_args(pytester), f"--html={page}",
                                "--self-contained-html")
    result.assert_outcomes(failed=1)
    text = page.read_text()
    assert "dut1 console (virtual virtual hil" in text
    assert "html-console" in text
