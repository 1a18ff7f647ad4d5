"""The `group` fixture: a super device from a manifest (harmonia.group.up) on the test's
own port and state directory, its members as boards, a failover measured, nothing left."""

from __future__ import annotations

import asyncio  # noqa: F401  (see test_plugin_fixtures.py)
import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

MANIFEST = """
[group]
name = "pair"
virtual = true

[members.a]
board = "virtual"

[members.b]
board = "virtual"

[members.c]
board = "virtual"

[roles.echo]
services = ["echo_svc"]
prefer = ["a"]

[interface.methods]
ping = "echo:echo.ping"
"""

SERVICE = """
class Echo:
    def ping(self, x=None):
        return ["pong", x]


def register(node):
    node.register("echo", Echo(), "1.0", ("ping",))
"""


def plugin_args(pytester: pytest.Pytester) -> list[str]:
    registered = any(ep.value == "harmonia.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--hm-lease-dir", str(pytester.path / "leases")]
    return base if registered else ["-p", "harmonia.pytest_plugin", *base]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except (ProcessLookupError, OSError):
        return False


def test_group_fixture_brings_up_fails_over_and_goes_down(pytester: pytest.Pytester) -> None:
    (pytester.path / "pair.toml").write_text(MANIFEST)
    (pytester.path / "echo_svc.py").write_text(SERVICE)
    record = pytester.path / "pids.json"
    pytester.makepyfile(test_pair=f"""
        import json
        import pytest
        from harmonia.pytest_plugin import within

        @pytest.mark.group("pair.toml")
        def test_failover(group, bus):
            assert group.call("ping", 7) == ["pong", 7]
            assert sorted(group.members) == ["a", "b", "c"]
            assert bus.call("a", "sys.info")["name"] == "a"
            old = group.holder("echo")
            pids = [p for m in group.members.values() for p in m.pids()]
            with open({str(record)!r}, "w") as f:
                json.dump(pids, f)
            group.kill(old)
            with within(10.0, "echo role moved") as t:
                t.until(lambda: group.holder("echo") not in (None, old))
            assert group.call("ping", 8) == ["pong", 8]
            group.revive(old)
            group.member(old).expect("hm: node " + old)

        @pytest.mark.group("pair.toml")
        def test_partition_skips(group):
            group.partition("a")
    """)
    result = pytester.runpytest(*plugin_args(pytester), "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*partitioning a from group pair is not available*"])
    pids = json.loads(record.read_text())
    assert len(pids) == 6
    assert [p for p in pids if alive(p)] == []


def test_group_fixture_without_a_manifest_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_g(group): pass")
    result = pytester.runpytest(*plugin_args(pytester))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the group fixture needs a manifest*"])
