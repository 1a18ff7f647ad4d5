"""Fixtures for the CircuitPython driver tests (see drvtools.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from drvtools import Rig, build_driver_lib, rig, write_pin_table


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
