"""What a simulated chip answers when a host asks who it is: data only, one entry per chip.

A chip from the ESP32-C3 on reports its id in GET_SECURITY_INFO; older ones
(ESP32) do not have that command and are told apart by a magic word in ROM.
The numbers are the public ones of each chip (image chip id, chip-detect word).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHIP_DETECT_MAGIC_REG = 0x40001000

# SPI controller register offsets: the layout from the ESP32-S2 on, and the ESP32's own.
SPI_LAYOUT = {
    "cmd": 0x00,
    "addr": 0x04,
    "usr": 0x18,
    "usr1": 0x1C,
    "usr2": 0x20,
    "mosi_dlen": 0x24,
    "miso_dlen": 0x28,
    "w0": 0x58,
}
SPI_LAYOUT_ESP32 = {
    "cmd": 0x00,
    "addr": 0x04,
    "usr": 0x1C,
    "usr1": 0x20,
    "usr2": 0x24,
    "mosi_dlen": 0x28,
    "miso_dlen": 0x2C,
    "w0": 0x80,
}


@dataclass(frozen=True)
class Chip:
    name: str  # what people call it: "ESP32-C3"
    key: str  # what esptool calls it: "esp32c3"
    image_chip_id: int | None  # None: no GET_SECURITY_INFO (ESP32 and older)
    magic: int  # the word at CHIP_DETECT_MAGIC_REG
    spi_base: int  # SPI0/1 controller that runs user flash commands
    spi_addr_msb: bool  # whether the address register is left-aligned
    uart_date_reg: int
    efuse_base: int
    mac_reg: int  # eFuse word with the low four bytes of the MAC; the next one has the top two
    spi_layout: dict[str, int] = field(default_factory=lambda: dict(SPI_LAYOUT))
    registers: dict[int, int] = field(default_factory=dict)  # power-on values


ESP32C3 = Chip(
    name="ESP32-C3",
    key="esp32c3",
    image_chip_id=5,
    magic=0x1B31506F,
    spi_base=0x60002000,
    spi_addr_msb=False,
    uart_date_reg=0x6000007C,
    efuse_base=0x60008800,
    mac_reg=0x60008844,
    # eFuse BLOCK1 word 3: chip revision v0.4 (minor version in bits 18..20)
    registers={0x60008800 + 0x044 + 4 * 3: 4 << 18},
)

ESP32S3 = Chip(
    name="ESP32-S3",
    key="esp32s3",
    image_chip_id=9,
    magic=0x00000009,
    spi_base=0x60002000,
    spi_addr_msb=False,
    uart_date_reg=0x60000080,
    efuse_base=0x60007000,
    mac_reg=0x60007044,
)

ESP32 = Chip(
    name="ESP32",
    key="esp32",
    image_chip_id=None,
    magic=0x00F01D83,
    spi_base=0x3FF42000,
    spi_addr_msb=True,
    uart_date_reg=0x60000078,
    efuse_base=0x3FF5A000,
    mac_reg=0x3FF5A004,
    spi_layout=dict(SPI_LAYOUT_ESP32),
)

CHIPS = {chip.key: chip for chip in (ESP32C3, ESP32S3, ESP32)}


def spi_reg(chip: Chip, name: str) -> int:
    """Address of one SPI controller register of `chip` (`"cmd"`, `"usr"`, `"w0"`…)."""
    return chip.spi_base + chip.spi_layout[name]


def chip_by_key(key: str) -> Chip:
    try:
        return CHIPS[key.lower().replace("-", "")]
    except KeyError:
        known = ", ".join(sorted(CHIPS))
        raise ValueError(f"unknown chip {key!r}: the simulator knows {known}") from None


def mac_registers(chip: Chip, mac: bytes) -> dict[int, int]:
    """eFuse words that make `chip` report `mac` (six bytes)."""
    return {
        chip.mac_reg: int.from_bytes(mac[2:], "big"),
        chip.mac_reg + 4: int.from_bytes(mac[:2], "big"),
    }
