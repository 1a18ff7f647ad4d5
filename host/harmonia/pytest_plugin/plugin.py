"""The pytest side: options, the `board` marker, the fixtures and the report hooks.

Nothing here acts unless a test uses one of the fixtures: options default to "virtual
boards on demand", the hooks look only at tests that leased boards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import report, timing
from .app import App
from .context import Hil, HilSession, Requirements
from .dut import Board
from .errors import BenchError, BoardSetupError, Unavailable
from .groupfix import HilGroup, bring_up
from .hostbus import HostBus
from .lease import default_lease_dir
from .spec import parse

HIL = pytest.StashKey[Hil]()
LEASE_TIMEOUT = 600.0
DEFAULT_BOARDS = 2


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harmonia", "Harmonia hardware-in-loop boards")
    group.addoption(
        "--hm-board", action="append", default=[], metavar="SPEC",
        help="boards the board/boards/group fixtures may use (repeat, or comma-separate): "
             "virtual, virtual:PROFILE, a serial port[@PROFILE], udp:ADDRESS[@PROFILE], or a "
             "bench file (.toml). Default: virtual boards of any profile.")
    group.addoption("--hm-bench", action="append", default=[], metavar="FILE",
                    help="a bench file listing the boards on a bench (same as --hm-board FILE)")
    group.addoption("--hm-lease-dir", default=None, metavar="DIR",
                    help="where board leases are kept (default: $HARMONIA_LEASE_DIR, else "
                         "one directory per user in the temp dir)")
    group.addoption("--hm-lease-timeout", type=float, default=None, metavar="SECONDS",
                    help=f"how long a test waits for a leased board (default {LEASE_TIMEOUT:g})")
    group.addoption("--hm-logdir", default=None, metavar="DIR",
                    help="where each test's console logs and bus trace go (default: under "
                         "pytest's base temp dir)")
    group.addoption("--hm-virtual-heap", type=int, default=None, metavar="BYTES",
                    help="raise every virtual board's heap to at least BYTES (the firmware "
                         "with the group agent does not fit the small profiles yet)")
    group.addoption("--hm-bus-address", default=None, metavar="IP",
                    help="address the test's host bus node binds (default: 127.0.0.1 for "
                         "virtual boards, 0.0.0.0 with real ones)")
    parser.addini("hm_boards", type="linelist", default=[],
                  help="default for --hm-board, one spec per line")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "board(profile=None, needs=(), count=None): the boards this test needs: a profile "
        "(or a list of them), capabilities such as 'wifi', 'repl' or 'kill', and for the "
        "boards fixture how many; a test whose needs the bench cannot meet is skipped",
    )
    config.addinivalue_line(
        "markers",
        "group(manifest): the group manifest (TOML) the group fixture brings up for this "
        "test; a bench file's [group] manifest takes its place on a bench",
    )
    specs = _specs(config)
    if specs:  # a bad value fails the run at once, not in the first test that leases
        try:
            parse(specs, config.rootpath)
        except BenchError as exc:
            raise pytest.UsageError(str(exc)) from None


def _specs(config: pytest.Config) -> list[str]:
    given: list[str] = list(config.getoption("hm_board") or [])
    given += list(config.getoption("hm_bench") or [])
    return given or list(config.getini("hm_boards"))


# ---- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hm_session(pytestconfig: pytest.Config,
               tmp_path_factory: pytest.TempPathFactory) -> HilSession:
    """The bench of this run: its boards, leases and directories (one per test process)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    logdir = pytestconfig.getoption("hm_logdir")
    lease_dir = pytestconfig.getoption("hm_lease_dir")
    timeout = pytestconfig.getoption("hm_lease_timeout")
    try:
        bench = parse(_specs(pytestconfig), pytestconfig.rootpath)
    except BenchError as exc:
        raise pytest.UsageError(str(exc)) from None
    return HilSession(
        bench,
        lease_dir=Path(lease_dir) if lease_dir else default_lease_dir(),
        state_dir=root / "hm-vboards",
        log_root=Path(logdir) if logdir else root / "hm-logs",
        lease_timeout=LEASE_TIMEOUT if timeout is None else float(timeout),
        bus_address=pytestconfig.getoption("hm_bus_address"),
        private_dir=base,
    )


@pytest.fixture
def hm_virtual_heap(pytestconfig: pytest.Config) -> int | None:
    """Heap (bytes) every virtual board gets at least; None: the profiles' own. Override it
    in a conftest, or give --hm-virtual-heap."""
    value: int | None = pytestconfig.getoption("hm_virtual_heap")
    return value


@pytest.fixture
def hm_app() -> App:
    """The app the `board`/`boards` fixtures put on each board; override it to add your
    services (`App(services=(...), src=...)`), or return `App(bus=False)` for bare boards."""
    return App()


@pytest.fixture
def hil(request: pytest.FixtureRequest, hm_session: HilSession,
        hm_virtual_heap: int | None) -> Iterator[Hil]:
    """This test's boards, host bus node, port and key; stops and releases them at the end."""
    with contextlib.ExitStack() as stack:
        if hm_virtual_heap:
            from ..demo.roomy import using_boards

            stack.enter_context(using_boards(hm_session.roomy_boards(hm_virtual_heap)))
        context = Hil(hm_session, request.node.nodeid)
        request.node.stash[HIL] = context
        yield context
        errors = context.close()
    if errors:
        raise BoardSetupError("tearing down the test's boards: " + "; ".join(errors))


@pytest.fixture
def hm_manifest() -> Path | None:
    """The group manifest the `group` fixture brings up; override it in a conftest (a
    `@pytest.mark.group(path)` marker, or a bench file's [group], comes first)."""
    return None


@pytest.fixture
def group(request: pytest.FixtureRequest, hil: Hil, hm_manifest: Path | None) -> HilGroup:
    """A super device brought up from a manifest (harmonia.group.up) on this test's port;
    its virtual members are this test's own, and it is brought down after the test."""
    mark = request.node.get_closest_marker("group")
    path = hil.session.bench.manifest
    if path is None and mark is not None and mark.args:
        path = Path(str(mark.args[0]))
        if not path.is_absolute():
            path = Path(str(request.node.fspath)).parent / path
    if path is None:
        path = hm_manifest
    if path is None:
        pytest.fail("the group fixture needs a manifest: @pytest.mark.group('fan.toml'), an "
                    "hm_manifest fixture, or [group] manifest in the bench file",
                    pytrace=False)
    return bring_up(hil, Path(path))


def _group_first(request: pytest.FixtureRequest) -> None:
    """A test that uses `group` gets it before its other boards and its bus node, so
    they join the group's port and key."""
    if "group" in request.fixturenames:
        request.getfixturevalue("group")


@pytest.fixture
def board(request: pytest.FixtureRequest, hil: Hil, hm_app: App) -> Board:
    """One device under test (leased; started with `hm_app`; stopped after the test)."""
    _group_first(request)
    req = requirements(request.node)
    [dut] = hil.take(req, 1, hm_app, pytest.skip)
    return dut


class BoardSet(list[Board]):
    """The boards of the `boards` fixture: a list, plus lookup by node name and UART wiring."""

    def __init__(self, hil: Hil, boards: list[Board]) -> None:
        super().__init__(boards)
        self.hil = hil

    def named(self, name: str) -> Board:
        return self.hil.board(name)

    def link_uart(self, a: Board, b: Board, uart: int = 1, **impairment: Any) -> Any:
        """Wire two virtual boards' UARTs (see `Hil.link_uart`)."""
        return self.hil.link_uart(a, b, uart, **impairment)


@pytest.fixture
def boards(request: pytest.FixtureRequest, hil: Hil, hm_app: App) -> BoardSet:
    """Several devices under test, started in parallel; how many: the marker's count (2)."""
    _group_first(request)
    req = requirements(request.node)
    count = req.count or DEFAULT_BOARDS
    return BoardSet(hil, hil.take(req, count, hm_app, pytest.skip))


@pytest.fixture
def bus(request: pytest.FixtureRequest, hil: Hil) -> HostBus:
    """The host's bus node for this test: on the test's port, with its group key."""
    _group_first(request)
    return hil.bus


def requirements(node: pytest.Item | Any) -> Requirements:
    """The `board` markers on a test (nearest first) as one set of requirements."""
    profiles: tuple[str, ...] = ()
    needs: list[str] = []
    count: int | None = None
    for mark in node.iter_markers("board"):
        kwargs = dict(mark.kwargs)
        unknown = set(kwargs) - {"profile", "needs", "count"}
        if unknown or mark.args:
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.board takes profile=, needs= "
                                    f"and count= only (got {sorted(unknown) or mark.args})")
        profile = kwargs.get("profile")
        if profile and not profiles:
            profiles = (profile,) if isinstance(profile, str) else tuple(profile)
        wanted = kwargs.get("needs") or ()
        needs += [wanted] if isinstance(wanted, str) else list(wanted)
        if count is None and kwargs.get("count") is not None:
            count = int(kwargs["count"])
    return Requirements(profiles, tuple(dict.fromkeys(needs)), count)


# ---- hooks ----------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    """A fault or feature the board cannot do skips the test, with the reason."""
    hil = pyfuncitem.stash.get(HIL, None)

    def record(what: str, elapsed: float, limit: float, ok: bool) -> None:
        pyfuncitem.user_properties.append((f"timing: {what}", f"{elapsed:.3f}"))
        if hil is not None:
            hil.timings.append((what, elapsed, limit, ok))

    timing._recorders.append(record)
    try:
        return (yield)
    except Unavailable as exc:
        pytest.skip(str(exc))
    finally:
        timing._recorders.remove(record)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest
                         ) -> Generator[None, Any, Any]:
    try:
        return (yield)
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Each test's consoles, bus trace and timings go into its report."""
    hil = item.stash.get(HIL, None)
    found: list[tuple[str, str]] = []
    if hil is not None and (call.when == "call" or call.excinfo is not None):
        try:
            found = report.sections(hil)
        except Exception as exc:  # noqa: BLE001 - a report must never break the run
            found = [("harmonia", f"could not collect the boards' logs: {exc}")]
        report.attach(item, call.when, found)
    rep: pytest.TestReport = yield
    if found and item.config.pluginmanager.hasplugin("html"):
        report.html_extras(rep, found)
    return rep
