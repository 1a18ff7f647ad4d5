"""RP2 boards: the UF2 goes onto the BOOTSEL drive, found by its INFO_UF2.TXT."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harmonia.cli import main
from harmonia.flash import (
    BootselDriveNotFoundError,
    FlashConfig,
    WrongChipError,
    WrongFirmwareError,
    flash,
)

RP2040 = 0xE48BFF56
RP2350_ARM = 0xE48BFF59
RP2040_INFO = "UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n"
RP2350_INFO = "UF2 Bootloader v1.0\nModel: Raspberry Pi RP2350\nBoard-ID: RP2350\n"


def _drive(root: Path, name: str, info: str) -> Path:
    drive = root / name
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text(info)
    (drive / "INDEX.HTM").write_text("<html></html>")
    return drive


@pytest.fixture
def uf2(tmp_path: Path, make_uf2: Callable[[int], bytes]) -> Callable[[int], Path]:
    def write(family: int) -> Path:
        path = tmp_path / "RPI_PICO_W-test.uf2"
        path.write_bytes(make_uf2(family))
        return path

    return write


def test_uf2_is_copied_onto_the_bootsel_drive(tmp_path: Path, uf2: Callable[[int], Path]) -> None:
    drive = _drive(tmp_path, "RPI-RP2", RP2040_INFO)
    firmware = uf2(RP2040)
    seen: list[tuple[str, int, int]] = []
    result = flash(
        "rpi-pico-w",
        None,
        firmware,
        config=FlashConfig(bootsel_dirs=(tmp_path / "elsewhere", drive)),
        progress=lambda *event: seen.append(event),
    )
    assert (drive / firmware.name).read_bytes() == firmware.read_bytes()
    assert result.method == "uf2" and result.chip == "RP2040" and result.port == str(drive)
    assert result.next_step is not None and "over its REPL" in result.next_step
    assert seen[-1] == ("copy", len(firmware.read_bytes()), len(firmware.read_bytes()))


def test_port_may_name_the_drive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], uf2: Callable[[int], Path]
) -> None:
    drive = _drive(tmp_path, "RP2350", RP2350_INFO)
    firmware = uf2(RP2350_ARM)
    code = main(["flash", "--board", "rpi-pico2-w", "--port", str(drive),
                 "--firmware", str(firmware), "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["chip"] == "RP2350"
    assert (drive / firmware.name).exists()


def test_a_drive_of_another_chip_is_named(tmp_path: Path, uf2: Callable[[int], Path]) -> None:
    drive = _drive(tmp_path, "RP2350", RP2350_INFO)
    with pytest.raises(WrongChipError, match="this is an RP2350 .* profile is rpi-pico-w"):
        flash("rpi-pico-w", None, uf2(RP2040), config=FlashConfig(bootsel_dirs=(drive,)))


def test_no_drive_says_to_hold_bootsel(tmp_path: Path, uf2: Callable[[int], Path]) -> None:
    with pytest.raises(BootselDriveNotFoundError, match="hold BOOTSEL"):
        flash(
            "rpi-pico-w",
            None,
            uf2(RP2040),
            config=FlashConfig(bootsel_dirs=(tmp_path,)),
        )


def test_uf2_for_another_chip_is_refused(tmp_path: Path, uf2: Callable[[int], Path]) -> None:
    drive = _drive(tmp_path, "RPI-RP2", RP2040_INFO)
    with pytest.raises(
        WrongFirmwareError, match="firmware for RP2350, but rpi-pico-w is an RP2040"
    ):
        flash(
            "rpi-pico-w",
            None,
            uf2(RP2350_ARM),
            config=FlashConfig(bootsel_dirs=(drive,)),
        )
    assert not (drive / "RPI_PICO_W-test.uf2").exists()


def test_an_esp_image_is_not_a_uf2(tmp_path: Path, c3_firmware: Path) -> None:
    drive = _drive(tmp_path, "RPI-RP2", RP2040_INFO)
    with pytest.raises(WrongFirmwareError, match="takes a UF2 file"):
        flash("rpi-pico-w", None, c3_firmware, config=FlashConfig(bootsel_dirs=(drive,)))


def test_framework_goes_on_over_the_repl_after_the_uf2(
    tmp_path: Path, uf2: Callable[[int], Path]
) -> None:
    """The rebooted board is a virtual Pico W; its REPL takes the framework and /hm.json."""
    from harmonia.flash import BoardConfig
    from harmonia.vboard import VirtualBoard

    drive = _drive(tmp_path, "RPI-RP2", RP2040_INFO)
    with VirtualBoard("pico", profile="rpi-pico-w", state_dir=tmp_path / "state") as board:
        stages: dict[str, tuple[int, int]] = {}
        result = flash(
            "rpi-pico-w",
            None,
            uf2(RP2040),
            config=FlashConfig(
                board=BoardConfig(name="pico"), bootsel_dirs=(drive,), repl_port=board.port
            ),
            progress=lambda stage, done, total: stages.__setitem__(stage, (done, total)),
        )
        assert result.next_step is None and "/hm.json" in result.files
        assert stages["framework"] == (len(result.files), len(result.files))
        out = board.exec("import os; print(open('/hm.json').read()); print(os.listdir('/lib/hm'))")
        assert '"name": "pico"' in out and "__init__.mpy" in out
