"""Board files: every one passes the schema, and a broken one is named with its field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harmonia import boards, paths

BOARDS = paths.boards_dir()
EXPECTED = {
    "esp32-c3-devkitm-1",
    "seeed-xiao-esp32c3",
    "rpi-pico-w",
    "rpi-pico2-w",
    "nucleo-f446re",
    "virtual",
}


@pytest.fixture
def board_dir(tmp_path: Path) -> Path:
    """An empty board directory with the real schema in it."""
    shutil.copy(BOARDS / boards.SCHEMA_FILE, tmp_path)
    return tmp_path


def _write_variant(directory: Path, name: str, old: str, new: str) -> Path:
    text = (BOARDS / "rpi-pico-w.toml").read_text()
    assert old in text
    path = directory / f"{name}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_board_file_passes_the_schema(name: str) -> None:
    profile = boards.load_profile(name)
    assert profile.name == name
    assert profile.fs_offset + profile.fs_size <= profile.flash_size


def test_board_list_is_the_files_in_boards_dir() -> None:
    assert {p.name for p in boards.list_profiles()} == EXPECTED


def test_archs_are_the_boards_marches() -> None:
    assert boards.archs() == {"rv32imc", "armv6m", "armv7emsp", "x64"}


def test_profile_reads_capabilities_from_the_file() -> None:
    pico = boards.load_profile("rpi-pico-w")
    assert (pico.family, pico.firmware, pico.march) == ("rp2", "RPI_PICO_W", "armv6m")
    assert pico.radios == ("wifi", "ble")
    assert pico.led == "LED"
    assert pico.pins["GP15"] == 15
    assert pico.i2c == boards.I2cPins(id=0, scl=5, sda=4)
    nucleo = boards.load_profile("nucleo-f446re")
    assert nucleo.radios == ()
    assert nucleo.uart == boards.UartPins(id=6, tx="PC6", rx="PC7")
    assert boards.load_profile("seeed-xiao-esp32c3").led is None


def test_find_by_usb_returns_board_and_mode() -> None:
    found = boards.find_by_usb(0x2E8A, 0x0003)
    assert [(p.name, u.mode) for p, u in found] == [("rpi-pico-w", "bootloader")]
    assert str(found[0][1]) == "2e8a:0003"


def test_find_by_usb_returns_every_board_sharing_an_id() -> None:
    names = {p.name for p, u in boards.find_by_usb(0x2E8A, 0x0005)}
    assert names == {"rpi-pico-w", "rpi-pico2-w"}
    modes = {(p.name, u.mode) for p, u in boards.find_by_usb(0x303A, 0x1001)}
    assert ("seeed-xiao-esp32c3", "app") in modes
    assert ("seeed-xiao-esp32c3", "bootloader") in modes


def test_find_by_usb_unknown_id_is_empty() -> None:
    assert boards.find_by_usb(0xFFFF, 0xFFFF) == []


def test_unknown_board_error_lists_known_names() -> None:
    with pytest.raises(boards.UnknownBoardError) as info:
        boards.load_profile("esp8266")
    message = str(info.value)
    assert "'esp8266'" in message
    for name in EXPECTED:
        assert name in message


def test_schema_rejects_a_bad_value_naming_field_and_line(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", "tx = 0", "tx = -1")
    with pytest.raises(boards.BoardFileError) as info:
        boards.load_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "field uart.tx" in message
    line = path.read_text().splitlines().index("tx = -1") + 1
    assert f"{path}:{line}:" in message


def test_schema_rejects_a_bad_array_entry_naming_its_index(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", 'mode = "app"', 'mode = "running"')
    with pytest.raises(boards.BoardFileError, match=r"field usb\[1\]\.mode"):
        boards.load_file(path)


def test_schema_rejects_a_missing_field_naming_it(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", 'march = "armv6m"\n', "")
    with pytest.raises(boards.BoardFileError, match="'march' is a required property"):
        boards.load_file(path)


def test_schema_rejects_an_unknown_field(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", 'march = "armv6m"', 'arch = "armv6m"')
    with pytest.raises(boards.BoardFileError, match="'arch' was unexpected"):
        boards.load_file(path)


def test_filesystem_past_end_of_flash_is_rejected(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", "fs_size = 0xd4000", "fs_size = 0xd5000")
    with pytest.raises(boards.BoardFileError, match="field fs_size: .*past flash_size"):
        boards.load_file(path)


def test_invalid_toml_names_file_and_line(board_dir: Path) -> None:
    path = _write_variant(board_dir, "bad", "heap = 163_840", "heap = ")
    with pytest.raises(boards.BoardFileError, match=r"bad\.toml: not valid TOML: .*line"):
        boards.load_file(path)


def test_one_bad_file_stops_the_listing(board_dir: Path) -> None:
    shutil.copy(BOARDS / "virtual.toml", board_dir)
    _write_variant(board_dir, "broken", 'family = "rp2"', 'family = "nrf"')
    with pytest.raises(boards.BoardFileError, match=r"broken\.toml:\d+: field family"):
        boards.list_profiles(board_dir)


def test_boards_dir_is_taken_as_an_argument(board_dir: Path) -> None:
    shutil.copy(BOARDS / "virtual.toml", board_dir)
    assert [p.name for p in boards.list_profiles(board_dir)] == ["virtual"]
    assert boards.archs(board_dir) == {"x64"}
