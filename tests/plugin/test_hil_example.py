"""examples/hil, the HIL suite against the fan controller (a call, an event, a failover, a
rolling deploy), runs here on virtual boards so it never rots; its bench files parse."""

from __future__ import annotations

import asyncio  # noqa: F401  (see test_plugin_fixtures.py)
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harmonia.group import load
from harmonia.pytest_plugin.spec import load as load_bench

pytest_plugins = ["pytester"]

HIL = Path(__file__).resolve().parents[2] / "examples" / "hil"


def plugin_args(pytester: pytest.Pytester) -> list[str]:
    registered = any(ep.value == "harmonia.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--hm-lease-dir", str(pytester.path / "leases")]
    return base if registered else ["-p", "harmonia.pytest_plugin", *base]


def test_the_example_suite_passes_on_virtual_boards(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*plugin_args(pytester), str(HIL), "-q",
                                           "--basetemp", str(pytester.path / "tmp"))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 5, outcomes
    assert not outcomes.get("failed") and not outcomes.get("errors"), outcomes


def test_the_example_bench_files_parse(tmp_path: Path) -> None:
    key = tmp_path / "bench.key"
    key.write_text(os.urandom(32).hex())
    for name in ("bench.toml", "fan-bench.toml"):
        text = (HIL / name).read_text().replace("~/.harmonia/bench.key", str(key))
        text = text.replace('src = "../fan"', f'src = "{HIL.parent / "fan"}"')
        (tmp_path / name).write_text(text)
    bench = load_bench(tmp_path / "bench.toml")
    assert [b.name for b in bench.boards] == ["sensor", "relay", "controller"]
    assert bench.manifest == (tmp_path / "fan-bench.toml").resolve()
    manifest = load(bench.manifest)
    assert not any(m.virtual for m in manifest.members)
    assert {m.name for m in manifest.members} == {b.name for b in bench.boards}
