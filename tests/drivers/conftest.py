"""Fixtures for the CircuitPython driver tests (see drvtools.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from drvtools import COMPAT, Rig, build_driver_lib, rig, write_pin_table

BUS_FIXTURES = Path(__file__).resolve().parents[1] / "bus" / "conftest.py"


def bus_fixtures() -> Any:
    """tests/bus/conftest.py as a module: its FwBus runs hm.app boards behind hubs."""
    name = "bus_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BUS_FIXTURES)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def driver_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The drivers and their libraries, collected and compiled once per session."""
    return build_driver_lib(tmp_path_factory.mktemp("drivers"))


@pytest.fixture(scope="session")
def pin_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pin_table(tmp_path_factory.mktemp("pins"))


@pytest.fixture
def board(tmp_path: Path, driver_lib: Path, pin_table: Path) -> Iterator[Rig]:
    """A virtual-profile board with the drivers deployed and nothing on its buses."""
    with rig(tmp_path, driver_lib, pin_table) as r:
        yield r


@pytest.fixture
def fwbus(tmp_path: Path, driver_lib: Path, pin_table: Path) -> Iterator[Any]:
    """Boards running the firmware bus (hm.app) with the CircuitPython layer, the
    drivers and the pin table on their import path; a fresh port and key."""
    bus = bus_fixtures().FwBus(tmp_path)
    bus.paths = (str(COMPAT), str(driver_lib / "lib"), str(pin_table))
    try:
        yield bus
    finally:
        bus.close()
