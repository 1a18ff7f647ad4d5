"""Finding a firmware file (given, or in the local cache) and checking it fits the chip.

Nothing is downloaded: a missing image is an error that says where to get it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from ..boards import BoardProfile
from .errors import FirmwareNotFoundError, WrongFirmwareError

ESP_IMAGE_MAGIC = 0xE9
UF2_MAGIC_START = (0x0A324655, 0x9E5D5157)
UF2_MAGIC_END = 0x0AB16F30
UF2_BLOCK = 512
UF2_FAMILY_PRESENT = 0x2000

# UF2 family ids (github.com/microsoft/uf2, utils/uf2families.json) for the chips we flash
UF2_FAMILIES = {
    0xE48BFF56: "RP2040",
    0xE48BFF59: "RP2350",  # ARM secure
    0xE48BFF5A: "RP2350",  # RISC-V
    0xE48BFF5B: "RP2350",  # ARM non-secure
    0xD42BA06C: "ESP32-C3",
    0xC47E5767: "ESP32-S3",
    0x57755A57: "STM32F4",
}
UF2_ANY_CHIP = {0xE48BFF57, 0xE48BFF58}  # RP2350 "absolute" and "data" blocks


def extension(profile: BoardProfile) -> str:
    return ".uf2" if profile.family == "rp2" else ".bin"


def resolve(profile: BoardProfile, firmware: Path | None, cache_dir: Path) -> Path:
    """The file to flash: `firmware` if it exists, else a file of that name in the
    cache, else (no `firmware`) the newest `<profile.firmware>*` image in the cache."""
    if firmware is not None:
        for candidate in (firmware, cache_dir / firmware.name):
            if candidate.is_file():
                return candidate
        raise FirmwareNotFoundError(
            f"no firmware file {firmware} (nor {cache_dir / firmware.name}): "
            f"check the path, or put the {profile.firmware} image in {cache_dir}"
        )
    found = sorted(
        cache_dir.glob(f"{profile.firmware}*{extension(profile)}"),
        key=lambda p: p.stat().st_mtime,
    )
    if not found:
        raise FirmwareNotFoundError(
            f"no {profile.firmware} firmware in {cache_dir}: download it from "
            f"https://micropython.org/download/{profile.firmware}/ into that folder, "
            "or pass --firmware FILE"
        )
    return found[-1]


def chip_key(mcu: str) -> str:
    """esptool's name for a chip: "ESP32-C3" -> "esp32c3"."""
    return re.sub(r"[-()_ ]", "", mcu.lower())


def check_esp_image(path: Path, data: bytes, profile: BoardProfile) -> None:
    """The image header's chip id must be the profile's chip (ESP-IDF image format)."""
    from esptool.bin_image import LoadFirmwareImage  # type: ignore[import-untyped]
    from esptool.targets import CHIP_DEFS  # type: ignore[import-untyped]

    if data[:4] == b"UF2\n":
        raise WrongFirmwareError(
            f"{path} is a UF2 file ({_uf2_chips(data) or 'unknown chip'}), but "
            f"{profile.name} takes an ESP image (.bin): use the {profile.firmware} .bin"
        )
    if not data or data[0] != ESP_IMAGE_MAGIC:
        raise WrongFirmwareError(
            f"{path} is not an ESP firmware image (it does not start with 0xE9): "
            f"use the {profile.firmware} .bin from micropython.org"
        )
    key = chip_key(profile.mcu)
    if key not in CHIP_DEFS:
        raise WrongFirmwareError(f"esptool does not know the chip {profile.mcu} of {profile.name}")
    try:
        image = LoadFirmwareImage(key, data)
    except Exception as exc:  # esptool raises FatalError, struct.error or RuntimeError
        raise WrongFirmwareError(
            f"{path} has a broken ESP image header ({exc}): download the image again"
        ) from exc
    if image.chip_id != CHIP_DEFS[key].IMAGE_CHIP_ID:
        names = {cls.IMAGE_CHIP_ID: cls.CHIP_NAME for cls in CHIP_DEFS.values()}
        other = names.get(image.chip_id, f"chip id {image.chip_id}")
        raise WrongFirmwareError(
            f"{path} is firmware for an {other}, but {profile.name} is an {profile.mcu}: "
            f"use the {profile.firmware} image"
        )


def _is_uf2(data: bytes) -> bool:
    if not data or len(data) % UF2_BLOCK:
        return False
    for at in range(0, len(data), UF2_BLOCK):
        start = struct.unpack_from("<II", data, at)
        (end,) = struct.unpack_from("<I", data, at + UF2_BLOCK - 4)
        if start != UF2_MAGIC_START or end != UF2_MAGIC_END:
            return False
    return True


def _uf2_families(data: bytes) -> set[int]:
    families = set()
    for at in range(0, len(data) - UF2_BLOCK + 1, UF2_BLOCK):
        (flags,) = struct.unpack_from("<I", data, at + 8)
        if flags & UF2_FAMILY_PRESENT:
            families.add(struct.unpack_from("<I", data, at + 28)[0])
    return families


def _uf2_chips(data: bytes) -> str:
    families = _uf2_families(data) - UF2_ANY_CHIP
    return ", ".join(sorted({UF2_FAMILIES.get(f, f"family {f:#x}") for f in families}))


def check_uf2(path: Path, data: bytes, profile: BoardProfile) -> None:
    """Every block is a UF2 block, and its family is the profile's chip."""
    if not _is_uf2(data):
        if data[:1] == bytes((ESP_IMAGE_MAGIC,)):
            raise WrongFirmwareError(
                f"{path} is an ESP image, but {profile.name} takes a UF2 file: "
                f"use the {profile.firmware} .uf2"
            )
        raise WrongFirmwareError(
            f"{path} is not a UF2 file: use the {profile.firmware} .uf2 from micropython.org"
        )
    chips = {UF2_FAMILIES.get(f) for f in _uf2_families(data) - UF2_ANY_CHIP}
    if chips and profile.mcu not in chips:
        raise WrongFirmwareError(
            f"{path} is firmware for {_uf2_chips(data)}, but {profile.name} is an "
            f"{profile.mcu}: use the {profile.firmware} .uf2"
        )
