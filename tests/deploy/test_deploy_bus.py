"""Deploy over the bus (the board's `files` service): hot, with no reboot, or rebooted
when asked; a diff as over serial; a refusal leaves the running version alone."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploytools import noise, write_tree

from harmonia.build import build_firmware
from harmonia.bus.sync import SyncBus
from harmonia.bus.testing import free_udp_port
from harmonia.busops import BusOptions, connect
from harmonia.deploy import DeployOptions, DiskFullError
from harmonia.deploy.overbus import deploy_node, deploy_nodes
from harmonia.vboard import VirtualBoard
from harmonia.vboard.board import start_boards  # type: ignore[attr-defined]

SVC = """\
VERSION = "{v}"


class Svc:
    def version(self):
        return VERSION


def register(node):
    node.register("svc", Svc(), "1.0", ("version",))
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """firmware/ compiled for the virtual boards (x64), as a flashed board runs it."""
    out = tmp_path_factory.mktemp("fw")
    build_firmware(out, ["x64"])
    return out / "x64"


class Rig:
    def __init__(self, root: Path) -> None:
        self.state_dir = root / "state"
        self.port = free_udp_port()
        self.key = os.urandom(32)
        self.boards: list[VirtualBoard] = []

    def start(self, *names: str, profile: str = "virtual") -> list[VirtualBoard]:
        boards = []
        for name in names:
            board = VirtualBoard(name, profile, state_dir=self.state_dir)
            config = {
                "name": name,
                "board": profile,
                "group_key": self.key.hex(),
                "port": self.port,
                "services": ["hm.services.files", "svc"],
            }
            board.write_files(
                {
                    "main.py": "import hm.app\nhm.app.main()\n",
                    "hm.json": json.dumps(config),
                    "svc.py": SVC.format(v="0"),  # before any deploy
                }
            )
            boards.append(board)
        self.boards += boards
        start_boards(boards)
        for board in boards:
            board.wait_for_output("hm: node", timeout=10)
        return boards


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled: Path) -> Iterator[Rig]:
    monkeypatch.setenv("HARMONIA_FIRMWARE", str(compiled))
    r = Rig(tmp_path)
    try:
        yield r
    finally:
        for board in r.boards:
            board.stop()


def _svc(bus: SyncBus, node: str) -> str:
    return str(bus.call(node, "svc.version", timeout=3))


def test_a_hot_deploy_runs_the_new_service_without_a_reboot(rig: Rig, tmp_path: Path) -> None:
    (board,) = rig.start("hot")
    src = write_tree(tmp_path / "app", {"svc.py": SVC.format(v="1"), "data.txt": "x"})
    with connect(BusOptions(port=rig.port, key=rig.key)) as bus:
        bus.wait_for_peers(1, timeout=5, names=["hot"])
        assert _svc(bus, "hot") == "0"
        boots = board.status().boots
        first = deploy_node(bus, "hot", DeployOptions(src=src))
        assert first.changed and set(first.sent) == {"svc.mpy", "data.txt"}
        assert _svc(bus, "hot") == "1"  # the new code answers ...
        assert board.status().boots == boots  # ... and the board never restarted
        again = deploy_node(bus, "hot", DeployOptions(src=src))
        assert not again.changed and again.sent == ()
        write_tree(src, {"svc.py": SVC.format(v="2")})
        second = deploy_node(bus, "hot", DeployOptions(src=src))
        assert second.sent == ("svc.mpy",) and second.deleted == ("data.txt",)
        assert _svc(bus, "hot") == "2"
    board.reset(hard=True)  # the switched version is also what it boots
    board.wait_for_output("hm: node", timeout=10, since=0)
    with connect(BusOptions(port=rig.port, key=rig.key)) as bus:
        bus.wait_for_peers(1, timeout=5, names=["hot"])
        assert _svc(bus, "hot") == "2"


def test_reboot_on_request_and_several_nodes_at_once(rig: Rig, tmp_path: Path) -> None:
    boards = rig.start("n1", "n2")
    src = write_tree(tmp_path / "app", {"svc.py": SVC.format(v="7")})
    with connect(BusOptions(port=rig.port, key=rig.key)) as bus:
        bus.wait_for_peers(2, timeout=5, names=["n1", "n2"])
        outcomes = deploy_nodes(bus, ["n1", "n2", "nobody"], DeployOptions(src=src), reboot=True)
        assert [o.ok for o in outcomes] == [True, True, False]
        assert "nobody" in str(outcomes[2].error)
        assert all(b.status().boots == 2 for b in boards)  # each was reset once
        bus.wait_for_peers(2, timeout=10, names=["n1", "n2"])
        assert _svc(bus, "n1") == _svc(bus, "n2") == "7"


def test_a_full_disk_over_the_bus_leaves_the_running_version(
    rig: Rig, tmp_path: Path, tiny_boards: str
) -> None:
    (board,) = rig.start("small", profile=tiny_boards)
    src = write_tree(tmp_path / "app", {"svc.py": SVC.format(v="1")})
    with connect(BusOptions(port=rig.port, key=rig.key)) as bus:
        bus.wait_for_peers(1, timeout=5, names=["small"])
        first = deploy_node(bus, "small", DeployOptions(src=src))
        write_tree(src, {"svc.py": SVC.format(v="2"), "big.bin": noise(200_000)})
        with pytest.raises(DiskFullError, match="no room"):
            deploy_node(bus, "small", DeployOptions(src=src))
        assert _svc(bus, "small") == "1"
        assert bus.call("small", "files.status", timeout=3)["version"] == first.version


def test_the_cli_deploys_over_the_bus_and_reports_json(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmonia.cli import main

    for name in ("HARMONIA_KEY", "HARMONIA_KEY_FILE", "HARMONIA_BUS_ADDRESS", "HARMONIA_BUS_PORT"):
        monkeypatch.delenv(name, raising=False)
    rig.start("c1")
    src = write_tree(tmp_path / "app", {"svc.py": SVC.format(v="3")})
    argv = ["deploy", "c1", "--bus", "--port", str(rig.port), "--key", rig.key.hex()]
    assert main([*argv, "--src", str(src), "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    (only,) = report["targets"]
    assert report["ok"] and only["ok"] and only["result"]["changed"]
    assert only["result"]["notes"] == ["hot: services reloaded, no reboot"]
    assert main([*argv, "--src", str(src)]) == 0
    out = capsys.readouterr().out
    assert "c1" in out and "up to date" in out


def test_a_serial_deploy_interrupts_the_running_bus_and_the_bus_answers_with_the_new_code(
    rig: Rig, tmp_path: Path
) -> None:
    from harmonia.deploy import deploy
    from harmonia.targets import resolve

    (board,) = rig.start("wired")
    src = write_tree(tmp_path / "app", {"svc.py": SVC.format(v="5")})
    target = resolve(["wired"], state_dir=rig.state_dir)[0]
    result = deploy(target, DeployOptions(src=src))  # Ctrl-C stops main.py's bus loop
    assert result.changed
    board.wait_for_output("hm: node", timeout=10, since=board.console_mark() - 200)
    with connect(BusOptions(port=rig.port, key=rig.key)) as bus:
        bus.wait_for_peers(1, timeout=5, names=["wired"])
        assert _svc(bus, "wired") == "5"  # main.py ran again, from the new version
        assert bus.call("wired", "files.status", timeout=3)["active"] == result.version
