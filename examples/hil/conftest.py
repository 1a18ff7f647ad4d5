"""The HIL example suite: the fan controller of examples/fan as a super device.

On virtual boards (the default) the `group` fixture brings the manifest below up for each
test on boards of its own; on a bench, `--hm-bench examples/hil/bench.toml` names the real
boards and the manifest that lists them (fan-bench.toml), and the same tests run unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonia.demo.roomy import HEAP

FAN = Path(__file__).resolve().parents[1] / "fan" / "fan.toml"


@pytest.fixture
def hm_manifest() -> Path:
    return FAN


@pytest.fixture
def hm_virtual_heap() -> int:
    """Bus, group agent and files service need more heap than the ESP32-C3 and RP2040
    profiles give today (harmonia.demo.roomy); virtual members get this much."""
    return HEAP
