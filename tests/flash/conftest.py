"""Fixtures for the flash tests: simulated ROM loaders, fake firmware images, esptool's CLI."""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harmonia.boards import BoardProfile, load_profile
from harmonia.romsim import Faults, RomSim

C3_BOARD = "esp32-c3-devkitm-1"
ESPTOOL = str(Path(sys.executable).with_name("esptool"))


def esp_image(chip: str, payload: int, seed: int = 1) -> bytes:
    """A small but well-formed ESP app image for `chip`, built with esptool's own classes:
    a DRAM and an IRAM segment, header with the chip id, checksum and SHA-256 appended."""
    from esptool.bin_image import ELFSection  # type: ignore[import-untyped]
    from esptool.targets import CHIP_DEFS  # type: ignore[import-untyped]

    rom = CHIP_DEFS[chip]
    image = rom.BOOTLOADER_IMAGE()
    dram, iram = rom.get_memory_region(rom, "DRAM"), rom.get_memory_region(rom, "IRAM")
    code = random.Random(seed).randbytes(payload)  # incompressible: many flash blocks
    image.entrypoint = iram[0]
    image.flash_mode = 2  # DIO
    image.flash_size_freq = 0x20  # 4 MB, 40 MHz
    image.segments = [
        ELFSection(b".dram0.data", dram[0], b"harmonia test firmware".ljust(64, b"\0"), 0),
        ELFSection(b".iram0.text", iram[0], code, 0),
    ]
    data: bytes = image.save(None)
    return data


def uf2_image(family: int, blocks: int = 3) -> bytes:
    """A UF2 file of `blocks` 256-byte payload blocks for one family id."""
    out = bytearray()
    for number in range(blocks):
        head = struct.pack(
            "<IIIIIIII",
            0x0A324655,
            0x9E5D5157,
            0x2000,
            0x10000000 + 256 * number,
            256,
            number,
            blocks,
            family,
        )
        out += head + bytes([number]) * 256 + b"\0" * (476 - 256) + struct.pack("<I", 0x0AB16F30)
    return bytes(out)


@pytest.fixture
def make_uf2() -> Callable[[int], bytes]:
    return uf2_image


@pytest.fixture(scope="session")
def c3_profile() -> BoardProfile:
    return load_profile(C3_BOARD)


@pytest.fixture(scope="session")
def c3_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fw") / "ESP32_GENERIC_C3-test.bin"
    path.write_bytes(esp_image("esp32c3", 24 * 1024))
    return path


@pytest.fixture(scope="session")
def s3_firmware(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fw") / "ESP32_GENERIC_S3-test.bin"
    path.write_bytes(esp_image("esp32s3", 4096))
    return path


@pytest.fixture(scope="session")
def framework_dir(tmp_path_factory: pytest.TempPathFactory, c3_profile: BoardProfile) -> Path:
    """The firmware compiled once for the C3's arch, shared by the tests."""
    from harmonia.build import build_firmware

    out = tmp_path_factory.mktemp("mpy")
    build_firmware(out, [c3_profile.march])
    return out / c3_profile.march


@pytest.fixture
def romsim(tmp_path: Path) -> Iterator[Callable[..., RomSim]]:
    """Starts simulated chips (each on its own free port); all are stopped after the test."""
    started: list[RomSim] = []

    def start(
        chip: str = "esp32c3",
        transport: str = "tcp",
        faults: Faults | None = None,
        image: Path | None = None,
        size: int = 0x400000,
    ) -> RomSim:
        path = image or tmp_path / f"flash{len(started)}.bin"
        sim = RomSim(path, size, chip=chip, transport=transport, faults=faults)
        started.append(sim.start())
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def esptool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the real `esptool --no-stub` CLI against a port."""

    def run(port: str, *args: str, chip: str = "esp32c3") -> subprocess.CompletedProcess[str]:
        cmd = [ESPTOOL, "--port", port, "--before", "no-reset", "--chip", chip, "--no-stub"]
        return subprocess.run(
            [*cmd, *args], capture_output=True, text=True, timeout=120, check=False
        )

    return run


def flash_region(image: Path, offset: int, size: int) -> bytes:
    with open(image, "rb") as f:
        f.seek(offset)
        return f.read(size)


@pytest.fixture
def read_region() -> Callable[[Path, int, int], bytes]:
    return flash_region
