"""The real `esptool --no-stub` CLI against the simulated ESP32-C3 ROM loader."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from harmonia.romsim import RomSim

Esptool = Callable[..., CompletedProcess[str]]


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_esptool_identifies_an_esp32_c3(romsim: Callable[..., RomSim], esptool: Esptool) -> None:
    sim = romsim()
    out = _ok(esptool(sim.port, "chip-id"))
    assert "Connected to ESP32-C3" in out
    assert "Chip type:          ESP32-C3" in out
    assert "MAC:                02:" in out  # locally administered, derived from the image


def test_esptool_reads_the_flash_id_over_spi_registers(
    romsim: Callable[..., RomSim], esptool: Esptool
) -> None:
    sim = romsim(size=0x800000)
    out = _ok(esptool(sim.port, "flash-id"))
    assert "Manufacturer: ef" in out
    assert "Detected flash size: 8MB" in out


def test_write_then_verify_then_read_back_equals_what_was_written(
    romsim: Callable[..., RomSim], esptool: Esptool, c3_firmware: Path, tmp_path: Path
) -> None:
    sim = romsim()
    blob = tmp_path / "blob.bin"
    blob.write_bytes(random.Random(7).randbytes(10_000))
    _ok(esptool(sim.port, "write-flash", "0x0", str(c3_firmware), "0x10000", str(blob)))
    out = _ok(esptool(sim.port, "verify-flash", "0x0", str(c3_firmware), "0x10000", str(blob)))
    assert out.count("Verification successful (digest matched)") == 2
    back = tmp_path / "back.bin"
    _ok(esptool(sim.port, "read-flash", "0x10000", "10000", str(back)))
    assert back.read_bytes() == blob.read_bytes()
    image = sim.flash.path.read_bytes()
    firmware = c3_firmware.read_bytes()
    assert image[: len(firmware)] == firmware
    assert image[0x10000 : 0x10000 + 10_000] == blob.read_bytes()
    assert image[0x10000 + 10_000 : 0x12000] == b"\xff" * (0x12000 - 0x10000 - 10_000)


def test_compressed_write_is_inflated_by_the_rom(
    romsim: Callable[..., RomSim], esptool: Esptool, tmp_path: Path
) -> None:
    sim = romsim()
    data = bytes(range(256)) * 200 + random.Random(3).randbytes(3000)
    blob = tmp_path / "blob.bin"
    blob.write_bytes(data)
    out = _ok(esptool(sim.port, "write-flash", "--compress", "0x30000", str(blob)))
    assert "compressed" in out
    assert sim.flash.read(0x30000, len(data)) == data


def test_rewriting_erases_first_like_nor_flash(
    romsim: Callable[..., RomSim], esptool: Esptool, tmp_path: Path
) -> None:
    sim = romsim()
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"\x00" * 4096)
    second.write_bytes(b"\x5a" * 4096)
    _ok(esptool(sim.port, "write-flash", "0x1000", str(first)))
    _ok(esptool(sim.port, "write-flash", "0x1000", str(second)))
    assert sim.flash.read(0x1000, 4096) == b"\x5a" * 4096


def test_esptool_over_a_pty(
    romsim: Callable[..., RomSim], esptool: Esptool, c3_firmware: Path
) -> None:
    sim = romsim(transport="pty")
    assert sim.port.startswith("/dev/")
    _ok(esptool(sim.port, "write-flash", "0x0", str(c3_firmware)))
    firmware = c3_firmware.read_bytes()
    assert sim.flash.read(0, len(firmware)) == firmware


def test_esptool_refuses_a_chip_that_is_not_the_one_asked_for(
    romsim: Callable[..., RomSim], esptool: Esptool
) -> None:
    sim = romsim(chip="esp32s3")
    result = esptool(sim.port, "chip-id")
    assert result.returncode != 0
    assert "This chip is ESP32-S3, not ESP32-C3" in result.stdout + result.stderr
    assert "Connected to ESP32-S3" in _ok(esptool(sim.port, "chip-id", chip="auto"))


def test_an_esp32_is_told_apart_by_its_magic_word(
    romsim: Callable[..., RomSim], esptool: Esptool
) -> None:
    sim = romsim(chip="esp32")
    result = esptool(sim.port, "chip-id")
    assert "This chip is ESP32, not ESP32-C3" in result.stdout + result.stderr


def test_a_vanished_pty_comes_back_under_its_link_and_esptool_recovers(
    esptool: Esptool, c3_firmware: Path, tmp_path: Path
) -> None:
    """Like a USB port that re-enumerates: a new pty, the same /dev/serial/by-id-style link."""
    from harmonia.romsim import Faults

    link = tmp_path / "ttyESP"
    with RomSim(
        tmp_path / "flash.bin",
        0x400000,
        transport="pty",
        link=link,
        faults=Faults(vanish_after_blocks=5),
    ) as sim:
        first = link.resolve()
        out = _ok(esptool(str(link), "write-flash", "0x0", str(c3_firmware)))
        assert "Lost connection, retrying" in out
        assert link.resolve() != first
        assert sim.flash.read(0, c3_firmware.stat().st_size) == c3_firmware.read_bytes()
    assert not link.exists()
