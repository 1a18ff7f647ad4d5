"""The ways a flash goes wrong: each a named error with a clear next step, and a retry works."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harmonia.boards import BoardProfile
from harmonia.cli import main
from harmonia.flash import (
    BoardConfig,
    BoardConfigError,
    FirmwareNotFoundError,
    FlashConfig,
    FlashResult,
    Md5MismatchError,
    NotInBootloaderError,
    PortBusyError,
    PortNotFoundError,
    PortVanishedError,
    UnsupportedBoardError,
    WrongChipError,
    WrongFirmwareError,
    flash,
)
from harmonia.romsim import Faults, RomSim

Flasher = Callable[..., FlashResult]


@pytest.fixture
def do_flash(c3_profile: BoardProfile, c3_firmware: Path, framework_dir: Path) -> Flasher:
    def run(port: str | None, firmware: Path = c3_firmware, **options: Any) -> FlashResult:
        config = replace(FlashConfig(framework_dir=framework_dir, connect_attempts=1), **options)
        return flash(c3_profile.name, port, firmware, config=config)

    return run


def _one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def _firmware_written(sim: RomSim, firmware: Path) -> bool:
    data = firmware.read_bytes()
    return sim.flash.read(0, len(data)) == data


def test_wrong_chip_names_both_then_the_right_board_flashes(
    romsim: Callable[..., RomSim], do_flash: Flasher, c3_firmware: Path
) -> None:
    s3 = romsim(chip="esp32s3")
    with pytest.raises(WrongChipError) as caught:
        do_flash(s3.port)
    assert _one_line(caught.value).startswith(
        "this is an ESP32-S3, but the board profile is esp32-c3-devkitm-1"
    )
    assert s3.flash.read(0, 16) == b"\xff" * 16  # nothing written
    c3 = romsim()
    assert do_flash(c3.port).chip == "ESP32-C3"
    assert _firmware_written(c3, c3_firmware)


def test_port_vanishing_mid_flash_is_clear_and_a_retry_succeeds(
    romsim: Callable[..., RomSim], do_flash: Flasher, c3_firmware: Path
) -> None:
    sim = romsim(faults=Faults(vanish_after_blocks=5))
    with pytest.raises(PortVanishedError) as caught:
        do_flash(sim.port)  # the random firmware does not compress: one block per KB
    message = _one_line(caught.value)
    assert sim.port in message and "the firmware at 0x0" in message
    assert "run the same command again" in message
    assert any(event.startswith("vanished after 5 blocks") for event in sim.events)
    assert not _firmware_written(sim, c3_firmware)  # it really stopped part way
    do_flash(sim.port)
    assert _firmware_written(sim, c3_firmware)


def test_md5_mismatch_is_reported_and_a_retry_succeeds(
    romsim: Callable[..., RomSim], do_flash: Flasher
) -> None:
    sim = romsim(faults=Faults(wrong_md5=1))
    with pytest.raises(Md5MismatchError) as caught:
        do_flash(sim.port)
    message = _one_line(caught.value)
    assert "the firmware at 0x0 did not verify" in message
    assert "run the same command again" in message
    result = do_flash(sim.port)
    assert [r.name for r in result.regions] == ["firmware", "filesystem"]


def test_board_not_in_bootloader_mode_then_reset_into_it(
    romsim: Callable[..., RomSim], do_flash: Flasher
) -> None:
    sim = romsim(faults=Faults(download_mode=False))
    with pytest.raises(NotInBootloaderError) as caught:
        do_flash(sim.port)
    assert "hold BOOT, tap RESET" in _one_line(caught.value)
    sim.reset(download_mode=True)  # the user held BOOT and pressed RESET
    assert do_flash(sim.port).chip == "ESP32-C3"


def test_firmware_for_another_chip_is_refused_before_connecting(
    romsim: Callable[..., RomSim], do_flash: Flasher, s3_firmware: Path
) -> None:
    sim = romsim()
    with pytest.raises(WrongFirmwareError) as caught:
        do_flash(sim.port, firmware=s3_firmware)
    assert "is firmware for an ESP32-S3, but esp32-c3-devkitm-1 is an ESP32-C3" in _one_line(
        caught.value
    )
    assert "connect" not in sim.events


def test_a_file_that_is_not_an_esp_image_is_refused(do_flash: Flasher, tmp_path: Path) -> None:
    junk = tmp_path / "notes.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(WrongFirmwareError, match="not an ESP firmware image"):
        do_flash(None, firmware=junk)


@pytest.fixture
def held_port(romsim: Callable[..., RomSim]) -> Iterator[tuple[RomSim, subprocess.Popen[str]]]:
    """A pty port held open, exclusively, by another process (as a serial monitor would)."""
    sim = romsim(transport="pty")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, sim.port], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield sim, holder
    finally:
        holder.kill()
        holder.wait()


HOLD = """
import sys, time, serial
port = serial.Serial(sys.argv[1], exclusive=True)
print("holding", flush=True)
time.sleep(120)
"""


def test_busy_port_names_its_holder_then_flashes_once_free(
    held_port: tuple[RomSim, subprocess.Popen[str]], do_flash: Flasher, c3_firmware: Path
) -> None:
    sim, holder = held_port
    with pytest.raises(PortBusyError) as caught:
        do_flash(sim.port)
    message = _one_line(caught.value)
    assert f"(pid {holder.pid})" in message and "close that program" in message
    holder.kill()
    holder.wait()
    do_flash(sim.port)
    assert _firmware_written(sim, c3_firmware)


def test_nothing_at_the_port(do_flash: Flasher) -> None:
    with pytest.raises(PortNotFoundError, match="nothing at /dev/does-not-exist"):
        do_flash("/dev/does-not-exist")


def test_missing_firmware_says_where_to_get_it(c3_profile: BoardProfile, tmp_path: Path) -> None:
    with pytest.raises(FirmwareNotFoundError) as caught:
        flash(c3_profile.name, None, None, config=FlashConfig(cache_dir=tmp_path))
    assert "micropython.org/download/ESP32_GENERIC_C3" in _one_line(caught.value)


def test_firmware_is_found_in_the_cache(
    do_flash: Flasher, c3_firmware: Path, tmp_path: Path, romsim: Callable[..., RomSim]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / c3_firmware.name).write_bytes(c3_firmware.read_bytes())
    sim = romsim()
    result = do_flash(sim.port, firmware=Path(c3_firmware.name), cache_dir=cache)
    assert result.firmware == cache / c3_firmware.name


def test_bad_board_config_is_refused() -> None:
    with pytest.raises(BoardConfigError, match="64 hex digits"):
        BoardConfig.parse(group_key="abcd")
    with pytest.raises(BoardConfigError, match="not hex"):
        BoardConfig.parse(group_key="zz" * 32)
    with pytest.raises(BoardConfigError, match="SSID:KEY"):
        BoardConfig.parse(wifi="no-colon")


def test_a_board_harmonia_cannot_flash(tmp_path: Path) -> None:
    fw = tmp_path / "fw.bin"
    fw.write_bytes(b"x")
    with pytest.raises(UnsupportedBoardError, match="vendor's tool"):
        flash("nucleo-f446re", None, fw)


def test_cli_error_is_one_line_and_exit_code_is_non_zero(
    romsim: Callable[..., RomSim], c3_firmware: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = romsim(chip="esp32s3")
    code = main(["flash", "--board", "esp32-c3-devkitm-1", "--port", sim.port,
                 "--firmware", str(c3_firmware)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("harmonia: error: this is an ESP32-S3, but the board profile is")
