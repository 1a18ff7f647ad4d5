"""Hardware-in-loop testing with pytest: one suite for virtual and real boards (docs/testing.md).

Fixtures: `board`, `boards`, `group`, `bus` (and `hil`, `hm_app`, `hm_session`); marker
`@pytest.mark.board(profile=..., needs=[...], count=N)`; options `--hm-board`, `--hm-bench`,
`--hm-lease-dir`, `--hm-lease-timeout`, `--hm-logdir`, `--hm-bus-address`.

    def test_info(board):
        assert board.call("sys.info")["name"] == board.name
        board.expect(r"hm: node dut1")

Registered through the `pytest11` entry point; `-p harmonia.pytest_plugin` loads it by hand.
"""

from .app import App
from .console import Console
from .context import Hil, HilSession, Requirements
from .dut import Board
from .errors import BenchError, BoardSetupError, ExpectTimeout, LeaseTimeout, Unavailable
from .groupfix import HilGroup
from .hostbus import BusTrace, Events, HostBus
from .plugin import (
    BoardSet,
    board,
    boards,
    bus,
    group,
    hil,
    hm_app,
    hm_manifest,
    hm_session,
    hm_virtual_heap,
    pytest_addoption,
    pytest_configure,
    pytest_fixture_setup,
    pytest_pyfunc_call,
    pytest_runtest_makereport,
)
from .repl import ReplError
from .timing import Timer, measure_until, within

__all__ = [
    "App",
    "BenchError",
    "Board",
    "BoardSet",
    "BoardSetupError",
    "BusTrace",
    "Console",
    "Events",
    "ExpectTimeout",
    "Hil",
    "HilGroup",
    "HilSession",
    "HostBus",
    "LeaseTimeout",
    "ReplError",
    "Requirements",
    "Timer",
    "Unavailable",
    "board",
    "boards",
    "bus",
    "group",
    "hil",
    "hm_app",
    "hm_manifest",
    "hm_session",
    "hm_virtual_heap",
    "measure_until",
    "pytest_addoption",
    "pytest_configure",
    "pytest_fixture_setup",
    "pytest_pyfunc_call",
    "pytest_runtest_makereport",
    "within",
]
