"""`harmonia ports`: USB IDs classified from the board and bridge tables, never guessed;
virtual boards listed; `harmonia.targets` resolves names, ports and --all from the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from harmonia.cli import main
from harmonia.ports import list_ports as harmonia_ports
from harmonia.ports import load_usb_devices
from harmonia.targets import NoTargetsError, UnknownTargetError, resolve
from harmonia.vboard import VirtualBoard


def _port(
    device: str, vid: int | None = None, pid: int | None = None, serial: str = ""
) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    info.serial_number = serial or None
    info.location = "1-2:1.0" if vid is not None else None
    return info


FAKE = [
    _port("/dev/ttyACM0", 0x303A, 0x1001, "C3C3"),  # ESP32-C3's own USB: two profiles
    _port("/dev/ttyACM1", 0x2E8A, 0x0005, "E6614"),  # MicroPython on RP2040 or RP2350
    _port("/dev/ttyUSB0", 0x10C4, 0xEA60, "0001"),  # CP210x bridge: a devkit could use it
    _port("/dev/ttyUSB1", 0x1A86, 0x7523),  # CH340 bridge: no profile lists it
    _port("/dev/ttyACM2", 0x0483, 0x374B, "STL"),  # ST-LINK probe on a Nucleo
    _port("/dev/ttyACM3", 0x1234, 0x5678),  # something else entirely
    _port("/dev/ttyS0"),  # no USB ID at all
]


@pytest.fixture
def fake_usb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: list(FAKE))


def test_usb_ids_are_classified_from_the_tables_and_never_guessed(
    fake_usb: None, tmp_path: Path
) -> None:
    ports = {p.device: p for p in harmonia_ports(state_dir=tmp_path, include_bootsel=False)}
    c3 = ports["/dev/ttyACM0"]
    assert (c3.kind, c3.board, c3.chip) == ("board", None, "ESP32-C3")
    assert c3.candidates == ("esp32-c3-devkitm-1", "seeed-xiao-esp32c3")
    assert c3.modes == ("app", "bootloader")  # the same ID in both: not told apart
    assert c3.usb_id == "303a:1001" and c3.serial_number == "C3C3"
    rp = ports["/dev/ttyACM1"]
    assert (rp.kind, rp.board, rp.chip, rp.modes) == ("board", None, None, ("app",))
    assert rp.candidates == ("rpi-pico-w", "rpi-pico2-w")
    assert rp.description == "MicroPython USB CDC REPL"
    cp = ports["/dev/ttyUSB0"]
    assert (cp.kind, cp.board) == ("bridge", None)
    assert cp.description == "Silicon Labs CP210x USB-UART bridge"
    assert cp.candidates == ("esp32-c3-devkitm-1",)  # could be, never "is"
    ch = ports["/dev/ttyUSB1"]
    assert (ch.kind, ch.board, ch.candidates) == ("bridge", None, ())
    assert ports["/dev/ttyACM2"].kind == "probe"
    assert ports["/dev/ttyACM2"].candidates == ("nucleo-f446re",)
    other = ports["/dev/ttyACM3"]
    assert (other.kind, other.board, other.description) == (
        "usb",
        None,
        "unknown USB device 1234:5678",
    )
    assert ports["/dev/ttyS0"].kind == "serial" and ports["/dev/ttyS0"].usb_id is None


def test_one_board_per_id_is_named(fake_usb: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: [_port("/dev/x", 0x2E8A, 0x000F)])
    (rp2350,) = harmonia_ports(include_virtual=False, include_bootsel=False)
    assert (rp2350.board, rp2350.chip, rp2350.modes) == ("rpi-pico2-w", "RP2350", ("bootloader",))


def test_the_bridge_table_is_data_and_complete(tmp_path: Path) -> None:
    ids = {f"{d.vid:04x}:{d.pid:04x}": d.kind for d in load_usb_devices()}
    for bridge in ("10c4:ea60", "1a86:7523", "0403:6001"):
        assert ids[bridge] == "bridge"
    (tmp_path / "usb").mkdir()
    (tmp_path / "usb" / "bridges.toml").write_text("[[device]]\nvid = 1\n")
    from harmonia.boards import BoardFileError

    with pytest.raises(BoardFileError, match=r"device\[0\] needs vid and pid"):
        load_usb_devices(tmp_path)


def test_running_virtual_boards_are_listed_with_their_ports(
    fake_usb: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with VirtualBoard("vp", state_dir=tmp_path) as board:
        port = board.port
        assert main(["ports", "--json", "--state-dir", str(tmp_path)]) == 0
        listed = json.loads(capsys.readouterr().out)
        virtual = [p for p in listed if p["kind"] == "virtual"]
        assert virtual == [
            {
                **virtual[0],
                "device": board.port,
                "name": "vp",
                "board": "virtual",
                "address": board.address,
                "status": "running",
            }
        ]
        assert {p["device"] for p in listed} >= {f.device for f in FAKE}
        assert main(["ports", "--state-dir", str(tmp_path)]) == 0
        text = capsys.readouterr().out
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert "Harmonia virtual board vp" in lines[port]
    assert "unknown USB device 1234:5678" in lines["/dev/ttyACM3"]
    assert "one of esp32-c3-devkitm-1, seeed-xiao-esp32c3" in lines["/dev/ttyACM0"]
    assert "could be esp32-c3-devkitm-1" in lines["/dev/ttyUSB0"]


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["ports", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "harmonia ports --json" in out


def test_targets_resolve_names_ports_and_all(fake_usb: None, tmp_path: Path) -> None:
    with VirtualBoard("tv", state_dir=tmp_path) as board:
        targets = resolve(["tv", "/dev/ttyACM1", "/dev/ttyUSB1"], state_dir=tmp_path)
        assert [(t.name, t.kind, t.profile) for t in targets] == [
            ("tv", "virtual", "virtual"),
            ("/dev/ttyACM1", "serial", None),  # two profiles share the ID: not guessed
            ("/dev/ttyUSB1", "serial", None),
        ]
        assert targets[1].serial_number == "E6614"  # to find it again after a reset
        assert resolve([board.port], state_dir=tmp_path)[0].name == "tv"  # its pty is it
        everything = resolve([], all_boards=True, state_dir=tmp_path)
        assert {t.name for t in everything} == {
            "tv",
            "/dev/ttyACM0",
            "/dev/ttyACM1",
            "/dev/ttyUSB0",
            "/dev/ttyACM2",
        }  # not the CH340, the unknown device or ttyS0: no profile names them
        with pytest.raises(UnknownTargetError, match=r"'nope'.*running virtual boards are tv"):
            resolve(["nope"], state_dir=tmp_path)
    with pytest.raises(NoTargetsError, match="name at least one target"):
        resolve([], state_dir=tmp_path)
